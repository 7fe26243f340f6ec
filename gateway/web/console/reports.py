"""Reports for county teams: the list (and its CSV), one report with its
timeline and actions, and the overview.  Every query goes through the user's
``Scope``; a report outside it is refused."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import func, select, tuple_

from gateway.core import localtime
from gateway.core.protector import Protector
from gateway.core.references import normalise_reference
from gateway.core.services import current_services
from gateway.ops import heartbeat
from gateway.ops.logs import mask_text
from gateway.privacy import sharing
from gateway.routing import acks, casework, review
from gateway.store import queries, script_versions
from gateway.store.models import Alert, Delivery, Report, ReportEvent, Team
from gateway.vocab import AlertStatus, EventKind, ReportStatus
from gateway.web import attachments
from gateway.web.context import vocabulary
from handlers.phones import mask_phone

from . import overview as overview_module
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

bp = console_blueprint("reports")
ACTION_STATUSES = ReportStatus.actions()
#: How "Every answer" names a stored field (others: the id made readable).
QUESTIONS = {"sub_county": "Sub-county", "when": "When", "contact": "May be called",
             "confirm": "Confirmed", "language": "Language"}
#: The export's columns: labels as the console shows them, times in East Africa
#: Time (``2026-11-30 20:25:07``, whole seconds), acknowledgement and notes.
CSV_COLUMNS = ("reference", "received_eat", "county", "county_code", "sub_county",
               "sub_county_code", "place_name", "latitude", "longitude", "category", "severity",
               "status", "channel", "language", "when", "description", "teams_alerted",
               "acknowledged_eat", "acknowledged_by", "notes")
#: The HXL hashtag row (``?hxl=1``), one per column, so humanitarian tools
#: (HDX, the HXL Proxy, Kobo) read the export directly (hxlstandard.org).
HXL_TAGS = ("#event+id", "#date+reported", "#adm1+name", "#adm1+code", "#adm2+name",
            "#adm2+code", "#loc+name", "#geo+lat", "#geo+lon", "#event+category", "#severity",
            "#status", "#meta+channel", "#meta+lang", "#date+occurred+text", "#description",
            "#org+responder", "#date+acknowledged", "#org+acknowledged", "#description+notes")
assert len(HXL_TAGS) == len(CSV_COLUMNS)


def overdue_ids(report_ids) -> set[int]:
    """Reports with an alert still pending past its deadline."""
    if not report_ids:
        return set()
    return set(db().scalars(select(Alert.report_id).where(
        Alert.report_id.in_(report_ids), Alert.status == AlertStatus.PENDING, Alert.deadline_at < now())))


def report_filters() -> queries.ReportFilters:
    """The list's filters from the query string (shareable; the CSV export
    and the API read the same ones, ``queries.ReportFilters``)."""
    return queries.ReportFilters.from_args(request.args, vocabulary=vocabulary(),
                                           me=current_user.username)


@bp.get("/reports")
def index():
    scope = current_user.scope
    filters = report_filters()
    query = queries.reports(scope, filters, now=now())
    total = db().scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_number()
    rows = db().scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    names = vocabulary()
    counties = list(names.counties) if scope.is_admin else sorted(scope.counties)
    return render_template(
        "console/reports.html", reports=rows, total=total, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), overdue=overdue_ids([r.id for r in rows]),
        filters=filters, args=request.args, paging=args_without("page"), now=now(),
        counties=counties, sub_counties=names.sub_counties_of(counties),
        categories=list(names.categories), severities=queries.SEVERITIES, statuses=queries.STATUSES,
        channels=queries.CHANNELS, languages=list(names.languages),
        officers=[u.username for u in queries.officers_in_scope(db(), scope)],
    )


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula; times in EAT."""
    if isinstance(value, float):  # a coordinate: "-0.303" is a number, not a formula
        return repr(value)
    if isinstance(value, datetime):
        value = localtime.sheet(value)
    text = "" if value is None else str(value)
    # Also after leading spaces or line breaks, which some spreadsheets trim.
    lead = text.lstrip(" \n")[:1]
    return "'" + text if text[:1] in ("\t", "\r") or lead in ("=", "+", "-", "@", "\t", "\r") \
        else text


