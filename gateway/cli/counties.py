"""``mpaka counties ...``: Kenya's counties, and enabling one beyond the
script's (gateway.store.counties)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from gateway.defaults import kenya
from gateway.errors import ScriptNotFound
from gateway.store import counties as counties_store
from gateway.store import script_versions
from gateway.store.models import AuditEntry


@click.group()
def counties():
    """Kenya's 47 counties: list them, enable one in the dialogue script."""


@counties.command("list")
@with_appcontext
def list_counties():
    """Every county with its code, whether the live script lists it, and its sub-counties."""
    from gateway.core.services import current_services

    with current_services().db() as db:
        try:
            listed = counties_store.listed_counties(
                script_versions.parse_version(script_versions.live_row(db)))
        except ScriptNotFound:
            listed = set()
    for county in kenya.counties():
        mark = "enabled" if county.id in listed else "-"
        click.echo(f"{county.code}  {county.id:<18} {mark:<8} "
                   f"{len(county.sub_counties)} sub-counties")


@counties.command()
@click.argument("county_id")
@with_appcontext
def enable(county_id):
    """Add COUNTY_ID (e.g. garissa) and its sub-counties to a new DRAFT version of the
    script (built on the newest version, draft or live), with a disabled county team and routing rule to fill in.  Refused,
    nothing saved, when the draft would have lint errors (screens too long...)."""
    from gateway.core.services import current_services

    with current_services().db() as db:
        try:
            result = counties_store.enable(db, county_id.strip().lower(), actor="cli")
        except (counties_store.CountyError, ScriptNotFound) as exc:
            click.echo(f"not enabled: {exc}", err=True)
            for issue in getattr(exc, "issues", []):
                click.echo(f"  {issue.format()}", err=True)
            sys.exit(1)
        db.add(AuditEntry(actor="cli", action="county.enabled", target=result.county.id,
                          detail={"draft": result.draft.version,
                                  "team": result.team.name if result.team else None}))
        db.commit()
        click.echo(f"saved draft version {result.draft.version} of {result.draft.script_id} "
                   f"with {result.county.name} ({result.county.code}) and its "
                   f"{len(result.county.sub_counties)} sub-counties.")
        for issue in result.warnings:
            click.echo(f"  {issue.format()}")
        if result.team is not None:
            click.echo(f"created team {result.team.name!r} and a routing rule, both DISABLED: "
                       "add members in the console (Teams), then activate them.")
        click.echo("Try the draft in the console's simulator, then publish it. Until then "
                   f"reports from {result.county.name} come through \"Other county\" and go "
                   "to the national desk.")
