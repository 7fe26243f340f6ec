"""Incidents for county teams: the list, one incident with its reports on a
timeline, and an officer's work on it (link or unlink a report, merge
another incident into it, monitoring, close with a reason, notes), each
audited.  Scoped like reports: an incident of another county is "Not found"."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from gateway.routing import incidents as work
from gateway.store import queries
from gateway.store.models import Incident, IncidentEvent, IncidentReport, Report
from gateway.vocab import IncidentEventKind, IncidentStatus
from gateway.web.context import vocabulary

from .common import (
    PAGE_SIZE,
    actor_label,
    args_without,
    audit,
    console_blueprint,
    db,
    label,
    now,
    page_number,
)
from .reports import visible_report

bp = console_blueprint("incidents")
#: The list's status choice: "active" (open or monitoring, the default) or one status.
STATUS_CHOICES = ("active", *queries.INCIDENT_STATUSES)
EVENT_TEXT = {
    IncidentEventKind.LINKED: "linked {reference}",
    IncidentEventKind.UNLINKED: "unlinked {reference}",
    IncidentEventKind.MERGED: "merged incident {incident} into this one",
    IncidentEventKind.MERGED_INTO: "merged this incident into incident {incident}",
    IncidentEventKind.STATUS: "set the status to {status}",
    IncidentEventKind.CLOSED: "closed it: {reason}",
    IncidentEventKind.NOTE: "noted: {text}",
}


def actor() -> str:
    return f"user:{current_user.username}"


def visible_incident(incident_id: int) -> Incident:
    incident = db().get(Incident, incident_id) if 1 <= incident_id <= 2**31 - 1 else None
    if incident is None or not current_user.scope.may_see_county(incident.county):
        abort(404, "There is no incident with this number.")
    return incident


def title(incident: Incident) -> str:
    """``Armed attack in Turkana West, Turkana``: what an incident is called."""
    place = label(incident.county)
    if incident.sub_county:
        place = f"{label(incident.sub_county)}, {place}"
    return f"{label(incident.category)} in {place}"


@bp.get("/incidents")
def index():
    chosen = request.args.get("status") or "active"
    if chosen not in STATUS_CHOICES:
        chosen = "active"
    names = vocabulary()
    county = request.args.get("county") if request.args.get("county") in names.counties else None
    category = (request.args.get("category")
                if request.args.get("category") in names.categories else None)
    query = queries.incidents(current_user.scope, active=chosen == "active",
                              status=None if chosen == "active" else chosen,
                              county=county, category=category)
    total = db().scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_number()
    rows = db().scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    scope = current_user.scope
    return render_template(
        "console/incidents.html", incidents=rows, total=total, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), paging=args_without("page"), chosen=chosen,
        statuses=STATUS_CHOICES, county=county, category=category, title=title, now=now(),
        counties=list(names.counties) if scope.is_admin else sorted(scope.counties),
        categories=list(names.categories), min_reports=queries.MIN_REPORTS)


def timeline(incident: Incident, reports: list[Report]) -> list[dict]:
    """The linked reports (when each was received) and the incident's own
    events, oldest first."""
    items = [{"at": r.created_at, "report": r, "who": None, "text": None} for r in reports]
    for event in db().scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                              .order_by(IncidentEvent.id)):
        detail = dict(event.detail or {})
        if "status" in detail:
            detail["status"] = label(detail["status"])
        text = EVENT_TEXT.get(event.kind, event.kind).format_map(_Missing(detail))
        items.append({"at": event.created_at, "report": None, "who": actor_label(event.actor),
                      "text": text, "kind": event.kind})
    return sorted(items, key=lambda item: item["at"])


class _Missing(dict):
    def __missing__(self, key):
        return "–"


def linked_reports(incident: Incident) -> list[Report]:
    return list(db().scalars(
        select(Report).join(IncidentReport, IncidentReport.report_id == Report.id)
        .where(IncidentReport.incident_id == incident.id).order_by(Report.created_at, Report.id)))


@bp.get("/incidents/<int:incident_id>")
def show(incident_id):
    incident = visible_incident(incident_id)
    reports = linked_reports(incident)
    candidates = []
    if incident.status != IncidentStatus.CLOSED:
        candidates = [i for i in db().scalars(
            queries.incidents(current_user.scope, active=True).limit(100)) if i.id != incident.id]
    places = sorted({r.place_name for r in reports if r.place_name})
    return render_template(
        "console/incident.html", incident=incident, reports=reports, title=title,
        timeline=timeline(incident, reports), candidates=candidates, places=places, now=now(),
        statuses=IncidentStatus.active(), closed=incident.status == IncidentStatus.CLOSED,
        merged_into=db().get(Incident, incident.merged_into_id) if incident.merged_into_id else None,
        min_reports=queries.MIN_REPORTS,
        listed=incident.report_count >= queries.MIN_REPORTS or incident.status != IncidentStatus.OPEN)


def _back(incident: Incident):
    return redirect(url_for("incidents.show", incident_id=incident.id))


def _refused(incident: Incident, exc: work.IncidentRefused):
    db().rollback()
    flash(f"Nothing was changed: {exc}.", "error")
    return _back(incident)


@bp.post("/incidents/<int:incident_id>/link")
def link(incident_id):
    incident = visible_incident(incident_id)
    reference = request.form.get("reference", "").strip()
    if not reference:
        flash("Type the reference of the report to link (e.g. R-7KX2QM).", "error")
        return _back(incident)
    report = visible_report(reference[:32])
    try:
        previous = work.link(db(), incident, report, actor=actor(), now=now())
    except work.IncidentRefused as exc:
        return _refused(incident, exc)
    audit("incident.linked", f"incident {incident.id}", reference=report.reference,
          moved_from=previous.id if previous is not None else None)
    db().commit()
    moved = f" (it left incident {previous.id})" if previous is not None else ""
    flash(f"{report.reference} is linked to this incident{moved}.")
    return _back(incident)


@bp.post("/incidents/<int:incident_id>/unlink")
def unlink(incident_id):
    incident = visible_incident(incident_id)
    report = visible_report(request.form.get("reference", "").strip()[:32] or "-")
    try:
        work.unlink(db(), incident, report, actor=actor(), now=now())
    except work.IncidentRefused as exc:
        return _refused(incident, exc)
    audit("incident.unlinked", f"incident {incident.id}", reference=report.reference)
    db().commit()
    flash(f"{report.reference} is no longer part of this incident.")
    return _back(incident)


@bp.post("/incidents/<int:incident_id>/merge")
def merge(incident_id):
    """Merge another incident (``other``) into this one."""
    incident = visible_incident(incident_id)
    try:
        other_id = int(request.form.get("other", ""))
    except ValueError:
        flash("Choose the incident to merge into this one.", "error")
        return _back(incident)
    other = visible_incident(other_id)
    try:
        moved = work.merge(db(), incident, other, actor=actor(), now=now())
    except work.IncidentRefused as exc:
        return _refused(incident, exc)
    audit("incident.merged", f"incident {incident.id}", merged=other.id, reports=moved)
    db().commit()
    flash(f"Incident {other.id} was merged into this one ({moved} reports moved); it is closed.")
    return _back(incident)


@bp.post("/incidents/<int:incident_id>/close")
def close(incident_id):
    incident = visible_incident(incident_id)
    try:
        work.close(db(), incident, request.form.get("reason"), actor=actor(), now=now())
    except work.IncidentRefused as exc:
        return _refused(incident, exc)
    audit("incident.closed", f"incident {incident.id}", reason=incident.close_reason)
    db().commit()
    flash("Incident closed.")
    return _back(incident)


@bp.post("/incidents/<int:incident_id>/status")
def set_status(incident_id):
    incident = visible_incident(incident_id)
    previous = incident.status
    try:
        changed = work.set_status(db(), incident, request.form.get("status", ""), actor=actor(),
                                  now=now())
    except work.IncidentRefused as exc:
        return _refused(incident, exc)
    if changed:
        audit("incident.status", f"incident {incident.id}", previous=previous,
              status=incident.status)
        db().commit()
    flash(f"Status: {label(incident.status)}.")
    return _back(incident)


@bp.post("/incidents/<int:incident_id>/note")
def add_note(incident_id):
    incident = visible_incident(incident_id)
    try:
        work.add_note(db(), incident, request.form.get("note"), actor=actor(), now=now())
    except work.IncidentRefused as exc:
        return _refused(incident, exc)
    audit("incident.note", f"incident {incident.id}")
    db().commit()
    flash("Note added.")
    return _back(incident)
