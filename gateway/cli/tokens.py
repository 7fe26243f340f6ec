"""``mpaka tokens create|list|revoke``: bearer tokens for the REST API."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from gateway.accounts import tokens as api_tokens
from gateway.core.services import current_services
from gateway.store.models import ApiToken, AuditEntry, User


def _iso(value):
    return value.isoformat() if value else None


@click.group()
def tokens():
    """API bearer tokens (a token acts with its user's role and counties)."""


@tokens.command("create")
@click.option("--user", "username", required=True, help="The user the token acts as.")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@with_appcontext
def create(username, name):
    """Create a token and print it once (only its hash is stored)."""
    with current_services().db() as db:
        user = db.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            click.echo(f"no active user {username!r}: create the user in the console first", err=True)
            sys.exit(1)
        row, token = api_tokens.create(db, user, name)
        db.add(AuditEntry(actor="cli", action="token.create", target=f"token:{row.id}",
                          detail={"user": username, "name": name, "prefix": row.prefix}))
        db.commit()
        click.echo(f"token {row.id} ({row.prefix}…) for {username}, role {user.role}:", err=True)
    click.echo(token)
    click.echo("Store it now: it is not shown again.  Use it as 'Authorization: Bearer <token>'.",
               err=True)


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@with_appcontext
def list_tokens(as_json):
    """Tokens with their user, prefix and last use (never the tokens themselves)."""
    with current_services().db() as db:
        rows = [
            {"id": t.id, "prefix": t.prefix, "name": t.name, "user": t.user.username if t.user else f"partner:{t.partner.name if t.partner else '?'}",
             "created_at": _iso(t.created_at), "last_used_at": _iso(t.last_used_at),
             "revoked_at": _iso(t.revoked_at)}
            for t in db.scalars(select(ApiToken).order_by(ApiToken.id))
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        state = "revoked" if r["revoked_at"] else "active"
        click.echo(f"{r['id']:>4}  {r['prefix']}…  {r['user']:<16} {r['name']:<16} {state}"
                   f"  last used {r['last_used_at'] or 'never'}")


@tokens.command("revoke")
@click.argument("token")
@with_appcontext
def revoke(token):
    """Revoke TOKEN (its id or prefix, as listed); effective at once."""
    with current_services().db() as db:
        row = api_tokens.find(db, token)
        if row is None:
            click.echo(f"no token {token!r} (see `mpaka tokens list`)", err=True)
            sys.exit(1)
        changed = api_tokens.revoke(db, row)
        db.add(AuditEntry(actor="cli", action="token.revoke", target=f"token:{row.id}",
                          detail={"prefix": row.prefix}))
        db.commit()
    click.echo(f"token {row.id} revoked" if changed else f"token {row.id} was already revoked")
