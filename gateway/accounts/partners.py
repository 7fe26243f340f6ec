"""Partners: organisations that receive data at a sharing level (what each
level contains: ``gateway.privacy.sharing``).  Created by admins in the
console or with ``mpaka partners add``; their tokens: ``tokens.create_for_partner``."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from gateway.errors import MpakaError
from gateway.store.models import Partner
from gateway.vocab import SharingLevel


class PartnerError(MpakaError):
    """A partner that cannot be created as asked (the message says why)."""


def create(db, name: str, level: str, counties: Iterable[str] = (), *,
           known_counties: Iterable[str] | None = None) -> Partner:
    """A new partner (caller commits); ``PartnerError`` on a bad name, level or county."""
    name = " ".join((name or "").split())
    if not name or len(name) > 128:
        raise PartnerError("Give the partner a name of 1 to 128 characters.")
    if level not in list(SharingLevel):
        raise PartnerError(f"The level must be one of: {', '.join(SharingLevel)}.")
    chosen = sorted({c for c in counties if c})
    if known_counties is not None:
        unknown = sorted(set(chosen) - set(known_counties))
        if unknown:
            raise PartnerError(f"Unknown county: {', '.join(unknown)}.")
    if db.scalar(select(Partner).where(func.lower(Partner.name) == name.lower())) is not None:
        raise PartnerError(f"A partner named {name!r} exists already.")
    partner = Partner(name=name, level=level, counties=chosen, active=True)
    db.add(partner)
    db.flush()
    return partner


def find(db, ident: str) -> Partner | None:
    """A partner by id or by name (case-insensitive)."""
    if ident.isdigit():
        return db.get(Partner, int(ident))
    return db.scalar(select(Partner).where(func.lower(Partner.name) == ident.strip().lower()))


def listing(db) -> list[Partner]:
    return list(db.scalars(select(Partner).order_by(Partner.name)))
