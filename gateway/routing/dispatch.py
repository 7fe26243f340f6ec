"""Routing a stored report to the teams that must act on it (the
``route_report`` job).

``route`` loads the rules and teams, lets ``decide.teams_for_report`` choose,
creates one alert per team (``alerts``), queues their sending and escalation
checks, then adds the report to its early-warning incident.  A report held
for review (or dismissed) is not routed: ``review.release`` makes it
routable first.  It is idempotent: running it twice or concurrently sends nothing twice.  A report
no rule matches goes to the national desk, never nowhere.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from gateway import tasks
from gateway.core.services import Services
from gateway.ops import logs, metrics
from gateway.routing import alerts, decide, incidents
from gateway.store.models import Report, ReportEvent, RoutingRule, Team
from gateway.vocab import EventKind, Priority, ReportStatus

log = logging.getLogger(__name__)


def matching_teams(db, report: Report) -> list[Team]:
    """Teams whose rules match, in rule order; the national desk when none do."""
    teams = {team.id: team for team in db.scalars(select(Team))}
    rules = db.scalars(select(RoutingRule).order_by(RoutingRule.id))
    ids = decide.teams_for_report(rules, teams, county=report.county,
                                  category=report.category, severity=report.severity)
    return [teams[i] for i in ids]


def route(svc: Services, report_id: int) -> dict:
    now = svc.clock.now()
    with svc.db() as db:
        report = db.get(Report, report_id)
        if report is None:
            log.warning("route: no report %s", report_id)
            return {"report_id": report_id, "alerts": []}
        if report.status in ReportStatus.under_review():
            # Held or dismissed: only an admin's release (``review``) routes it.
            log.info("route: report %s is %s, not routed", report_id, report.status)
            return {"report_id": report_id, "alerts": []}
        created = []
        for team in matching_teams(db, report):
            alert = alerts.create_alert(svc, db, report, team)
            if alert is not None:
                created.append(alert)
        logs.bind(reference=report.reference)
        if report.routed_at is None:
            metrics.report_routed(svc, report)
            report.routed_at = now
            if report.status == ReportStatus.RECEIVED:
                report.status = ReportStatus.ROUTED
        if created:
            db.add(ReportEvent(
                report_id=report.id, kind=EventKind.ROUTED, created_at=now,
                detail={"teams": [a.team.name for a in created]},
            ))
        db.commit()
        for alert in created:
            db.refresh(alert)
            alert.deliveries  # noqa: B018 - load before the session closes
        result = {"report_id": report_id, "alerts": [a.id for a in created]}
    log.info("report routed", extra={"report_id": report_id, "alerts": len(created)})
    alerts.dispatch(svc, created)
    incidents.observe(svc, report_id)
    return result


def unrouted(db, *, older_than: timedelta, now) -> list[int]:
    """Reports stored but never routed, older than the grace period; held
    reports wait for an admin's review instead."""
    return list(
        db.scalars(
            select(Report.id).where(
                Report.routed_at.is_(None),
                Report.priority != Priority.LOW,
                Report.created_at < now - older_than,
            )
        )
    )


def enqueue_unrouted(svc: Services) -> list[int]:
    """Reports stored but never routed (stored while Redis was down): route them."""
    grace = timedelta(seconds=svc.config["ROUTE_GRACE_SECONDS"])
    with svc.db() as db:
        ids = unrouted(db, older_than=grace, now=svc.clock.now())
    for report_id in ids:
        tasks.route_report(svc, report_id)
    return ids
