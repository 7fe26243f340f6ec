"""``/api/v1`` endpoints.  Every listing goes through the token user's
``Scope`` (``gateway.store.queries``), exactly as in the console: a county
officer's token sees only their counties, and a report outside them is
answered 404, as if it did not exist."""

from __future__ import annotations

import re

from flask import g, jsonify, request, url_for
from sqlalchemy import false, select, tuple_
from werkzeug.exceptions import NotFound

from gateway.core.protector import Protector
from gateway.core.references import normalise_reference
from gateway.core.services import current_services
from gateway.defaults.kenya import county_code, sub_county_code
from gateway.privacy.masked import masked_report
from gateway.routing import acks, casework, incidents, review
from gateway.store import ledger, queries
from gateway.store.models import (
    Alert,
    Attachment,
    AuditEntry,
    Delivery,
    Incident,
    IncidentEvent,
    IncidentReport,
    Message,
    Report,
    ReportEvent,
    Team,
)
from gateway.vocab import LEDGER_CHANNELS, AttachmentStatus, EventKind, IncidentStatus, ReportStatus
from gateway.web import attachments
from gateway.web.api import openapi
from gateway.web.api.common import (
    ApiError,
    bool_arg,
    bp,
    check_id,
    choice_arg,
    date_arg,
    db,
    decode_cursor,
    encode_cursor,
    iso,
    limit_arg,
    page,
    scope,
    text_arg,
)
from gateway.web.context import vocabulary
from handlers.phones import mask_phone

ACTION_STATUSES = ReportStatus.actions()


def protector() -> Protector:
    return current_services().protector


# -- representations ------------------------------------------------------------------


def report_json(report: Report) -> dict:
    data = {"id": report.id} | masked_report(report, protector())
    if not scope().is_admin:
        data["reporter"] = None  # even masked, the number is for admins only
    data["assigned_to"] = report.assignee.username if report.assignee is not None else None
    return data


def who(actor: str | None, detail: dict | None = None) -> str:
    """The actor named as the console names them (``queries.actor_name``)."""
    return queries.actor_name(db(), actor, (detail or {}).get("by"))


def timeline_json(report: Report) -> list[dict]:
    items = [{"at": iso(e.created_at), "kind": e.kind, "actor": e.actor,
              "who": who(e.actor, e.detail), "detail": e.detail or {}}
             for e in report.events]
    return items


def note_json(event: ReportEvent) -> dict:
    return {"id": event.id, "at": iso(event.created_at), "by": who(event.actor),
            "text": (event.detail or {}).get("text", "")}


def alert_json(alert: Alert) -> dict:
    return {
        "id": alert.id, "kind": alert.kind, "team": alert.team.name, "team_id": alert.team_id,
        "tier": alert.team.tier, "level": alert.level, "status": alert.status,
        "created_at": iso(alert.created_at), "deadline_at": iso(alert.deadline_at),
        "acknowledged_at": iso(alert.acknowledged_at),
        "acknowledged_by": who(alert.acknowledged_by) if alert.acknowledged_by else None,
        "deliveries": [
            {"channel": d.channel, "status": d.message.status if d.message else None,
             "error": d.message.error if d.message else None, "created_at": iso(d.created_at)}
            for d in db().scalars(select(Delivery).where(Delivery.alert_id == alert.id)
                                  .order_by(Delivery.id))
        ],
    }


def attachment_json(report: Report, row: Attachment) -> dict:
    stored = row.status == AttachmentStatus.STORED
    return {
        "id": row.key, "kind": row.kind, "content_type": row.content_type, "status": row.status,
        "size": row.size, "sha256": row.sha256, "created_at": iso(row.created_at),
        "url": url_for("api.report_attachment", reference=report.reference, key=row.key)
        if stored else None,
    }


def report_detail(report: Report) -> dict:
    alerts = db().scalars(select(Alert).where(Alert.report_id == report.id).order_by(Alert.id))
    return report_json(report) | {
        "timeline": timeline_json(report), "alerts": [alert_json(a) for a in alerts],
        "attachments": [attachment_json(report, row)
                        for row in attachments.of_report(db(), report)],
    }


