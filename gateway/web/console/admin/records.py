"""The message ledger and the audit log: read-only, filterable, paginated."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select

from gateway.core.references import normalise_reference
from gateway.core.services import current_services
from gateway.store import ledger
from gateway.store.models import AuditEntry, Message, Report
from gateway.vocab import LEDGER_CHANNELS, Direction, MessageStatus

from ..common import PAGE_SIZE, args_without, db, page_number
from . import bp

DIRECTIONS = tuple(Direction)
MESSAGE_CHANNELS = LEDGER_CHANNELS
MESSAGE_STATUSES = tuple(MessageStatus)


def _page(query):
    total = db().scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_number()
    rows = db().scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return rows, total, page, max(1, -(-total // PAGE_SIZE))


@bp.get("/messages")
def messages():
    query = select(Message).order_by(Message.id.desc())
    args = request.args
    if args.get("direction") in DIRECTIONS:
        query = query.where(Message.direction == args["direction"])
    if args.get("channel") in MESSAGE_CHANNELS:
        query = query.where(Message.channel == args["channel"])
    if args.get("status", "").isidentifier():
        query = query.where(Message.status == args["status"])
    if args.get("reference", "").strip():
        reference = normalise_reference(args["reference"])
        query = query.join(Report, Message.report_id == Report.id).where(
            Report.reference == reference)
    rows, total, page, pages = _page(query)
    protector = current_services().protector
    shown = [ledger.as_dict(m, protector=protector) for m in rows]
    return render_template("console/admin/messages.html", messages=shown, total=total, page=page,
                           pages=pages, paging=args_without("page"), args=args,
                           directions=DIRECTIONS, channels=MESSAGE_CHANNELS,
                           statuses=MESSAGE_STATUSES)


@bp.get("/audit")
def audit_log():
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    action = request.args.get("action", "").strip()[:64]
    actor = request.args.get("actor", "").strip()[:64]
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    rows, total, page, pages = _page(query)
    return render_template("console/admin/audit.html", entries=rows, total=total, page=page,
                           pages=pages, paging=args_without("page"), action=action, actor=actor)
