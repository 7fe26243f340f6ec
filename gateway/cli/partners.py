"""``mpaka partners add|list|token|shares``: organisations that receive data
at a sharing level (docs/api.md), their API tokens, and what they received."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from gateway.accounts import partners as partner_accounts
from gateway.accounts import tokens as api_tokens
from gateway.core import localtime
from gateway.core.services import current_services
from gateway.store import script_versions
from gateway.store.models import AuditEntry, Share
from gateway.vocab import SharingLevel


@click.group()
def partners():
    """Partners and their sharing levels (aggregate, incident, report)."""


@partners.command("add")
@click.argument("name")
@click.option("--level", required=True, type=click.Choice([level.value for level in SharingLevel]),
              help="What the partner receives (docs/api.md).")
@click.option("--county", "counties", multiple=True,
              help="Limit to this county (repeat); default: every county.")
@with_appcontext
def add(name, level, counties):
    """Create partner NAME at a sharing level."""
    svc = current_services()
    known = script_versions.live_vocabulary(svc).counties
    with svc.db() as db:
        try:
            partner = partner_accounts.create(db, name, level, counties, known_counties=known)
        except partner_accounts.PartnerError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        db.add(AuditEntry(actor="cli", action="partner.create", target=f"partner:{partner.id}",
                          detail={"name": partner.name, "level": level,
                                  "counties": partner.counties}))
        db.commit()
        click.echo(f"partner {partner.id} {partner.name}: level {level}, counties "
                   f"{', '.join(partner.counties) or 'all'}")


@partners.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@with_appcontext
def list_partners(as_json):
    """Partners with their level and counties."""
    with current_services().db() as db:
        rows = [{"id": p.id, "name": p.name, "level": p.level, "counties": list(p.counties or []),
                 "active": p.active} for p in partner_accounts.listing(db)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['id']:>4}  {r['name']:<32} {r['level']:<10} "
                   f"{', '.join(r['counties']) or 'all counties'}"
                   f"{'' if r['active'] else '  (inactive)'}")


@partners.command("token")
@click.argument("partner")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@with_appcontext
def token(partner, name):
    """Create an API token for PARTNER (id or name) and print it once."""
    with current_services().db() as db:
        row = partner_accounts.find(db, partner)
        if row is None or not row.active:
            click.echo(f"no active partner {partner!r} (see `mpaka partners list`)", err=True)
            sys.exit(1)
        token_row, secret = api_tokens.create_for_partner(db, row, name)
        db.add(AuditEntry(actor="cli", action="token.create", target=f"token:{token_row.id}",
                          detail={"partner": row.name, "name": name, "prefix": token_row.prefix}))
        db.commit()
        click.echo(f"token {token_row.id} ({token_row.prefix}…) for partner {row.name}, "
                   f"level {row.level}:", err=True)
    click.echo(secret)
    click.echo("Store it now: it is not shown again.  It reads /api/v1/shared only.", err=True)


@partners.command("shares")
@click.argument("partner")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@with_appcontext
def shares(partner, limit):
    """What PARTNER has received, newest first."""
    with current_services().db() as db:
        row = partner_accounts.find(db, partner)
        if row is None:
            click.echo(f"no partner {partner!r} (see `mpaka partners list`)", err=True)
            sys.exit(1)
        for share in db.scalars(select(Share).where(Share.partner_id == row.id)
                                .order_by(Share.id.desc()).limit(limit)):
            ids = ", ".join(str(i) for i in share.ids[:10]) + (" …" if len(share.ids) > 10 else "")
            click.echo(f"{localtime.display(share.created_at)}  {share.channel:<8} "
                       f"{share.kind:<10} {share.count:>5} row(s)  {ids}")
