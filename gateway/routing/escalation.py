"""Escalation: when an alert's deadline passes unacknowledged, the next tier is
alerted and a further check is scheduled, up to the national desk.

Checks are RQ scheduled jobs (``enqueue_at``) kept in Redis, so a restarted
worker loses none; no cron and no polling loop.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from gateway.ops import metrics
from gateway.routing import dispatch as routing
from gateway.store.models import Alert, Report, ReportEvent, Team

log = logging.getLogger(__name__)


def covers(team: Team, county: str) -> bool:
    return not team.counties or county in team.counties


def next_tier_teams(db, report: Report, team: Team) -> list[Team]:
    """Active teams of the first higher tier that covers the report's county."""
    start = routing.TIERS.index(team.tier) + 1 if team.tier in routing.TIERS else 0
    for tier in routing.TIERS[start:]:
        teams = [
            t for t in db.scalars(
                select(Team).where(Team.tier == tier, Team.active.is_(True)).order_by(Team.id)
            )
            if covers(t, report.county)
        ]
        if teams:
            return teams
    return []


def check(svc, alert_id: int, *, now=None) -> dict:
    now = now or routing.now_utc()
    with svc.db() as db:
        alert = db.get(Alert, alert_id)
        if alert is None or alert.report_id is None:
            return {"alert_id": alert_id, "escalated": []}
        report = db.get(Report, alert.report_id)
        if alert.status == "acknowledged" or report.acknowledged_at is not None:
            return {"alert_id": alert_id, "escalated": [], "acknowledged": True}
        if report.status in ("resolved", "false_alarm"):
            return {"alert_id": alert_id, "escalated": [], "closed": True}
        created = []
        for team in next_tier_teams(db, report, alert.team):
            new = routing.create_alert(svc, db, report, team, level=alert.level + 1, now=now)
            if new is not None:
                created.append(new)
        if created:
            db.add(ReportEvent(
                report_id=report.id, kind="escalated", created_at=now,
                detail={"from": alert.team.name, "to": [a.team.name for a in created],
                        "level": alert.level + 1},
            ))
        db.commit()
        for new in created:
            db.refresh(new)
            new.deliveries  # noqa: B018 - load before the session closes
        result = {"alert_id": alert_id, "escalated": [a.id for a in created]}
        metrics.escalated(svc, created)
    routing.dispatch(svc, created)
    return result