def incident_json(incident: Incident) -> dict:
    refs = db().scalars(
        select(Report.reference).join(IncidentReport, IncidentReport.report_id == Report.id)
        .where(IncidentReport.incident_id == incident.id).order_by(Report.id)
    ).all()
    return {
        "id": incident.id, "category": incident.category, "county": incident.county,
        "sub_county": incident.sub_county, "county_code": county_code(incident.county),
        "sub_county_code": sub_county_code(incident.county, incident.sub_county),
        "status": incident.status,
        "report_count": incident.report_count, "reporter_count": incident.reporter_count,
        "references": list(refs),
        "first_report_at": iso(incident.first_report_at),
        "last_report_at": iso(incident.last_report_at), "created_at": iso(incident.created_at),
        "close_reason": incident.close_reason, "closed_at": iso(incident.closed_at),
        "merged_into_id": incident.merged_into_id,
    }


def team_json(team: Team) -> dict:
    reveal = scope().is_admin
    return {
        "id": team.id, "name": team.name, "tier": team.tier, "counties": list(team.counties or []),
        "language": team.language, "active": team.active,
        "members": [
            {"id": m.id, "name": m.name, "phone": m.phone if reveal else mask_phone(m.phone),
             "channel": m.channel, "active": m.active}
            for m in team.members
        ],
    }


# -- reports ------------------------------------------------------------------------------


def report_filters() -> queries.ReportFilters:
    """Validate the console's filters strictly (400 on a bad value), then build
    them with the console's own parser."""
    names = vocabulary()
    choice_arg("county", names.counties)
    choice_arg("sub_county", names.sub_counties)
    choice_arg("category", names.categories)
    choice_arg("severity", queries.SEVERITIES)
    choice_arg("status", queries.STATUSES)
    choice_arg("channel", queries.CHANNELS)
    choice_arg("language", names.languages)
    date_arg("since")
    date_arg("until")
    text_arg("q", 100)
    text_arg("assigned", 64)
    overdue = bool_arg("overdue")
    args = request.args.to_dict() | {"overdue": "true" if overdue else ""}
    return queries.ReportFilters.from_args(args, vocabulary=names, me=g.api_user.username)


@bp.get("/reports")
def list_reports():
    text_arg("q", 100)
    filters = report_filters()
    limit = limit_arg()
    position = decode_cursor("at", "id")
    query = queries.reports(scope(), filters, now=current_services().clock.now())
    if position:
        # The row-value form is an index condition on ix_reports_created_id;
        # "a < x OR (a = x AND b < y)" is only a filter.
        query = query.where(tuple_(Report.created_at, Report.id) < (position["at"], position["id"]))
    result = page(db().scalars(query.limit(limit + 1)).all(), limit,
                  lambda r: encode_cursor(at=r.created_at.isoformat(), id=r.id))
    return jsonify(data=[report_json(r) for r in result["rows"]], next_cursor=result["next_cursor"])


def visible_report(reference: str) -> Report:
    report = db().scalar(select(Report).where(Report.reference == normalise_reference(reference)))
    if report is None or not scope().may_see_county(report.county):
        raise ApiError(404, "not_found", f"no report {reference!r} that this token may see")
    return report


@bp.get("/reports/<reference>")
def get_report(reference):
    return jsonify(report_detail(visible_report(reference)))


@bp.get("/reports/<reference>/attachments/<key>")
def report_attachment(reference, key):
    """One photo, voice note or video of a report the token may see."""
    report = visible_report(reference)
    try:
        return attachments.file_response(db(), report, key, inline=False)
    except NotFound:
        raise ApiError(404, "not_found", "this report has no such attachment") from None


def audit(action: str, target: str, **detail) -> None:
    db().add(AuditEntry(actor=g.api_user.username, action=action, target=target,
                        detail={"via": "api"} | detail, address=(request.remote_addr or "")[:64]))


@bp.post("/reports/<reference>/acknowledge")
def acknowledge(reference):
    report = visible_report(reference)
    svc = current_services()
    user = g.api_user.username
    result = acks.acknowledge(svc, db(), report, actor=f"user:{user}", actor_name=user)
    audit("report.acknowledged", report.reference, first=result.first)
    db().commit()
    acks.queue_messages(svc, result.message_ids)
    return jsonify(first=result.first, report=report_detail(report))


