"""Early-warning incidents: reports of the same category in the same
sub-county within a window are grouped.  The threshold counts distinct
reporters, not reports (``decide.distinct_reporters``: one number is one
reporter however often it reports; each anonymous report is one): when they
reach it, one incident alert goes to the county team and the national desk;
later reports update both counts without a new alert until the reporters
double (3, 6, 12, ...)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.core import keys, texts
from gateway.core.services import Services
from gateway.defaults.kenya import county_code, sub_county_code
from gateway.routing import alerts, cap, decide
from gateway.store.models import Alert, Incident, IncidentPolicy, IncidentReport, Report, Team
from gateway.vocab import AlertKind, IncidentStatus, Priority


def policy(db, config, category: str) -> tuple[timedelta, int]:
    row = db.get(IncidentPolicy, category)
    if row is not None:
        return timedelta(hours=row.window_hours), row.threshold
    return timedelta(hours=config["INCIDENT_WINDOW_HOURS"]), config["INCIDENT_THRESHOLD"]


def observe(svc: Services, report_id: int) -> int | None:
    """Add the report to its incident (or open one); alert when due.  Idempotent."""
    now = svc.clock.now()
    with svc.db() as db:
        report = db.get(Report, report_id)
        if report is None or report.priority == Priority.LOW:
            return None
        group = f"{report.category}:{report.county}:{report.sub_county or '-'}"
        # Two reports of one group routed at once must land in one incident.
        with svc.redis.lock(keys.incident_lock(group), timeout=10, blocking_timeout=10):
            incident_id = _observe(svc, db, report, now)
    return incident_id


def _observe(svc, db, report: Report, now) -> int | None:
    linked = db.scalar(select(IncidentReport).where(IncidentReport.report_id == report.id))
    if linked is not None:
        return linked.incident_id
    window, threshold = policy(db, svc.config, report.category)
    at = report.created_at or now
    incident = db.scalar(
        select(Incident)
        .where(
            Incident.category == report.category,
            Incident.county == report.county,
            (
                Incident.sub_county == report.sub_county
                if report.sub_county
                else Incident.sub_county.is_(None)
            ),
            Incident.status == IncidentStatus.OPEN,
            Incident.last_report_at >= at - window,
        )
        .order_by(Incident.id.desc())
        .limit(1)
    )
    if incident is None:
        incident = Incident(
            category=report.category, county=report.county, sub_county=report.sub_county,
            report_count=0, reporter_count=0, alerted_count=0, first_report_at=at,
            last_report_at=at,
        )
        db.add(incident)
        db.flush()
    db.add(IncidentReport(incident_id=incident.id, report_id=report.id))
    incident.report_count += 1
    incident.reporter_count = decide.distinct_reporters(db.scalars(
        select(Report.reporter_hash).join(IncidentReport, IncidentReport.report_id == Report.id)
        .where(IncidentReport.incident_id == incident.id)))
    if at > incident.last_report_at:
        incident.last_report_at = at
    created = []
    if decide.incident_alert_due(reporter_count=incident.reporter_count,
                                 alerted_count=incident.alerted_count, threshold=threshold):
        created = _alert(svc, db, incident, window, now)
        incident.alerted_count = incident.reporter_count
    db.commit()
    for alert in created:
        db.refresh(alert)
        alert.deliveries  # noqa: B018 - load before the session closes
    alerts.dispatch(svc, created)
    return incident.id


def _alert(svc, db, incident: Incident, window, now) -> list[Alert]:
    references = list(
        db.scalars(
            select(Report.reference)
            .join(IncidentReport, IncidentReport.report_id == Report.id)
            .where(IncidentReport.incident_id == incident.id)
            .order_by(Report.id)
        )
    )
    active = {t.id: t for t in db.scalars(select(Team).where(Team.active.is_(True)))}
    teams = [active[i] for i in decide.incident_teams(active.values(), incident.county)]
    latest = db.scalar(
        select(Report).join(IncidentReport, IncidentReport.report_id == Report.id)
        .where(IncidentReport.incident_id == incident.id).order_by(Report.id.desc()).limit(1)
    )
    created = []
    for team in teams:
        labels = alerts.field_labels(svc, db, latest, team.language or "eng")
        body = texts.text(
            "incident", team.language, count=incident.report_count,
            reporters=incident.reporter_count, category=labels["category"],
            place=labels["place"], hours=int(window.total_seconds() // 3600),
            references=" ".join(references[-8:]), reference=references[-1],
        )
        alert = Alert(kind=AlertKind.INCIDENT, incident_id=incident.id, team_id=team.id,
                      level=incident.reporter_count, text=texts.fit(body, ""), created_at=now)
        db.add(alert)
        db.flush()
        alerts.add_deliveries(svc, db, alert, team, report_id=None, payload={
            "event": "incident.alert", "incident_id": incident.id,
            "category": incident.category, "county": incident.county,
            "sub_county": incident.sub_county, "county_code": county_code(incident.county),
            "sub_county_code": sub_county_code(incident.county, incident.sub_county),
            "count": incident.report_count,
            "reporters": incident.reporter_count,
            "references": references,
        }, cap_message=lambda: cap.latest(cap.incident_messages(
            alerts.cap_context(svc), db, incident, window=window, now=now)))
        created.append(alert)
    return created
