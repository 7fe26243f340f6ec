"""Routing decisions as pure functions over plain data: which teams a report
goes to, how long they have, who an unanswered alert escalates to, whether
an incident alert is due (counting reporters, not reports) and to whom.

Like the dialogue engine, this module does no I/O: the callers (``route``,
``escalation``, ``incidents``) load rows at the edges and pass them in; any
object with the named attributes will do (ORM rows in production, small
dataclasses in the table tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from gateway.vocab import ReportStatus, Severity, Tier


class RuleLike(Protocol):
    team_id: int
    county: str | None
    categories: Sequence[str] | None
    min_severity: str | None
    active: bool


class TeamLike(Protocol):
    id: int
    tier: str
    counties: Sequence[str] | None
    active: bool


def rule_matches(rule: RuleLike, *, county: str, category: str, severity: str) -> bool:
    """County (or any) × categories (or any) × at least the rule's severity."""
    if rule.county and rule.county != county:
        return False
    if rule.categories and category not in rule.categories:
        return False
    return Severity.rank_of(severity) >= Severity.rank_of(rule.min_severity, Severity.LOW)


def teams_for_report(
    rules: Iterable[RuleLike], teams: Mapping[int, TeamLike], *,
    county: str, category: str, severity: str,
) -> list[int]:
    """Ids of the active teams whose active rules match, in rule order, each
    once; the active national desks when none match (never nowhere)."""
    chosen: list[int] = []
    for rule in rules:
        team = teams.get(rule.team_id)
        if not rule.active or team is None or not team.active or rule.team_id in chosen:
            continue
        if rule_matches(rule, county=county, category=category, severity=severity):
            chosen.append(rule.team_id)
    return chosen or national_desks(teams.values())


def national_desks(teams: Iterable[TeamLike]) -> list[int]:
    return sorted(t.id for t in teams if t.active and t.tier == Tier.NATIONAL)


def deadline_minutes(severity: str, policies: Mapping[str, int], defaults: Mapping[str, int]) -> int:
    """Minutes an alert may wait for acknowledgement: the admin's policy for
    the severity, else the configured default for it, else medium's."""
    if severity in policies:
        return policies[severity]
    return defaults.get(severity) or defaults[Severity.MEDIUM]


def covers(team: TeamLike, county: str) -> bool:
    """A team without counties covers all of them."""
    return not team.counties or county in team.counties


def escalation_teams(teams: Iterable[TeamLike], *, from_tier: str, county: str) -> list[int]:
    """Ids of the active teams of the first tier above ``from_tier`` that has
    any covering ``county``; an unknown tier escalates from the bottom."""
    pool = sorted((t for t in teams if t.active), key=lambda t: t.id)
    tiers = Tier(from_tier).above() if from_tier in tuple(Tier) else tuple(Tier)
    for tier in tiers:
        ids = [t.id for t in pool if t.tier == tier and covers(t, county)]
        if ids:
            return ids
    return []


def escalation_stop(*, alert_acknowledged: bool, report_acknowledged: bool,
                    report_status: str) -> str | None:
    """Why an alert at its deadline must not escalate (``None``: escalate)."""
    if alert_acknowledged or report_acknowledged:
        return "acknowledged"
    if report_status in ReportStatus.closed():
        return "closed"
    return None


def distinct_reporters(reporter_hashes: Iterable[str | None]) -> int:
    """How many people sent an incident's reports: reports from one number
    (one reporter hash) count once; anonymous reports keep no hash, so each
    counts as one reporter."""
    hashes = list(reporter_hashes)
    return len({h for h in hashes if h}) + sum(1 for h in hashes if not h)


def incident_alert_due(*, reporter_count: int, alerted_count: int, threshold: int) -> bool:
    """The first alert when the distinct reporters reach the threshold, then
    each time their number doubles since the last alert (3, 6, 12, ...).
    ``alerted_count`` is the reporter count the last alert was raised at
    (0: none yet).  Many reports from one number raise nothing on their own."""
    due = threshold if alerted_count == 0 else alerted_count * 2
    return reporter_count >= due


def incident_teams(teams: Iterable[TeamLike], county: str) -> list[int]:
    """An incident goes to the county's own teams and the national desk."""
    return sorted(
        t.id for t in teams
        if t.active and (
            (t.tier == Tier.COUNTY and county in (t.counties or ())) or t.tier == Tier.NATIONAL
        )
    )