@bp.post("/reports/<reference>/status")
def set_status(reference):
    report = visible_report(reference)
    body = request.get_json(silent=True)
    # Only the one documented key: an unknown one is a client's mistake (a typo
    # must not pass silently, as with query parameters).
    if not isinstance(body, dict) or set(body) != {"status"} or body["status"] not in ACTION_STATUSES:
        raise ApiError(400, "invalid_body",
                       'send JSON {"status": "investigating" | "resolved" | "false_alarm"}')
    previous, status = report.status, body["status"]
    report.status = status
    db().add(ReportEvent(report_id=report.id, kind=EventKind.STATUS, actor=f"user:{g.api_user.username}",
                         detail={"from": previous, "to": status}))
    audit("report.status", report.reference, previous=previous, status=status)
    db().commit()
    return jsonify(report_detail(report))


@bp.post("/reports/<reference>/assign")
def assign(reference):
    """Assign the report to an officer of its county or an admin (or to nobody)."""
    report = visible_report(reference)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != {"user"} \
            or not (body["user"] is None or isinstance(body["user"], str)):
        raise ApiError(400, "invalid_body", 'send JSON {"user": "<username>" | "me" | null}')
    username = g.api_user.username if body["user"] == queries.ASSIGNED_TO_ME else body["user"]
    try:
        changed = casework.assign(db(), report, username or None, actor=f"user:{g.api_user.username}",
                                  now=current_services().clock.now())
    except casework.NotAssignable as exc:
        db().rollback()
        raise ApiError(400, "not_assignable", str(exc)) from None
    if changed:
        audit("report.assigned", report.reference, to=username or None)
    db().commit()
    return jsonify(changed=changed, report=report_detail(report))


@bp.get("/reports/<reference>/notes")
def list_notes(reference):
    """The report's notes, oldest first."""
    report = visible_report(reference)
    return jsonify(data=[note_json(e) for e in casework.notes(report)], next_cursor=None)


@bp.post("/reports/<reference>/notes")
def add_note(reference):
    """Add a note to the report's timeline (audited)."""
    report = visible_report(reference)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != {"text"} or not isinstance(body["text"], str):
        raise ApiError(400, "invalid_body", 'send JSON {"text": "<1 to 2000 characters>"}')
    try:
        event = casework.add_note(db(), report, body["text"], actor=f"user:{g.api_user.username}",
                                  now=current_services().clock.now())
    except casework.InvalidNote as exc:
        raise ApiError(400, "invalid_body", str(exc)) from None
    audit("report.note", report.reference)
    db().commit()
    return jsonify(note_json(event)), 201


def _review(reference: str, action: str):
    if not scope().is_admin:
        raise ApiError(403, "forbidden", "only admins release or dismiss held reports")
    report = visible_report(reference)
    svc = current_services()
    try:
        result = getattr(review, action)(svc, db(), report, actor=f"user:{g.api_user.username}")
    except review.NotUnderReview as exc:
        db().rollback()
        raise ApiError(409, "conflict", str(exc)) from None
    audit(f"report.{result.action}", report.reference, changed=result.changed)
    db().commit()
    review.queue(svc, result)
    return jsonify(changed=result.changed, report=report_detail(report))


@bp.post("/reports/<reference>/release")
def release(reference):
    """Route a report held for review now (admins; idempotent)."""
    return _review(reference, "release")


@bp.post("/reports/<reference>/dismiss")
def dismiss(reference):
    """Keep a report held for review out of routing (admins; idempotent)."""
    return _review(reference, "dismiss")


# -- incidents, teams, ledger ---------------------------------------------------------------


