"""Operator commands: JSON listings, script checks, team CSV import and export,
queue status."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from gateway.cli.main import main
from gateway.defaults import default_script_text
from gateway.routing import incidents
from gateway.store.models import Report, Team, TeamMember
from tests.api.conftest import make_report
from tests.gateway.test_intake_ussd import INPUTS, PHONE, walk
from tests.helpers import land_ledger


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        result = runner.invoke(main, args=list(args), input=input)
        return result

    return invoke


def test_reports_list_json_has_every_field(client, cli):
    """`mpaka reports list --json` is an array whose report carries the documented fields."""
    walk(client, INPUTS)
    result = cli("reports", "list", "--json")
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)
    for field in ("reference", "channel", "language", "category", "county", "sub_county", "when",
                  "description", "contact_allowed", "severity", "status", "created_at"):
        assert field in report
    assert report["language"] == "swa" and report["channel"] == "ussd"
    assert PHONE not in result.output  # masked


def test_messages_list_json_filters_direction(client, svc, cli):
    """`mpaka messages list --json --direction in` lists inbound rows only, numbers masked."""
    walk(client, INPUTS[:2])
    land_ledger(svc)
    result = cli("messages", "list", "--json", "--direction", "in")
    rows = json.loads(result.output)
    assert rows and {r["direction"] for r in rows} == {"in"}
    for field in ("direction", "channel", "to", "from", "text", "status", "created_at"):
        assert field in rows[0]
    assert PHONE not in result.output
    assert rows[0]["from"].startswith("+254 7")


def test_scripts_check_passes_shipped_script(cli, tmp_path):
    """`mpaka scripts check` exits 0 on the shipped script."""
    path = tmp_path / "default.yaml"
    path.write_text(default_script_text(), "utf-8")
    result = cli("scripts", "check", str(path))
    assert result.exit_code == 0, result.output


def test_scripts_check_prints_what_a_report_costs(cli, tmp_path):
    """Per language and channel: messages, replies and SMS segments of a full report."""
    path = tmp_path / "default.yaml"
    path.write_text(default_script_text(), "utf-8")
    output = cli("scripts", "check", str(path)).output
    assert "cost sms swa, menu path: 8 messages from the reporter" in output
    assert "cost sms swa, one message path:" in output
    assert "cost ussd eng, menu path:" in output


def test_scripts_check_fails_on_errors_with_line_numbers(cli, tmp_path):
    """A script with an unknown next step fails with the line of the problem."""
    broken = default_script_text().replace("next: ", "next: nowhere_", 1)
    if broken == default_script_text():
        broken = default_script_text().replace("steps:", "steps:\n  - id: orphan\n    kind: end\n    next: nowhere", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(broken, "utf-8")
    result = cli("scripts", "check", str(path))
    assert result.exit_code == 1
    assert "line" in result.output


def test_teams_list_json_names_members_and_numbers(cli):
    """`mpaka teams list --json` lists each team with members' names and numbers."""
    teams = json.loads(cli("teams", "list", "--json").output)
    turkana = next(t for t in teams if t["name"] == "Turkana county team")
    assert [m["phone"] for m in turkana["members"]] == ["+254700000101", "+254700000102"]
    assert any(t["tier"] == "national" for t in teams)


GOOD_CSV = """team,tier,counties,language,member,phone,channel,active
Moyale border team,regional,marsabit;wajir,swa,Amina Roba,0712345678,whatsapp,yes
Moyale border team,regional,marsabit;wajir,swa,Guyo Wario,+254722345678,sms,yes
"""


def test_teams_import_creates_teams_and_members(cli, svc, tmp_path):
    """A valid CSV creates the team and its members with numbers in E.164."""
    path = tmp_path / "teams.csv"
    path.write_text(GOOD_CSV)
    result = cli("teams", "import", str(path))
    assert result.exit_code == 0, result.output
    with svc.db() as db:
        team = db.scalar(select(Team).where(Team.name == "Moyale border team"))
        assert team.tier == "regional" and team.counties == ["marsabit", "wajir"]
        assert [m.phone for m in team.members] == ["+254712345678", "+254722345678"]


def test_teams_import_reports_bad_rows_and_imports_nothing(cli, svc, tmp_path):
    """Bad rows are reported by line number and nothing at all is imported."""
    path = tmp_path / "teams.csv"
    path.write_text(GOOD_CSV + "Moyale border team,regional,marsabit,swa,No Number,12345,sms,yes\n"
                    "Moyale border team,galactic,marsabit,swa,Bad Tier,0733000111,fax,yes\n")
    with svc.db() as db:
        before = db.scalar(select(func.count()).select_from(TeamMember))
    result = cli("teams", "import", str(path))
    assert result.exit_code == 1
    assert "line 4:" in result.output and "line 5:" in result.output
    assert "tier 'galactic'" in result.output and "channel 'fax'" in result.output
    with svc.db() as db:
        assert db.scalar(select(func.count()).select_from(TeamMember)) == before
        assert db.scalar(select(Team).where(Team.name == "Moyale border team")) is None


def test_teams_export_round_trips(cli, tmp_path):
    """`teams export` writes a CSV that `teams import` accepts unchanged."""
    exported = cli("teams", "export").stdout
    assert exported.startswith("team,tier,counties")
    path = tmp_path / "export.csv"
    path.write_text(exported)
    result = cli("teams", "import", str(path))
    assert result.exit_code == 0, result.output


def test_queue_status_and_retry_failed(client, cli):
    """`queue status --json` shows queue depths; `queue retry-failed` answers with a count."""
    walk(client, INPUTS)
    rows = json.loads(cli("queue", "status", "--json").output)
    alerts = next(r for r in rows if r["queue"] == "alerts")
    assert alerts["queued"] == 1
    assert "requeued 0" in cli("queue", "retry-failed").output


def test_incidents_list_json(cli):
    """`incidents list --json` is a JSON array (empty when nothing clusters)."""
    assert json.loads(cli("incidents", "list", "--json").output) == []


def test_incidents_list_leaves_single_reports_out(cli, svc):
    """`incidents list` lists a group of two reports, not a single report."""
    for reference, category in (("R-CLI001", "terrorism"), ("R-CLI002", "terrorism"),
                                ("R-CLI003", "trafficking")):
        make_report(svc, reference=reference, category=category)
    with svc.db() as db:
        ids = list(db.scalars(select(Report.id).order_by(Report.id)))
    for report_id in ids:
        incidents.observe(svc, report_id)
    listed = json.loads(cli("incidents", "list", "--json").output)
    assert [i["references"] for i in listed] == [["R-CLI001", "R-CLI002"]]
