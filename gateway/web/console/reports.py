"""Reports for county teams: the list (and its CSV), one report with its
timeline and actions, and the overview.  Every query goes through the user's
``Scope``; a report outside it is refused."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from gateway.core.protector import Protector
from gateway.core.references import normalise_reference
from gateway.core.services import current_services
from gateway.routing import acks, review
from gateway.store import queries
from gateway.store.models import Alert, Delivery, Report, ReportEvent
from gateway.vocab import AlertStatus, EventKind, ReportStatus
from gateway.web.context import vocabulary
from handlers.phones import mask_phone

from . import overview as overview_module
from .common import PAGE_SIZE, args_without, audit, console_blueprint, db, now, page_number

bp = console_blueprint("reports")
ACTION_STATUSES = ReportStatus.actions()
CSV_COLUMNS = ("reference", "created_at", "county", "sub_county", "place_name", "latitude",
               "longitude", "category", "severity",
               "status", "channel", "language", "when", "description", "acknowledged_at")


def overdue_ids(report_ids) -> set[int]:
    """Reports with an alert still pending past its deadline."""
    if not report_ids:
        return set()
    return set(db().scalars(select(Alert.report_id).where(
        Alert.report_id.in_(report_ids), Alert.status == AlertStatus.PENDING, Alert.deadline_at < now())))


def report_filters() -> queries.ReportFilters:
    names = vocabulary()
    return queries.ReportFilters.from_args(request.args, counties=names.counties,
                                           categories=names.categories)


@bp.get("/reports")
def index():
    scope = current_user.scope
    filters = report_filters()
    query = queries.reports(scope, filters, now=now())
    total = db().scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_number()
    rows = db().scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "console/reports.html", reports=rows, total=total, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), overdue=overdue_ids([r.id for r in rows]),
        filters=filters, args=request.args, paging=args_without("page"), now=now(),
        counties=list(vocabulary().counties) if scope.is_admin else sorted(scope.counties),
        categories=list(vocabulary().categories), severities=queries.SEVERITIES, statuses=queries.STATUSES,
    )


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    if isinstance(value, float):  # a coordinate: "-0.303" is a number, not a formula
        return repr(value)
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/reports.csv")
def export():
    filters = report_filters()
    rows = db().scalars(queries.reports(current_user.scope, filters, now=now())).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for report in rows:
        writer.writerow([_cell(getattr(report, c)) for c in CSV_COLUMNS])
    audit("reports.export", None, rows=len(rows), filters=args_without("page"))
    db().commit()
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=mpaka-reports-{now():%Y%m%d-%H%M}.csv"})


def visible_report(reference: str) -> Report:
    report = db().scalar(select(Report).where(Report.reference == normalise_reference(reference)))
    # Another county's report answers exactly as a missing one, so an officer
    # cannot learn that a reference exists (as the API does).
    if report is None or not current_user.scope.may_see_county(report.county):
        abort(404, "There is no report with this reference.")
    return report


def timeline(report: Report) -> list[dict]:
    """Events and deliveries of a report, oldest first."""
    items = [{"at": e.created_at, "kind": e.kind, "actor": e.actor, "detail": e.detail or {}}
             for e in report.events]
    deliveries = db().scalars(
        select(Delivery).join(Alert).where(Alert.report_id == report.id).order_by(Delivery.id))
    for d in deliveries:
        message = d.message
        items.append({
            "at": d.created_at, "kind": "delivery", "actor": None,
            "detail": {"team": d.alert.team.name, "channel": d.channel,
                       "status": message.status if message else "sent to endpoint",
                       "error": message.error if message else None},
        })
    return sorted(items, key=lambda item: item["at"])


@bp.get("/reports/held")
def held():
    """Reports held for review: admins release or dismiss them; county
    officers see those of their counties, without the actions."""
    query = queries.held(current_user.scope)
    total = db().scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_number()
    rows = db().scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("console/held.html", reports=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), paging=args_without("page"),
                           now=now())


def held_count() -> int:
    """For the navigation: held reports within the user's scope."""
    return queries.held_count(db(), current_user.scope)