def _export_rows(rows):
    """Each report (a row of ``EXPORT_FIELDS``) as the CSV's cells, with teams,
    acknowledgement and notes fetched in two queries per batch of reports."""
    ids = [r.id for r in rows]
    teams: dict[int, list[str]] = {}
    events: dict[int, list] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for report_id, name in db().execute(
                select(Alert.report_id, Team.name).join(Team, Alert.team_id == Team.id)
                .where(Alert.report_id.in_(chunk)).order_by(Alert.id)):
            names = teams.setdefault(report_id, [])
            if name not in names:
                names.append(name)
        for event in db().execute(
                select(ReportEvent.report_id, ReportEvent.kind, ReportEvent.actor,
                       ReportEvent.detail, ReportEvent.created_at)
                .where(ReportEvent.report_id.in_(chunk),
                       ReportEvent.kind.in_((EventKind.NOTE, EventKind.ACKNOWLEDGED)))
                .order_by(ReportEvent.id)):
            events.setdefault(event.report_id, []).append(event)
    when_labels: dict[tuple[str, str], dict[str, str]] = {}
    for report in rows:
        script_key = (report.script_id, report.script_version)
        if script_key not in when_labels:
            script = report_script(report)
            when_labels[script_key] = dict(script.field_options("when", "eng"))
        mine = events.get(report.id, [])
        ack = next((e for e in mine if e.kind == EventKind.ACKNOWLEDGED), None)
        notes = [f"{localtime.sheet(e.created_at)} {actor_label(e.actor)}: {(e.detail or {}).get('text', '')}"
                 for e in mine if e.kind == EventKind.NOTE]
        county_code, sub_county_code = sharing.codes(report.county, report.sub_county)
        yield [
            report.reference, report.created_at, label(report.county), county_code or "",
            label(report.sub_county) if report.sub_county else "", sub_county_code or "",
            report.place_name,
            report.latitude, report.longitude, label(report.category),
            label(report.severity), label(report.status), label(report.channel),
            label(report.language) if report.language else "",
            when_labels[script_key].get(report.when or "", label(report.when) if report.when else ""),
            mask_text(report.description) if report.description else "",
            "; ".join(teams.get(report.id, [])),
            report.acknowledged_at,
            actor_label(ack.actor, (ack.detail or {}).get("by")) if ack is not None else "",
            mask_text(" | ".join(notes)),
        ]


#: What the export reads of a report: plain rows, not ORM objects, so that
#: nothing piles up in the session while a large export streams.
EXPORT_FIELDS = (Report.id, Report.reference, Report.created_at, Report.county,
                 Report.sub_county, Report.place_name, Report.latitude, Report.longitude,
                 Report.category, Report.severity, Report.status, Report.channel,
                 Report.language, Report.when, Report.description, Report.acknowledged_at,
                 Report.script_id, Report.script_version)
#: Reports fetched per query while an export streams (keyset on the list's
#: order, ``(created_at, id)``, which ``ix_reports_created_id`` serves).
EXPORT_BATCH = 1000
#: The largest XLSX built (whole, unlike the CSV, which streams; slower to
#: make): beyond it the export is refused with a pointer to the CSV.
#: ``XLSX_MAX_ROWS`` in the app's config overrides it.
XLSX_MAX_ROWS = 20_000


def export_batches(query, *, size: int = EXPORT_BATCH):
    """The rows of ``query`` (ordered newest first by ``(created_at, id)``, as
    ``queries.reports``) in batches of ``size``, each a query of its own that
    starts after the last row of the one before: memory stays that of one
    batch however many reports there are."""
    query = query.with_only_columns(*EXPORT_FIELDS)
    last = None
    while True:
        page = query if last is None else query.where(
            tuple_(Report.created_at, Report.id) < (last.created_at, last.id))
        rows = db().execute(page.limit(size)).all()
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1]


