"""Early-warning incidents: reports of the same category in the same
sub-county within a window are grouped.  The threshold counts distinct
reporters, not reports (``decide.distinct_reporters``: one number is one
reporter however often it reports; each anonymous report is one): when they
reach it, one incident alert goes to the county team and the national desk;
later reports update both counts without a new alert until the reporters
double (3, 6, 12, ...).

Officers work on them (console and API, both audited by the caller): link a
report to an incident or unlink it, merge two (the reports move, the other
is closed as merged), set them to monitoring, close them with a reason, and
add notes; each is recorded on the incident's own timeline
(``IncidentEvent``).  An incident of one report is a grouping row, not yet
an incident: listings show those with at least ``MIN_REPORTS`` reports
(``gateway.store.queries.incidents``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.core import keys, texts
from gateway.core.services import Services
from gateway.defaults.kenya import county_code, sub_county_code
from gateway.errors import MpakaError
from gateway.routing import alerts, cap, decide
from gateway.store.models import (
    Alert,
    Incident,
    IncidentEvent,
    IncidentPolicy,
    IncidentReport,
    Report,
    Team,
)
from gateway.vocab import AlertKind, IncidentEventKind, IncidentStatus, Priority

#: Longest close reason or note an officer may write.
MAX_TEXT = 500
MIN_REASON = 5


class IncidentRefused(MpakaError):
    """An incident action that does not apply now (merging an incident into
    itself, linking to a closed one, closing without a reason); the message
    says why and nothing was changed."""


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
            Incident.status.in_(IncidentStatus.active()),
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
    db.flush()
    recount(db, incident)
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
            "reporters": incident.reporter_count, "status": incident.status,
            "first_report_at": incident.first_report_at.isoformat(),
            "last_report_at": incident.last_report_at.isoformat(),
            "references": references,
        }, cap_message=lambda: cap.latest(cap.incident_messages(
            alerts.cap_context(svc), db, incident, window=window, now=now)))
        created.append(alert)
    return created


# -- officers' work ------------------------------------------------------------------


def recount(db, incident: Incident) -> None:
    """Report and distinct-reporter counts, first and last report times, from
    the linked reports (after any change to the links; the caller flushed)."""
    rows = db.execute(
        select(Report.reporter_hash, Report.created_at)
        .join(IncidentReport, IncidentReport.report_id == Report.id)
        .where(IncidentReport.incident_id == incident.id)).all()
    incident.report_count = len(rows)
    incident.reporter_count = decide.distinct_reporters(r.reporter_hash for r in rows)
    if rows:
        incident.first_report_at = min(r.created_at for r in rows)
        incident.last_report_at = max(r.created_at for r in rows)


def _event(db, target: Incident, kind: IncidentEventKind, actor: str, now, **detail) -> None:
    db.add(IncidentEvent(incident_id=target.id, kind=kind, actor=actor, detail=detail,
                         created_at=now))


def _open_for_changes(incident: Incident) -> None:
    if incident.status == IncidentStatus.CLOSED:
        raise IncidentRefused(f"incident {incident.id} is closed")


def incident_of(db, report: Report) -> Incident | None:
    """The incident a report is linked to, if any."""
    return db.scalar(select(Incident).join(IncidentReport, IncidentReport.incident_id == Incident.id)
                     .where(IncidentReport.report_id == report.id))


def link(db, incident: Incident, report: Report, *, actor: str, now) -> Incident | None:
    """Link ``report`` to ``incident``; a report belongs to one incident at a
    time, so it leaves the one it was in (returned, recounted).  Linking a
    report already there changes nothing (None is returned)."""
    _open_for_changes(incident)
    if report.county != incident.county:
        # Its county's officers would lose sight of it, another county's would see it.
        raise IncidentRefused(f"{report.reference} is a report of another county: an incident "
                              "holds the reports of its own county only")
    previous = incident_of(db, report)
    if previous is not None and previous.id == incident.id:
        return None
    if previous is not None:
        db.execute(IncidentReport.__table__.delete().where(
            IncidentReport.report_id == report.id))
        _event(db, previous, IncidentEventKind.UNLINKED, actor, now, reference=report.reference,
               moved_to=incident.id)
    db.add(IncidentReport(incident_id=incident.id, report_id=report.id))
    _event(db, incident, IncidentEventKind.LINKED, actor, now, reference=report.reference,
           moved_from=previous.id if previous is not None else None)
    db.flush()
    for changed in (incident, previous):
        if changed is not None:
            recount(db, changed)
    return previous


def unlink(db, incident: Incident, report: Report, *, actor: str, now) -> None:
    """Take ``report`` out of ``incident`` (it is in no incident afterwards)."""
    _open_for_changes(incident)
    linked = db.scalar(select(IncidentReport).where(IncidentReport.incident_id == incident.id,
                                                    IncidentReport.report_id == report.id))
    if linked is None:
        raise IncidentRefused(f"{report.reference} is not linked to incident {incident.id}")
    db.delete(linked)
    _event(db, incident, IncidentEventKind.UNLINKED, actor, now, reference=report.reference)
    db.flush()
    recount(db, incident)


def merge(db, into: Incident, other: Incident, *, actor: str, now) -> int:
    """Move every report of ``other`` into ``into``; ``other`` is closed as
    merged.  Returns how many reports moved."""
    if into.id == other.id:
        raise IncidentRefused("an incident cannot be merged into itself")
    if into.county != other.county:
        raise IncidentRefused(f"incident {other.id} is of another county: only incidents of "
                              "the same county are merged")
    _open_for_changes(into)
    _open_for_changes(other)
    moved = list(db.scalars(select(Report.reference)
                            .join(IncidentReport, IncidentReport.report_id == Report.id)
                            .where(IncidentReport.incident_id == other.id).order_by(Report.id)))
    db.execute(IncidentReport.__table__.update()
               .where(IncidentReport.incident_id == other.id).values(incident_id=into.id))
    other.status = IncidentStatus.CLOSED
    other.merged_into_id = into.id
    other.closed_at = now
    other.close_reason = f"Merged into incident {into.id}"
    # The merged incident's alerts were sent already: the doubling counts on.
    into.alerted_count = max(into.alerted_count, other.alerted_count)
    _event(db, into, IncidentEventKind.MERGED, actor, now, incident=other.id, references=moved)
    _event(db, other, IncidentEventKind.MERGED_INTO, actor, now, incident=into.id,
           references=moved)
    db.flush()
    recount(db, into)
    recount(db, other)
    return len(moved)


def check_text(text: str | None, what: str, minimum: int = 1) -> str:
    value = (text or "").strip()
    if not minimum <= len(value) <= MAX_TEXT:
        raise IncidentRefused(f"write {what} of {minimum} to {MAX_TEXT} characters")
    return value


def close(db, incident: Incident, reason: str | None, *, actor: str, now) -> None:
    """Close the incident, saying why (no new report joins a closed one)."""
    _open_for_changes(incident)
    reason = check_text(reason, "a reason", MIN_REASON)
    previous = incident.status
    incident.status = IncidentStatus.CLOSED
    incident.close_reason = reason
    incident.closed_at = now
    _event(db, incident, IncidentEventKind.CLOSED, actor, now, reason=reason, previous=previous)


def set_status(db, incident: Incident, status: str, *, actor: str, now) -> bool:
    """Open or monitoring (closing needs a reason: ``close``).  A closed incident
    stays closed: its cancellation went out on the CAP feed and to agencies, whose
    copies never change; new reports of the group open a new incident.  False
    when nothing changed."""
    if status not in IncidentStatus.active():
        raise IncidentRefused("the status must be open or monitoring (close with a reason)")
    if incident.merged_into_id is not None:
        raise IncidentRefused(f"incident {incident.id} was merged into incident "
                              f"{incident.merged_into_id}: work on that one")
    if incident.status == IncidentStatus.CLOSED:
        raise IncidentRefused(f"incident {incident.id} is closed for good (its cancellation was "
                              "published); new reports of the group open a new incident")
    if incident.status == status:
        return False
    previous = incident.status
    incident.status = status
    _event(db, incident, IncidentEventKind.STATUS, actor, now, previous=previous, status=status)
    return True


def add_note(db, incident: Incident, text: str | None, *, actor: str, now) -> str:
    note = check_text(text, "a note")
    _event(db, incident, IncidentEventKind.NOTE, actor, now, text=note)
    return note
