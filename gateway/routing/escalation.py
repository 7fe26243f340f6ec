"""Escalation: when an alert's deadline passes unacknowledged, the next tier is
alerted and a further check is scheduled, up to the national desk.

Checks are RQ scheduled jobs (``enqueue_at``) kept in Redis, so a restarted
worker loses none; no cron and no polling loop.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from gateway.core.services import Services
from gateway.ops import metrics
from gateway.routing import alerts, decide
from gateway.store.models import Alert, Report, ReportEvent, Team
from gateway.vocab import AlertStatus, EventKind

log = logging.getLogger(__name__)


def next_tier_teams(db, report: Report, team: Team) -> list[Team]:
    """Active teams of the first higher tier that covers the report's county."""
    teams = {t.id: t for t in db.scalars(select(Team).where(Team.active.is_(True)))}
    ids = decide.escalation_teams(teams.values(), from_tier=team.tier, county=report.county)
    return [teams[i] for i in ids]


def check(svc: Services, alert_id: int) -> dict:
    now = svc.clock.now()
    with svc.db() as db:
        alert = db.get(Alert, alert_id)
        if alert is None or alert.report_id is None:
            return {"alert_id": alert_id, "escalated": []}
        report = db.get(Report, alert.report_id)
        stop = decide.escalation_stop(
            alert_acknowledged=alert.status == AlertStatus.ACKNOWLEDGED,
            report_acknowledged=report.acknowledged_at is not None,
            report_status=report.status,
        )
        if stop is not None:
            return {"alert_id": alert_id, "escalated": [], stop: True}
        created = []
        for team in next_tier_teams(db, report, alert.team):
            new = alerts.create_alert(svc, db, report, team, level=alert.level + 1)
            if new is not None:
                created.append(new)
        if created:
            db.add(ReportEvent(
                report_id=report.id, kind=EventKind.ESCALATED, created_at=now,
                detail={"from": alert.team.name, "to": [a.team.name for a in created],
                        "level": alert.level + 1},
            ))
        db.commit()
        for new in created:
            db.refresh(new)
            new.deliveries  # noqa: B018 - load before the session closes
        result = {"alert_id": alert_id, "escalated": [a.id for a in created]}
        metrics.escalated(svc, created)
    alerts.dispatch(svc, created)
    return result
