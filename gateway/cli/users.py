"""``mpaka users create|list``: console users from the command line."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from gateway.accounts import auth
from gateway.core.services import current_services
from gateway.store.models import User
from gateway.store.script_versions import live_vocabulary


@click.group()
def users():
    """Console users (admins and county officers)."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([str(role) for role in auth.ROLES]), required=True)
@click.option("--county", "counties", multiple=True,
              help="A county the officer works on (as the live script names it); repeat for several.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
@with_appcontext
def create(username, role, counties, password):
    """Create a console user."""
    known = live_vocabulary(current_services()).counties
    with current_services().db() as db:
        try:
            row = auth.create_user(db, username, password, role, counties, known)
        except ValueError as exc:
            click.echo(f"not created: {exc}", err=True)
            sys.exit(1)
        db.commit()
        click.echo(f"created {row.role} {row.username}"
                   + (f" for {', '.join(row.counties)}" if row.counties else ""))


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@with_appcontext
def list_users(as_json):
    """Console users with their role, counties and whether they are active."""
    with current_services().db() as db:
        data = [{"username": u.username, "role": u.role, "counties": u.counties or [],
                 "active": u.active} for u in db.scalars(select(User).order_by(User.username))]
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for u in data:
        click.echo(f"{u['username']}  {u['role']}  {','.join(u['counties']) or '-'}  "
                   f"{'active' if u['active'] else 'inactive'}")
