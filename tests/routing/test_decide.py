"""The routing decisions as tables: pure functions over plain data, no database."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gateway.routing import decide


@dataclass
class Rule:
    team_id: int
    county: str | None = None
    categories: tuple[str, ...] = ()
    min_severity: str | None = "low"
    active: bool = True


@dataclass
class Team:
    id: int
    tier: str = "county"
    counties: tuple[str, ...] = ()
    active: bool = True


TEAMS = {
    1: Team(1, "county", ("turkana",)),
    2: Team(2, "county", ("wajir",)),
    3: Team(3, "regional", ("turkana", "wajir")),
    4: Team(4, "national"),
    5: Team(5, "national", active=False),
    6: Team(6, "county", ("turkana",), active=False),
}


def choose(rules, county="turkana", category="armed_attack", severity="high", teams=None):
    return decide.teams_for_report(rules, teams or TEAMS, county=county, category=category,
                                   severity=severity)


@pytest.mark.parametrize(
    ("rules", "report", "expected"),
    [
        pytest.param([Rule(1, "turkana")], {}, [1], id="county rule"),
        pytest.param([Rule(2, "wajir")], {}, [4], id="no match: national desk"),
        pytest.param([Rule(3), Rule(1, "turkana")], {}, [3, 1], id="rule order kept"),
        pytest.param([Rule(1), Rule(1, "turkana")], {}, [1], id="a team once"),
        pytest.param([Rule(1, active=False)], {}, [4], id="disabled rule ignored"),
        pytest.param([Rule(6)], {}, [4], id="inactive team ignored"),
        pytest.param([Rule(6), Rule(1)], {}, [1], id="inactive team skipped, next rule counts"),
        pytest.param([Rule(99)], {}, [4], id="rule of a deleted team ignored"),
        pytest.param([Rule(1, categories=("terrorism",))], {}, [4], id="category not listed"),
        pytest.param([Rule(1, categories=("terrorism",))], {"category": "terrorism"}, [1],
                     id="category listed"),
        pytest.param([Rule(1, min_severity="high")], {"severity": "medium"}, [4],
                     id="below the rule's severity"),
        pytest.param([Rule(1, min_severity="medium")], {"severity": "medium"}, [1],
                     id="at the rule's severity"),
        pytest.param([Rule(1, min_severity="high")], {"severity": "high"}, [1],
                     id="at a high minimum"),
        pytest.param([Rule(1, min_severity="medium")], {"severity": "low"}, [4],
                     id="low below medium"),
        pytest.param([Rule(1, min_severity=None)], {"severity": "low"}, [1],
                     id="no minimum: any severity"),
        pytest.param([Rule(1, min_severity="high")], {"severity": "unknown"}, [4],
                     id="unknown severity ranks as medium"),
    ],
)
def test_teams_for_report(rules, report, expected):
    """Active rules of active teams in rule order, each team once; else the active desks."""
    assert choose(rules, **report) == expected


def test_no_desk_at_all_means_no_team():
    """With no active national desk and no match, the answer is empty (routing logs it)."""
    teams = {1: Team(1, "county", ("wajir",)), 5: Team(5, "national", active=False)}
    assert choose([Rule(1, "wajir")], teams=teams) == []


@pytest.mark.parametrize(
    ("severity", "policies", "expected"),
    [
        pytest.param("high", {"high": 5}, 5, id="the admin's policy"),
        pytest.param("high", {}, 10, id="the configured default"),
        pytest.param("low", {}, 60, id="no default: medium's"),
        pytest.param("urgent", {}, 60, id="unknown severity: medium's"),
        pytest.param("high", {"high": 0}, 0, id="a zero policy is kept"),
    ],
)
def test_deadline_minutes(severity, policies, expected):
    """The deadline comes from the policy, else the default for the severity, else medium's."""
    assert decide.deadline_minutes(severity, policies, {"high": 10, "medium": 60}) == expected


ESCALATION_TEAMS = [
    Team(1, "county", ("turkana",)),
    Team(3, "regional", ("wajir",)),
    Team(7, "regional", ("turkana",)),
    Team(8, "regional", ()),
    Team(9, "regional", ("turkana",), active=False),
    Team(4, "national"),
    Team(10, "national"),
]


@pytest.mark.parametrize(
    ("from_tier", "county", "teams", "expected"),
    [
        pytest.param("county", "turkana", ESCALATION_TEAMS, [7, 8], id="regional teams covering it"),
        pytest.param("regional", "turkana", ESCALATION_TEAMS, [4, 10], id="then the national desk"),
        pytest.param("national", "turkana", ESCALATION_TEAMS, [], id="nothing above national"),
        pytest.param("county", "busia", [Team(3, "regional", ("wajir",)), Team(4, "national")],
                     [4], id="no regional team covers: skip to national"),
        pytest.param("unknown", "turkana", ESCALATION_TEAMS, [1], id="unknown tier: from the bottom"),
        pytest.param("county", "turkana", [Team(9, "regional", ("turkana",), active=False)], [],
                     id="inactive teams never"),
    ],
)
def test_escalation_teams(from_tier, county, teams, expected):
    """The first higher tier with an active team covering the county (no counties: all)."""
    assert decide.escalation_teams(teams, from_tier=from_tier, county=county) == expected