def _csv_lines(header: list[tuple[str, ...]], batches):
    """The CSV, a chunk of text per batch of reports (the header first)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(header)
    yield out.getvalue().encode()
    for rows in batches:
        out.seek(0)
        out.truncate()
        for cells in _export_rows(rows):
            writer.writerow([_cell(c) for c in cells])
        heartbeat.beat()  # a sync gunicorn worker would be killed after its timeout
        yield out.getvalue().encode()


def _xlsx(header: list[tuple[str, ...]], rows) -> bytes:
    """One sheet: the header row(s) frozen, times as EAT date-times, every text
    cell a string (never a formula, whatever it starts with).  Written in
    openpyxl's write-only mode: rows go to a temporary file as they come, so
    memory holds the finished file (about 1 MB per 20,000 reports), not a
    cell object per value."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Reports")
    sheet.freeze_panes = f"A{len(header) + 1}"
    for line in header:
        sheet.append(list(line))
    for cells in rows:
        sheet.append([_xlsx_cell(sheet, c) for c in cells])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet, value):
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=localtime.to_eat(value).replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl reads "=..." as a formula: keep it text
        return cell
    return value


def _export(kind: str):
    """The filtered list as CSV or XLSX; ``?hxl=1`` adds the HXL hashtag row
    under the column names.  Never a number or anything about the reporter.

    The CSV streams: its header leaves at once, then the reports in batches
    of ``EXPORT_BATCH`` (no ``Content-Length``; memory stays that of a batch
    whatever the size of the export).  The XLSX is built whole before it is
    sent, so it is refused beyond ``XLSX_MAX_ROWS`` reports, pointing to the CSV."""
    hxl = request.args.get("hxl", "") in ("1", "true")
    filters = report_filters()
    query = queries.reports(current_user.scope, filters, now=now())
    count = db().scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    header = [CSV_COLUMNS, HXL_TAGS] if hxl else [CSV_COLUMNS]
    if kind == "xlsx":
        cap = current_app.config.get("XLSX_MAX_ROWS", XLSX_MAX_ROWS)
        if count > cap:
            abort(422, f"An Excel export holds at most {cap:,} reports and this one has "
                       f"{count:,}: narrow the filters (dates, county) or download the CSV, "
                       "which has no limit.")
    audit("reports.export", None, rows=count, filters=args_without("page"), format=kind,
          hxl=hxl)
    db().commit()
    stamp = localtime.to_eat(now()).strftime("%Y%m%d-%H%M")
    headers = {"Content-Disposition": f"attachment; filename=mpaka-reports-{stamp}-eat.{kind}"}
    if kind == "csv":
        return Response(stream_with_context(_csv_lines(header, export_batches(query))),
                        mimetype="text/csv", headers=headers)
    body = _xlsx(header, (cells for rows in export_batches(query) for cells in _export_rows(rows)))
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers=headers)


@bp.get("/reports.csv")
def export():
    return _export("csv")


@bp.get("/reports.xlsx")
def export_xlsx():
    return _export("xlsx")


def visible_report(reference: str) -> Report:
    report = db().scalar(select(Report).where(Report.reference == normalise_reference(reference)))
    # Another county's report answers exactly as a missing one, so an officer
    # cannot learn that a reference exists (as the API does).
    if report is None or not current_user.scope.may_see_county(report.county):
        abort(404, "There is no report with this reference.")
    return report


