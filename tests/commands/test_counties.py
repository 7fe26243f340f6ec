"""Enabling a county (`mpaka counties enable`): a draft script with its
sub-counties, a disabled team and rule skeleton, refusals; then, published, a
report from it routed to the national desk until its team is switched on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.cli.main import main
from gateway.store import script_versions
from gateway.store.counties import listed_counties
from gateway.store.models import Alert, AuditEntry, Report, RoutingRule, ScriptVersion, Team
from tests.gateway.test_intake_places import only_report, post


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, args=list(args))


def versions(svc) -> int:
    with svc.db() as db:
        return db.scalar(select(func.count(ScriptVersion.id)))


def test_enable_saves_a_draft_with_the_county_and_its_sub_counties(cli, svc):
    """`mpaka counties enable garissa` stores a new draft (not live) listing Garissa with
    its six constituencies, and audits it."""
    result = cli("counties", "enable", "garissa")
    assert result.exit_code == 0, result.output
    with svc.db() as db:
        draft = db.scalars(select(ScriptVersion).order_by(ScriptVersion.version.desc())).first()
        assert (draft.status, draft.is_live) == ("draft", False)
        script = script_versions.parse_version(draft)
        assert "garissa" in listed_counties(script)
        assert script.lists["sub_counties"].values("garissa") == [
            "garissa_township", "balambala", "lagdera", "dadaab", "fafi", "ijara", "unknown"]
        assert "garissa" not in listed_counties(
            script_versions.parse_version(script_versions.live_row(db)))
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "county.enabled"))


def test_enable_offers_a_disabled_team_and_rule(cli, svc):
    """The county gets a team and a routing rule, both disabled and the team empty."""
    assert cli("counties", "enable", "garissa").exit_code == 0
    with svc.db() as db:
        team = db.scalar(select(Team).where(Team.name == "Garissa county team"))
        assert (team.tier, team.counties, team.active, team.members) == (
            "county", ["garissa"], False, [])
        rule = db.scalar(select(RoutingRule).where(RoutingRule.team_id == team.id))
        assert (rule.county, rule.active) == ("garissa", False)


@pytest.mark.parametrize(("county", "why"), [("wajir", "already enabled"),
                                             ("atlantis", "no county")])
def test_enable_refuses_and_saves_nothing(cli, svc, county, why):
    """An enabled or unknown county is refused with the reason; no version is stored."""
    before = versions(svc)
    result = cli("counties", "enable", county)
    assert result.exit_code == 1
    assert why in result.output
    assert versions(svc) == before


def test_a_second_county_merges_into_the_same_lists_block(cli, svc):
    """Enabling two counties one after the other keeps both in the newest draft."""
    assert cli("counties", "enable", "garissa").exit_code == 0
    with svc.db() as db:
        script_versions.publish(svc, db, db.scalars(
            select(ScriptVersion).order_by(ScriptVersion.version.desc())).first(), "test")
        db.commit()
    assert cli("counties", "enable", "isiolo").exit_code == 0
    with svc.db() as db:
        draft = db.scalars(select(ScriptVersion).order_by(ScriptVersion.version.desc())).first()
        assert draft.body.count("\nlists:") == 1
        assert {"garissa", "isiolo"} <= listed_counties(script_versions.parse_version(draft))


def test_counties_enabled_before_one_publish_all_land_in_the_newest_draft(cli, svc):
    """Enabling builds on the newest version, draft or live: three counties enabled
    one after the other, none published, are all in the last draft."""
    for county in ("garissa", "isiolo", "nairobi"):
        assert cli("counties", "enable", county).exit_code == 0
    with svc.db() as db:
        draft = db.scalars(select(ScriptVersion).order_by(ScriptVersion.version.desc())).first()
        assert {"garissa", "isiolo", "nairobi"} <= listed_counties(
            script_versions.parse_version(draft))
    assert "already enabled" in cli("counties", "enable", "isiolo").output


def test_list_shows_codes_and_which_are_enabled(cli):
    """`mpaka counties list` prints the 47 counties with codes; the script's five are enabled."""
    result = cli("counties", "list")
    lines = result.output.splitlines()
    assert len(lines) == 47
    assert any(line.startswith("008  wajir") and "enabled" in line for line in lines)
    assert any(line.startswith("007  garissa") and "enabled" not in line for line in lines)


def test_published_county_asks_its_sub_county_and_goes_to_the_national_desk(
        cli, app, svc, run_worker):
    """Once the draft is published, a report names Garissa and Dadaab; its team is
    still disabled, so the national desk gets it; the report carries both codes."""
    app.config["TWILIO_AUTH_TOKEN"] = "twilio-test-token"
    signed = app.test_client()
    assert cli("counties", "enable", "garissa").exit_code == 0
    with svc.db() as db:
        script_versions.publish(svc, db, db.scalars(
            select(ScriptVersion).order_by(ScriptVersion.version.desc())).first(), "test")
        db.commit()
    for answer in ["REPORT", "5", "Garissa", "Dadaab", "1", "Cattle raiders with guns", "2"]:
        post(signed, answer, whatsapp=False)
    post(signed, "1", whatsapp=False)
    report = only_report(svc)
    assert (report.county, report.sub_county) == ("garissa", "dadaab")
    run_worker()
    with svc.db() as db:
        assert [a.team.name for a in db.scalars(select(Alert))] == ["National desk"]
    reference = report.reference
    from gateway.privacy.masked import masked_report

    with svc.db() as db:
        row = db.scalar(select(Report).where(Report.reference == reference))
        shown = masked_report(row, svc.protector)
    assert (shown["county_code"], shown["sub_county_code"]) == ("007", "030")