@pytest.mark.parametrize(
    ("alert_ack", "report_ack", "status", "expected"),
    [
        pytest.param(False, False, "routed", None, id="unanswered: escalate"),
        pytest.param(True, False, "routed", "acknowledged", id="alert acknowledged"),
        pytest.param(False, True, "routed", "acknowledged", id="report acknowledged by another team"),
        pytest.param(False, False, "resolved", "closed", id="resolved"),
        pytest.param(False, False, "false_alarm", "closed", id="false alarm"),
        pytest.param(False, False, "investigating", None, id="investigating, unacknowledged"),
    ],
)
def test_escalation_stop(alert_ack, report_ack, status, expected):
    """An alert escalates unless it or its report was acknowledged, or the report is closed."""
    assert decide.escalation_stop(alert_acknowledged=alert_ack, report_acknowledged=report_ack,
                                  report_status=status) == expected


@pytest.mark.parametrize(
    ("reporters", "alerted", "threshold", "due"),
    [
        pytest.param(2, 0, 3, False, id="below the threshold"),
        pytest.param(3, 0, 3, True, id="at the threshold"),
        pytest.param(4, 3, 3, False, id="after an alert, below double"),
        pytest.param(6, 3, 3, True, id="doubled"),
        pytest.param(11, 6, 3, False, id="below the next doubling"),
        pytest.param(12, 6, 3, True, id="doubled again"),
        pytest.param(1, 0, 1, True, id="threshold of one"),
    ],
)
def test_incident_alert_due(reporters, alerted, threshold, due):
    """The first incident alert when the reporters reach the threshold, then each
    time their number doubles."""
    assert decide.incident_alert_due(reporter_count=reporters, alerted_count=alerted,
                                     threshold=threshold) is due


A, B, C = "hash-a", "hash-b", "hash-c"


@pytest.mark.parametrize(
    ("hashes", "reporters"),
    [
        pytest.param([], 0, id="no reports"),
        pytest.param([A], 1, id="one report"),
        pytest.param([A, A, A, A], 1, id="four reports from one number"),
        pytest.param([A, A, A, A, B, C], 3, id="four from one number plus two others"),
        pytest.param([None, None, None], 3, id="anonymous reports count once each"),
        pytest.param([A, A, None, None], 3, id="one number twice and two anonymous"),
        pytest.param([A, "", B], 3, id="an empty hash is anonymous"),
    ],
)
def test_distinct_reporters(hashes, reporters):
    """One reporter per number (hash); each anonymous report is a reporter of its own."""
    assert decide.distinct_reporters(hashes) == reporters


@pytest.mark.parametrize(
    ("hashes", "alerts_at"),
    [
        pytest.param([A, A, A, A, B, C], [6], id="one number four times: one alert, at 3 reporters"),
        pytest.param([A, B, C, None, None, None], [3, 6], id="six reporters: 3 then 6"),
        pytest.param([A] * 12, [], id="one number alone never alerts"),
    ],
)
def test_incident_alerts_follow_reporters_not_reports(hashes, alerts_at):
    """Replaying an incident's reports one by one through both decisions: the
    alerts fall at the report counts listed (threshold 3)."""
    alerted, fired = 0, []
    for n in range(1, len(hashes) + 1):
        reporters = decide.distinct_reporters(hashes[:n])
        if decide.incident_alert_due(reporter_count=reporters, alerted_count=alerted, threshold=3):
            alerted = reporters
            fired.append(n)
    assert fired == alerts_at


def test_incident_teams_are_the_county_teams_and_the_national_desk():
    """County teams of the incident's county and active national desks; not regional teams."""
    teams = [Team(1, "county", ("turkana",)), Team(2, "county", ("wajir",)),
             Team(3, "regional", ("turkana",)), Team(4, "national"),
             Team(5, "national", active=False), Team(6, "county", ("turkana",), active=False)]
    assert decide.incident_teams(teams, "turkana") == [1, 4]


@pytest.mark.parametrize(
    ("team", "county", "covered"),
    [
        pytest.param(Team(1, counties=()), "busia", True, id="no counties: all"),
        pytest.param(Team(1, counties=("busia",)), "busia", True, id="listed"),
        pytest.param(Team(1, counties=("wajir",)), "busia", False, id="not listed"),
    ],
)
def test_covers(team, county, covered):
    """A team covers its counties, or every county when it lists none."""
    assert decide.covers(team, county) is covered
