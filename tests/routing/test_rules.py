"""Rule matching as a table, including no match → national desk."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.routing import decide
from gateway.routing import dispatch as routing
from gateway.store.models import Report, RoutingRule, Team


def rule(county=None, categories=(), min_severity="low"):
    return RoutingRule(county=county, categories=list(categories), min_severity=min_severity, team_id=1)


def report(county="turkana", category="armed_attack", severity="high"):
    return Report(county=county, category=category, severity=severity)


@pytest.mark.parametrize(
    ("the_rule", "the_report", "matches"),
    [
        pytest.param(rule(), report(), True, id="any county, any category"),
        pytest.param(rule(county="turkana"), report(), True, id="same county"),
        pytest.param(rule(county="wajir"), report(), False, id="other county"),
        pytest.param(rule(categories=["armed_attack", "terrorism"]), report(), True, id="category listed"),
        pytest.param(rule(categories=["trafficking"]), report(), False, id="category not listed"),
        pytest.param(rule(min_severity="high"), report(severity="high"), True, id="severity equal"),
        pytest.param(rule(min_severity="medium"), report(severity="low"), False, id="severity below"),
        pytest.param(rule(min_severity="low"), report(severity="medium"), True, id="severity above"),
        pytest.param(rule(county="busia", categories=["goods_smuggling"], min_severity="medium"),
                     report(county="busia", category="goods_smuggling", severity="medium"), True,
                     id="all three match"),
    ],
)
def test_rule_matches(the_rule, the_report, matches):
    """A rule matches on county (or any), category set (or any) and minimum severity."""
    assert decide.rule_matches(the_rule, county=the_report.county, category=the_report.category,
                               severity=the_report.severity) is matches


def test_seeded_rules_send_county_reports_to_the_county_team(svc):
    """With the demo rules, a Turkana report goes to the Turkana county team."""
    with svc.db() as db:
        teams = routing.matching_teams(db, report())
    assert [t.name for t in teams] == ["Turkana county team"]


def test_terrorism_also_goes_to_the_national_desk(svc):
    """The demo rules send terrorism to the county team and the national desk."""
    with svc.db() as db:
        teams = routing.matching_teams(db, report(category="terrorism"))
    assert [t.name for t in teams] == ["Turkana county team", "National desk"]


def test_no_matching_rule_goes_to_the_national_desk(svc):
    """A report no rule matches (county "other") goes to the national desk, never nowhere."""
    with svc.db() as db:
        teams = routing.matching_teams(db, report(county="other"))
    assert [t.name for t in teams] == ["National desk"]


def test_inactive_team_is_skipped(svc):
    """A deactivated team receives nothing; with no other match, the national desk does."""
    with svc.db() as db:
        db.scalar(select(Team).where(Team.name == "Wajir county team")).active = False
        db.commit()
        teams = routing.matching_teams(db, report(county="wajir"))
    assert [t.name for t in teams] == ["National desk"]