def timeline(report: Report) -> list[dict]:
    """Events and deliveries of a report, oldest first."""
    items = [{"at": e.created_at, "kind": e.kind, "actor": e.actor, "detail": e.detail or {},
              "who": actor_label(e.actor, (e.detail or {}).get("by"))}
             for e in report.events]
    deliveries = db().scalars(
        select(Delivery).join(Alert).where(Alert.report_id == report.id).order_by(Delivery.id))
    for d in deliveries:
        message = d.message
        items.append({
            "at": d.created_at, "kind": "delivery", "actor": None, "who": None,
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


def report_script(report: Report):
    """The script version that took the report (its labels), else the shipped one."""
    try:
        return script_versions.get_version(db(), report.script_id, report.script_version)
    except Exception:  # a deleted or broken version must not hide the report
        return script_versions.fallback_script()


def answer_rows(report: Report) -> list[tuple[str, str]]:
    """(question, answer) of every stored answer, as the report's own script
    labels them (``Armed attack or raid``, ``Turkana West``), never raw ids."""
    script = report_script(report)
    answers = report.answers or {}
    rows = []
    for step_id, value in answers.items():
        step = script.steps.get(step_id)
        name = (step.field if step is not None and step.field else step_id) if step else step_id
        question = QUESTIONS.get(name) or name.replace("_", " ").capitalize()
        if step is None:
            rows.append((question, label(value)))
            continue
        try:
            shown = script.answer_label(step, answers, "eng") or str(value)
        except Exception:  # an answer the script no longer offers
            shown = label(value)
        rows.append((question, shown))
    return rows


def first_acknowledgement(report: Report) -> tuple[str, object] | None:
    """Who acknowledged the report first, and when (named as everywhere)."""
    for event in report.events:
        if event.kind == EventKind.ACKNOWLEDGED and (event.detail or {}).get("first", True):
            return actor_label(event.actor, (event.detail or {}).get("by")), event.created_at
    return None


@bp.get("/reports/<reference>/media/<key>")
def media(reference, key):
    """One photo, voice note or video of a report the user may see."""
    return attachments.file_response(db(), visible_report(reference), key, inline=True)


def render_report(report: Report, *, number: str | None = None, **extra):
    alerts = db().scalars(select(Alert).where(Alert.report_id == report.id).order_by(Alert.id))
    script = report_script(report)
    facts = {name: dict(script.field_options(name, "eng")).get(getattr(report, name) or "")
             or label(getattr(report, name)) for name in ("category", "county", "sub_county", "when")}
    return render_template(
        "console/report.html", report=report, timeline=timeline(report), alerts=list(alerts),
        media=attachments.of_report(db(), report),
        overdue=report.id in overdue_ids([report.id]), statuses=ACTION_STATUSES,
        under_review=report.status in ReportStatus.under_review(),
        answers=answer_rows(report), acknowledged=first_acknowledgement(report), facts=facts,
        codes=sharing.codes(report.county, report.sub_county),
        number=number, may_reveal=current_user.scope.may_see_reporter_number(report), now=now(),
        assignable=[u.username for u in queries.assignable_users(db(), report.county)],
        **extra,
    )


@bp.get("/reports/<reference>")
def show(reference):
    return render_report(visible_report(reference))


@bp.post("/reports/<reference>/acknowledge")
def acknowledge(reference):
    report = visible_report(reference)
    svc = current_services()
    result = acks.acknowledge(svc, db(), report, actor=f"user:{current_user.username}",
                              actor_name=current_user.username)
    audit("report.acknowledged", report.reference, first=result.first)
    db().commit()
    acks.queue_messages(svc, result.message_ids)
    if request.form.get("back") == "queue":
        flash(f"{report.reference} acknowledged." if result.first
              else f"{report.reference} was already acknowledged.")
        return redirect(url_for("reports.queue"))
    flash("Acknowledged." if result.first else "It was already acknowledged.")
    return redirect(url_for("reports.show", reference=report.reference))


@bp.post("/reports/<reference>/assign")
def assign(reference):
    """Assign the report to an officer of its county (or an admin), or to
    nobody (an empty choice); audited and on the timeline."""
    report = visible_report(reference)
    username = request.form.get("user", "").strip()
    if username == queries.ASSIGNED_TO_ME:
        username = current_user.username
    try:
        changed = casework.assign(db(), report, username or None,
                                  actor=f"user:{current_user.username}", now=now())
    except casework.NotAssignable as exc:
        db().rollback()
        flash(str(exc), "error")
        return redirect(url_for("reports.show", reference=report.reference))
    if changed:
        audit("report.assigned", report.reference, to=username or None)
    db().commit()
    flash(f"Assigned to {username}." if username else "No one is assigned now.")
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
    try:
        casework.add_note(db(), report, request.form.get("note", ""),
                          actor=f"user:{current_user.username}", now=now())
    except casework.InvalidNote as exc:
        flash(str(exc), "error")
    else:
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
    return render_report(report, number=number or f"(cannot be read: {Protector.MISSING_KEY})",
                         dialable=bool(number), masked=mask_phone(number))


@bp.get("/overview")
def overview():
    return render_template("console/overview.html",
                           **overview_module.build(db(), current_user.scope, now()))
