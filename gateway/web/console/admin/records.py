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


#: Rows of the ledger read to group a page's dialogues (newest first from
#: where the page starts): enough for ``LEDGER_PAGE`` dialogues of ~23 rows.
LEDGER_SCAN = 2_000
#: Rows read past the page's edge, so that a dialogue whose rows straddle it
#: is shown on one page only (whole), never its tail again on the next.
LEDGER_EDGE = 200
#: Dialogues per page (each holds its messages: fewer than the other lists).
LEDGER_PAGE = 25
LIGHT = (Message.id, Message.direction, Message.channel, Message.provider,
         Message.provider_message_id, Message.phone_hash, Message.created_at)


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def ledger_query():
    """The ledger's rows as the filters choose them (no order, no limit);
    None when the reference names no report.  A reference is looked up first
    (unique index) and its rows then read by ``ix_messages_report``."""
    query = select(*LIGHT)
    args = request.args
    if args.get("direction") in DIRECTIONS:
        query = query.where(Message.direction == args["direction"])
    if args.get("channel") in MESSAGE_CHANNELS:
        query = query.where(Message.channel == args["channel"])
    if args.get("status", "").isidentifier():
        query = query.where(Message.status == args["status"])
    if args.get("reference", "").strip():
        report_id = db().scalar(select(Report.id).where(
            Report.reference == normalise_reference(args["reference"])))
        if report_id is None:
            return None
        query = query.where(Message.report_id == report_id)
    return query


def ledger_page(query, *, before: int | None = None, after: int | None = None):
    """One page of dialogues by keyset on the row id, never a COUNT nor an
    OFFSET: a dialogue belongs to the page of its newest row.  Newest first
    from ``before`` (exclusive; the newest when None), or, with ``after``, the
    ``LEDGER_PAGE`` dialogues just newer than ``after``.  Returns (dialogues
    as lists of row ids newest first, whether there are older, newer ones)."""
    if after is not None:
        window = db().execute(query.where(Message.id > after).order_by(Message.id.asc())
                              .limit(LEDGER_SCAN)).all()
        edge = db().execute(query.where(Message.id <= after).order_by(Message.id.desc())
                            .limit(LEDGER_EDGE)).all()
        above = db().execute(query.where(Message.id > window[-1].id).limit(1)).first() \
            if len(window) >= LEDGER_SCAN else None
    else:
        window = db().execute((query.where(Message.id < before) if before is not None else query)
                              .order_by(Message.id.desc()).limit(LEDGER_SCAN)).all()
        edge = db().execute(query.where(Message.id >= before).order_by(Message.id.asc())
                            .limit(LEDGER_EDGE)).all() if before is not None else []
        above = None
    config = current_app.config
    keys = ledger.dialogue_keys([*window, *edge], ussd_gap=config["SESSION_TTL_USSD"],
                                message_gap=config["SESSION_TTL_MESSAGE"])
    grouped: dict[str, list[int]] = {}
    for row_id in sorted(keys, reverse=True):  # newest dialogue (by its newest row) first
        grouped.setdefault(keys[row_id], []).append(row_id)
    if after is not None:
        mine = [ids for ids in reversed(grouped.values()) if ids[0] > after]  # oldest first
        chosen = list(reversed(mine[:LEDGER_PAGE]))
        return chosen, True, len(mine) > LEDGER_PAGE or above is not None
    mine = [ids for ids in grouped.values() if before is None or ids[0] < before]
    chosen = mine[:LEDGER_PAGE]
    older = len(mine) > LEDGER_PAGE or len(window) >= LEDGER_SCAN
    return chosen, older, before is not None and bool(edge)


@bp.get("/messages")
def messages():
    """The ledger as one entry per dialogue (a USSD session, an SMS or
    WhatsApp exchange with one phone), newest first, its messages behind a
    toggle; numbers masked as everywhere in the ledger.  Paged by "older" and
    "newer" links on the row id (``before``/``after``)."""
    args = request.args
    query = ledger_query()
    before, after = _cursor("before"), _cursor("after")
    chosen, older, newer = ([], False, False) if query is None else \
        ledger_page(query, before=before, after=None if before is not None else after)
    wanted = [row_id for ids in chosen for row_id in ids]
    rows = {m.id: m for m in db().scalars(select(Message).where(Message.id.in_(wanted)))} \
        if wanted else {}
    report_ids = {m.report_id for m in rows.values() if m.report_id}
    references = dict(db().execute(select(Report.id, Report.reference)
                                   .where(Report.id.in_(report_ids))).all()) if report_ids else {}
    protector = current_services().protector
    dialogues = [dialogue([ledger.as_dict(rows[i], protector=protector)
                           for i in sorted(ids) if i in rows], references) for ids in chosen]
    paging = {k: v for k, v in args.items() if k not in ("before", "after", "page") and v}
    return render_template(
        "console/admin/messages.html", dialogues=dialogues, count=len(rows), args=args,
        older=older and chosen and {**paging, "before": chosen[-1][0]},
        newer=newer and chosen and {**paging, "after": chosen[0][0]},
        directions=DIRECTIONS, channels=MESSAGE_CHANNELS, statuses=MESSAGE_STATUSES)


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
