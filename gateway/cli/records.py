"""Listing commands for scripts and operators: JSON arrays on request.
Reporters' numbers are always masked here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from gateway.core.services import current_services
from gateway.defaults.kenya import county_code, sub_county_code
from gateway.ops.progress import progress
from gateway.privacy.masked import iso, masked_report
from gateway.routing import teams_csv
from gateway.store import ledger, queries
from gateway.store.models import Incident, IncidentReport, Message, Report, Team
from gateway.vocab import Direction


def _services():
    return current_services()


def _emit(rows: list[dict], as_json: bool, columns: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo("  ".join(str(row.get(c) if row.get(c) is not None else "-") for c in columns))


@click.group()
def reports():
    """Stored reports."""


@reports.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@click.option("--limit", default=100, show_default=True)
@with_appcontext
def list_reports(as_json, limit):
    """Reports, newest first."""
    svc = _services()
    protector = svc.protector
    with svc.db() as db:
        rows = db.scalars(select(Report).order_by(Report.id.desc()).limit(limit)).all()
        data = [masked_report(r, protector) for r in rows]
    _emit(data, as_json, ["reference", "created_at", "county", "category", "severity", "status"])


@click.group()
def messages():
    """The message ledger."""


@messages.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@click.option("--direction", type=click.Choice([str(d) for d in Direction]))
@click.option("--limit", default=100, show_default=True)
@with_appcontext
def list_messages(as_json, direction, limit):
    """Inbound and outbound messages, newest first; numbers masked."""
    svc = _services()
    protector = svc.protector
    with svc.db() as db:
        query = select(Message).order_by(Message.id.desc()).limit(limit)
        if direction:
            query = query.where(Message.direction == direction)
        data = [ledger.as_dict(m, protector=protector) for m in db.scalars(query)]
    _emit(data, as_json, ["created_at", "direction", "channel", "to", "status", "text"])


@click.group()
def teams():
    """County teams and their members."""


@teams.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@with_appcontext
def list_teams(as_json):
    """Teams with their members' names and numbers."""
    svc = _services()
    with svc.db() as db:
        data = [
            {
                "name": t.name, "tier": t.tier, "counties": t.counties, "language": t.language,
                "active": t.active,
                "members": [
                    {"name": m.name, "phone": m.phone, "channel": m.channel, "active": m.active}
                    for m in t.members
                ],
            }
            for t in db.scalars(select(Team).order_by(Team.id))
        ]
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for team in data:
        click.echo(f"{team['name']} ({team['tier']}): {', '.join(team['counties']) or 'all counties'}")
        for m in team["members"]:
            click.echo(f"    {m['name']}  {m['phone']}  {m['channel']}")


@teams.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_teams(path):
    """Import teams and members from CSV; nothing is imported if any row is bad."""
    svc = _services()
    with svc.db() as db:
        result = teams_csv.import_csv(db, path.read_text("utf-8-sig"),
                                      progress=lambda rows: progress(rows, "importing rows"))
    if result.errors:
        for error in result.errors:
            click.echo(error, err=True)
        click.echo(f"nothing imported: {len(result.errors)} bad row(s)", err=True)
        sys.exit(1)
    click.echo(f"imported {result.teams} team(s) and {result.members} member(s)")


@teams.command("export")
@with_appcontext
def export_teams():
    """Teams and members as CSV on standard output."""
    svc = _services()
    with svc.db() as db:
        click.echo(teams_csv.export_csv(db, progress=lambda t: progress(t, "exporting teams")),
                   nl=False)


@click.group()
def incidents():
    """Early-warning incidents."""


@incidents.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@with_appcontext
def list_incidents(as_json):
    """Incidents, newest first, with their reports' references (from two
    reports: a single report is not an incident, as in the console and API)."""
    svc = _services()
    with svc.db() as db:
        data = []
        listed = queries.incidents(queries.Scope(is_admin=True)).order_by(None)
        for inc in db.scalars(listed.order_by(Incident.id.desc())):
            refs = db.scalars(
                select(Report.reference).join(IncidentReport, IncidentReport.report_id == Report.id)
                .where(IncidentReport.incident_id == inc.id).order_by(Report.id)
            ).all()
            data.append({
                "id": inc.id, "category": inc.category, "county": inc.county,
                "sub_county": inc.sub_county, "county_code": county_code(inc.county),
                "sub_county_code": sub_county_code(inc.county, inc.sub_county),
                "status": inc.status,
                "report_count": inc.report_count, "reporter_count": inc.reporter_count,
                "alerted_at_count": inc.alerted_count,
                "references": refs, "first_report_at": iso(inc.first_report_at),
                "last_report_at": iso(inc.last_report_at),
            })
    _emit(data, as_json, ["id", "category", "county", "sub_county", "report_count",
                          "reporter_count", "status"])
