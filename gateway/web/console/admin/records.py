"""The message ledger and the audit log: read-only, filterable, paginated."""

from __future__ import annotations

from flask import current_app, render_template, request
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


#: Rows of the ledger looked at to group dialogues (the newest; an older
#: dialogue is found with the filters, e.g. a report reference).
LEDGER_SCAN = 20_000
#: Dialogues per page (each holds its messages: fewer than the other lists).
LEDGER_PAGE = 25


@bp.get("/messages")
def messages():
    """The ledger as one entry per dialogue (a USSD session, an SMS or
    WhatsApp exchange with one phone), newest first, its messages behind a
    toggle; numbers masked as everywhere in the ledger."""
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
    light = db().execute(query.with_only_columns(
        Message.id, Message.direction, Message.channel, Message.provider,
        Message.provider_message_id, Message.phone_hash, Message.created_at,
    ).limit(LEDGER_SCAN)).all()
    config = current_app.config
    keys = ledger.dialogue_keys(light, ussd_gap=config["SESSION_TTL_USSD"],
                                message_gap=config["SESSION_TTL_MESSAGE"])
    grouped: dict[str, list[int]] = {}
    for row_id in sorted(keys, reverse=True):  # newest dialogue first
        grouped.setdefault(keys[row_id], []).append(row_id)
    total = len(grouped)
    page = page_number()
    pages = max(1, -(-total // LEDGER_PAGE))
    chosen = list(grouped.values())[(page - 1) * LEDGER_PAGE:page * LEDGER_PAGE]
    wanted = [row_id for ids in chosen for row_id in ids]
    rows = {m.id: m for m in db().scalars(select(Message).where(Message.id.in_(wanted)))}
    report_ids = {m.report_id for m in rows.values() if m.report_id}
    references = dict(db().execute(select(Report.id, Report.reference)
                                   .where(Report.id.in_(report_ids))).all()) if report_ids else {}
    protector = current_services().protector
    dialogues = [dialogue([ledger.as_dict(rows[i], protector=protector)
                           for i in sorted(ids) if i in rows], references) for ids in chosen]
    return render_template("console/admin/messages.html", dialogues=dialogues, total=total,
                           count=len(light), scanned=len(light) >= LEDGER_SCAN, page=page,
                           pages=pages, paging=args_without("page"), args=args,
                           directions=DIRECTIONS, channels=MESSAGE_CHANNELS,
                           statuses=MESSAGE_STATUSES)


def dialogue(shown: list[dict], references: dict[int, str]) -> dict:
    """One ledger entry: a dialogue's messages (oldest first) and what sums it up."""
    first, last = shown[0], shown[-1]
    refs = list(dict.fromkeys(references[m["report_id"]] for m in shown
                              if m["report_id"] in references))
    number = next((m["from"] if m["direction"] == "in" else m["to"] for m in shown
                   if (m["from"] if m["direction"] == "in" else m["to"])), None)
    return {
        "messages": shown, "channel": first["channel"], "provider": first["provider"],
        "started": first["created_at"], "ended": last["created_at"], "number": number,
        "inbound": sum(1 for m in shown if m["direction"] == "in"),
        "outbound": sum(1 for m in shown if m["direction"] == "out"),
        "failed": sum(1 for m in shown if m["status"] == "failed"),
        "references": refs, "last": last,
    }


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
