"""API bearer tokens: ``mpk_`` and 43 random URL-safe characters.

A token acts as its user: the same role and county scope as in the console.
A partner's token (``create_for_partner``) acts as no user: it reads only
the ``/api/v1/shared`` endpoints, at its partner's sharing level.
Only its SHA-256 is stored (the token has 256 bits of randomness, so a plain
hash is enough); it is shown once, at creation.  Revoking is immediate, and a
deactivated user's tokens stop working with them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from gateway.core.clock import utcnow
from gateway.store.models import ApiToken, Partner, User

PREFIX = "mpk_"
#: ``last_used_at`` is written at most this often per token (a write per request is waste).
TOUCH_EVERY = timedelta(minutes=5)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(db, user: User, name: str = "api") -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token (shown once).  Caller commits."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name[:64], prefix=token[:12], token_hash=digest(token))
    db.add(row)
    db.flush()
    return row, token


def create_for_partner(db, partner: Partner, name: str = "api") -> tuple[ApiToken, str]:
    """A new token for a partner; returns the row and the token (shown once).  Caller commits."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(partner_id=partner.id, name=name[:64], prefix=token[:12],
                   token_hash=digest(token))
    db.add(row)
    db.flush()
    return row, token


def _live(db, token: str | None) -> ApiToken | None:
    if not token or not token.startswith(PREFIX) or len(token) > 128:
        return None
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.token_hash, digest(token)):
        return None
    return row


def _touch(db, row: ApiToken, now: datetime | None) -> None:
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        row.last_used_at = now
        db.commit()


def authenticate(db, token: str | None, *, now: datetime | None = None) -> User | None:
    """The active user behind a live token, or ``None`` (also for a partner's token)."""
    row = _live(db, token)
    user = row.user if row is not None else None
    if row is None or user is None or not user.active:
        return None
    _touch(db, row, now)
    return user


def authenticate_partner(db, token: str | None, *, now: datetime | None = None) -> Partner | None:
    """The active partner behind a live partner token, or ``None``."""
    row = _live(db, token)
    partner = row.partner if row is not None else None
    if row is None or partner is None or not partner.active:
        return None
    _touch(db, row, now)
    return partner


def find(db, ident: str) -> ApiToken | None:
    """A token by id or by its prefix (as listed)."""
    if ident.isdigit():
        return db.get(ApiToken, int(ident))
    return db.scalar(select(ApiToken).where(ApiToken.prefix == ident[:12]))


def revoke(db, row: ApiToken, *, now: datetime | None = None) -> bool:
    """Revoke; ``False`` if it was revoked already.  Caller commits."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    return True