@bp.get("/incidents")
def list_incidents():
    """Incidents of two or more reports (``queries.MIN_REPORTS``) or acted on."""
    county = choice_arg("county", vocabulary().counties)
    category = choice_arg("category", vocabulary().categories)
    status = choice_arg("status", queries.INCIDENT_STATUSES)
    limit = limit_arg()
    position = decode_cursor("id")
    query = queries.incidents(scope(), status=status, county=county, category=category) \
        .order_by(None).order_by(Incident.id.desc())
    if position:
        query = query.where(Incident.id < position["id"])
    result = page(db().scalars(query.limit(limit + 1)).all(), limit,
                  lambda i: encode_cursor(id=i.id))
    return jsonify(data=[incident_json(i) for i in result["rows"]],
                   next_cursor=result["next_cursor"])


def visible_incident(incident_id: int) -> Incident:
    check_id(incident_id, "incident")
    incident = db().get(Incident, incident_id)
    if incident is None or not scope().may_see_county(incident.county):
        raise ApiError(404, "not_found", f"no incident {incident_id} that this token may see")
    return incident


def incident_detail(incident: Incident) -> dict:
    reports = db().scalars(
        select(Report).join(IncidentReport, IncidentReport.report_id == Report.id)
        .where(IncidentReport.incident_id == incident.id).order_by(Report.created_at, Report.id))
    events = db().scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                          .order_by(IncidentEvent.id))
    return incident_json(incident) | {
        "reports": [{"reference": r.reference, "created_at": iso(r.created_at),
                     "severity": r.severity, "status": r.status, "place_name": r.place_name}
                    for r in reports],
        "timeline": [{"at": iso(e.created_at), "kind": e.kind, "actor": e.actor,
                      "detail": e.detail or {}} for e in events],
    }


@bp.get("/incidents/<int:incident_id>")
def get_incident(incident_id):
    return jsonify(incident_detail(visible_incident(incident_id)))


def body_of(*names: str, example: str) -> dict:
    """The JSON body with exactly these keys (a typo must not pass silently)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != set(names):
        raise ApiError(400, "invalid_body", f"send JSON {example}")
    return body


def text_field(body: dict, name: str, pattern: str, example: str) -> str:
    """A text the document's pattern allows (its length, no control characters),
    read as JSON Schema reads patterns (``re.search``)."""
    value = body[name]
    if not isinstance(value, str) or not re.search(pattern, value):
        raise ApiError(400, "invalid_body",
                       f"{name} must be text of up to {incidents.MAX_TEXT} characters, without "
                       f"spaces at either end or control characters: {example}")
    return value


def _incident_action(incident: Incident, action: str, do, **audited):
    """Run an officer's action, audit it, answer the incident; 409 when it does not apply."""
    try:
        result = do()
    except incidents.IncidentRefused as exc:
        db().rollback()
        raise ApiError(409, "conflict", str(exc)) from None
    if result is not False:
        audit(action, f"incident {incident.id}", **audited)
    db().commit()
    return jsonify(incident_detail(incident))


def _actor() -> str:
    return f"user:{g.api_user.username}"


def _reference_body(example: str) -> Report:
    body = body_of("reference", example=example)
    if not isinstance(body["reference"], str) or not re.search(
            openapi.REFERENCE["schema"]["pattern"], body["reference"]):
        raise ApiError(400, "invalid_body", f"send JSON {example}")
    return visible_report(body["reference"])


@bp.post("/incidents/<int:incident_id>/link")
def link_incident_report(incident_id):
    incident = visible_incident(incident_id)
    report = _reference_body('{"reference": "R-7KX2QM"}')
    now = current_services().clock.now()
    return _incident_action(incident, "incident.linked", lambda: incidents.link(
        db(), incident, report, actor=_actor(), now=now), reference=report.reference)


@bp.post("/incidents/<int:incident_id>/unlink")
def unlink_incident_report(incident_id):
    incident = visible_incident(incident_id)
    report = _reference_body('{"reference": "R-7KX2QM"}')
    now = current_services().clock.now()
    return _incident_action(incident, "incident.unlinked", lambda: incidents.unlink(
        db(), incident, report, actor=_actor(), now=now), reference=report.reference)


@bp.post("/incidents/<int:incident_id>/merge")
def merge_incident(incident_id):
    """Merge the incident named in the body into this one."""
    incident = visible_incident(incident_id)
    body = body_of("incident_id", example='{"incident_id": 12}')
    if type(body["incident_id"]) is not int:
        raise ApiError(400, "invalid_body", 'incident_id must be a whole number: {"incident_id": 12}')
    other = visible_incident(body["incident_id"])
    now = current_services().clock.now()
    return _incident_action(incident, "incident.merged", lambda: incidents.merge(
        db(), incident, other, actor=_actor(), now=now), merged=other.id)