def _review(reference: str, action: str):
    if not current_user.is_admin:
        abort(403, "Only admins release or dismiss held reports.")
    report = visible_report(reference)
    svc = current_services()
    try:
        result = getattr(review, action)(svc, db(), report, actor=f"user:{current_user.username}")
    except review.NotUnderReview:
        db().rollback()
        flash(f"{report.reference} is not held for review: nothing was changed.", "error")
        return redirect(url_for("reports.show", reference=report.reference))
    audit(f"report.{result.action}", report.reference, changed=result.changed)
    db().commit()
    review.queue(svc, result)
    done = "released: it is being routed" if action == "release" else "dismissed: it will not be routed"
    flash(f"{report.reference} {done}." if result.changed
          else f"{report.reference} was already {result.action}.")
    if request.form.get("back") == "report":
        return redirect(url_for("reports.show", reference=report.reference))
    return redirect(url_for("reports.held"))


@bp.post("/reports/<reference>/release")
def release(reference):
    """Route a held report now (admins)."""
    return _review(reference, "release")


@bp.post("/reports/<reference>/dismiss")
def dismiss(reference):
    """Keep a held report out of routing (admins)."""
    return _review(reference, "dismiss")


@bp.get("/reports/<reference>")
def show(reference):
    report = visible_report(reference)
    alerts = db().scalars(select(Alert).where(Alert.report_id == report.id).order_by(Alert.id))
    return render_template(
        "console/report.html", report=report, timeline=timeline(report), alerts=list(alerts),
        overdue=report.id in overdue_ids([report.id]), statuses=ACTION_STATUSES,
        under_review=report.status in ReportStatus.under_review(),
        number=None, may_reveal=current_user.scope.may_see_reporter_number(report), now=now(),
    )


@bp.post("/reports/<reference>/acknowledge")
def acknowledge(reference):
    report = visible_report(reference)
    svc = current_services()
    result = acks.acknowledge(svc, db(), report, actor=f"user:{current_user.username}",
                              actor_name=current_user.username)
    audit("report.acknowledged", report.reference, first=result.first)
    db().commit()
    acks.queue_messages(svc, result.message_ids)
    flash("Acknowledged." if result.first else "Acknowledged again (it already was).")
    return redirect(url_for("reports.show", reference=report.reference))


@bp.post("/reports/<reference>/status")
def set_status(reference):
    report = visible_report(reference)
    status = request.form.get("status", "")
    if status not in ACTION_STATUSES:
        flash("Choose a status: investigating, resolved or false alarm.", "error")
        return redirect(url_for("reports.show", reference=report.reference))
    previous = report.status
    report.status = status
    db().add(ReportEvent(report_id=report.id, kind=EventKind.STATUS, actor=f"user:{current_user.username}",
                         detail={"from": previous, "to": status}))
    audit("report.status", report.reference, previous=previous, status=status)
    db().commit()
    flash(f"Status set to {status.replace('_', ' ')}.")
    return redirect(url_for("reports.show", reference=report.reference))


@bp.post("/reports/<reference>/note")
def add_note(reference):
    report = visible_report(reference)
    text = request.form.get("note", "").strip()
    if not text or len(text) > 2000:
        flash("Write a note of 1 to 2000 characters.", "error")
    else:
        db().add(ReportEvent(report_id=report.id, kind=EventKind.NOTE,
                             actor=f"user:{current_user.username}", detail={"text": text}))
        audit("report.note", report.reference)
        db().commit()
        flash("Note added.")
    return redirect(url_for("reports.show", reference=report.reference))


@bp.post("/reports/<reference>/reveal")
def reveal(reference):
    """An admin sees a consenting reporter's number, after stating why."""
    report = visible_report(reference)
    if not current_user.scope.may_see_reporter_number(report):
        abort(403, "Only admins may see the number, and only when the reporter agreed.")
    reason = request.form.get("reason", "").strip()
    if len(reason) < 5:
        flash("Say why you need the number (a few words).", "error")
        return redirect(url_for("reports.show", reference=report.reference))
    number = current_services().protector.decrypt(report.reporter_phone)
    audit("report.number_revealed", report.reference, reason=reason[:500])
    db().commit()
    alerts = db().scalars(select(Alert).where(Alert.report_id == report.id).order_by(Alert.id))
    return render_template(
        "console/report.html", report=report, timeline=timeline(report), alerts=list(alerts),
        overdue=report.id in overdue_ids([report.id]), statuses=ACTION_STATUSES,
        under_review=report.status in ReportStatus.under_review(),
        number=number or f"(cannot be read: {Protector.MISSING_KEY})", masked=mask_phone(number),
        may_reveal=True,
        now=now(),
    )


@bp.get("/overview")
def overview():
    return render_template("console/overview.html",
                           **overview_module.build(db(), current_user.scope, now()))