@bp.post("/incidents/<int:incident_id>/close")
def close_incident(incident_id):
    incident = visible_incident(incident_id)
    example = '{"reason": "Patrol found the herders"}'
    reason = text_field(body_of("reason", example=example), "reason", openapi.REASON, example)
    now = current_services().clock.now()
    return _incident_action(incident, "incident.closed", lambda: incidents.close(
        db(), incident, reason, actor=_actor(), now=now), reason=reason)


@bp.post("/incidents/<int:incident_id>/status")
def set_incident_status(incident_id):
    incident = visible_incident(incident_id)
    body = body_of("status", example='{"status": "open" | "monitoring"}')
    if body["status"] not in IncidentStatus.active():
        raise ApiError(400, "invalid_body",
                       'send JSON {"status": "open" | "monitoring"} (close with /close and a reason)')
    previous = incident.status
    now = current_services().clock.now()
    return _incident_action(incident, "incident.status", lambda: incidents.set_status(
        db(), incident, body["status"], actor=_actor(), now=now),
        previous=previous, status=body["status"])


@bp.post("/incidents/<int:incident_id>/notes")
def add_incident_note(incident_id):
    incident = visible_incident(incident_id)
    example = '{"text": "Chief informed"}'
    text = text_field(body_of("text", example=example), "text", openapi.NOTE, example)
    now = current_services().clock.now()
    return _incident_action(incident, "incident.note", lambda: incidents.add_note(
        db(), incident, text, actor=_actor(), now=now))


def visible_teams():
    teams = db().scalars(select(Team).order_by(Team.id)).all()
    if scope().is_admin:
        return teams
    # A county officer sees the teams of their counties and those covering all.
    return [t for t in teams if not t.counties or set(t.counties) & scope().counties]


@bp.get("/teams")
def list_teams():
    return jsonify(data=[team_json(t) for t in visible_teams()], next_cursor=None)


@bp.get("/teams/<int:team_id>")
def get_team(team_id):
    check_id(team_id, "team")
    team = next((t for t in visible_teams() if t.id == team_id), None)
    if team is None:
        raise ApiError(404, "not_found", f"no team {team_id} that this token may see")
    return jsonify(team_json(team))


@bp.get("/messages")
def list_messages():
    direction = choice_arg("direction", ("in", "out"))
    channel = choice_arg("channel", tuple(LEDGER_CHANNELS))
    reference = text_arg("report", 16)
    limit = limit_arg()
    position = decode_cursor("id")
    query = select(Message).order_by(Message.id.desc())
    if direction:
        query = query.where(Message.direction == direction)
    if channel:
        query = query.where(Message.channel == channel)
    if reference:
        # The report first (unique index), then its rows by ``ix_messages_report``:
        # a subquery here let the planner walk the whole ledger backwards by id.
        report_id = db().scalar(select(Report.id).where(
            Report.reference == normalise_reference(reference)))
        query = query.where(Message.report_id == report_id) if report_id is not None \
            else query.where(false())
    if not scope().is_admin:
        # Officers see the messages about reports in their counties, nothing else.
        query = query.where(Message.report_id.in_(scope().reports(select(Report.id))))
    if position:
        query = query.where(Message.id < position["id"])
    result = page(db().scalars(query.limit(limit + 1)).all(), limit,
                  lambda m: encode_cursor(id=m.id))
    p = protector()
    # Officers: what was sent and when, never a number, not even masked.
    numbers = scope().is_admin
    return jsonify(data=[ledger.as_dict(m, protector=p, numbers=numbers) for m in result["rows"]],
                   next_cursor=result["next_cursor"])


@bp.get("/me")
def me():
    user = g.api_user
    return jsonify(username=user.username, role=user.role, counties=list(user.counties or []))


@bp.get("/openapi.json", endpoint="openapi")
def openapi_document():
    return jsonify(openapi.document(vocabulary()))
