"""Storing completed reports.

A report is written in one transaction with its first timeline event; then a
routing job is enqueued.  When the database does not answer, the report is kept
in Redis under its reference and written by ``flush_pending`` (a periodic job)
as soon as the database is back: the reporter has their reference either way.
When Redis does not answer at enqueue time, the report is in the database
without ``routed_at``; the sweeper routes it later.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from gateway import tasks
from gateway.core import keys
from gateway.intake import media
from gateway.store.models import Report, ReportEvent
from gateway.vocab import EventKind, Priority, ReportStatus

log = logging.getLogger(__name__)

PLACE_NAME_MAX = 64  # the column's size
#: Decimal places a shared location is stored with (0.001 degree: about 110 m).
COORDINATE_DECIMALS = 3

def record_from_turn(report: dict, *, phone: str, protector, channel: str,
                     created_at: datetime) -> dict:
    """The JSON-serialisable row to store, from the engine's report dict.

    Anonymous reporters keep no number and no hash: nothing links the report
    back to a phone.  ``attachments``: the keys of media sent during the
    dialogue, attached when the report is stored (``insert``).
    """
    fields = report["fields"]
    contact = str(fields.get("contact", "no")).lower() == "yes"
    return {
        "reference": report["reference"],
        "channel": channel,
        "language": report["language"],
        "category": fields.get("category") or "other",
        "county": fields.get("county") or "other",
        "sub_county": fields.get("sub_county"),
        "place_name": _place_name(report.get("place")),
        **_coordinates(report.get("location")),
        "when": fields.get("when"),
        "description": fields.get("description"),
        "contact_allowed": contact,
        "reporter_phone": protector.encrypt(phone) if contact else None,
        "reporter_hash": protector.phone_hash(phone) if contact else None,
        "severity": report.get("severity") or "medium",
        "script_id": report["script_id"],
        "script_version": str(report["script_version"]),
        "answers": report.get("answers") or {},
        "priority": Priority.NORMAL,
        "started_at": report.get("started_at"),
        "created_at": created_at.isoformat(),
    } | ({"attachments": list(report["attachments"])} if report.get("attachments") else {})


def _place_name(place: object) -> str | None:
    return place[:PLACE_NAME_MAX] if isinstance(place, str) and place else None


def _coordinates(location: object) -> dict[str, float]:
    """A shared location, rounded to ``COORDINATE_DECIMALS`` (about 110 m):
    enough to find the place, no finer (docs/privacy.md)."""
    if (isinstance(location, list | tuple) and len(location) == 2
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in location)):
        return {"latitude": round(float(location[0]), COORDINATE_DECIMALS),
                "longitude": round(float(location[1]), COORDINATE_DECIMALS)}
    return {}


def _row(record: dict) -> Report:
    values = dict(record)
    values.pop("attachments", None)
    for name in ("started_at", "created_at"):
        value = values.get(name)
        if isinstance(value, int | float):
            values[name] = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):
            values[name] = datetime.fromisoformat(value)
    return Report(**values)


def insert(db, record: dict) -> Report | None:
    """Insert one report with its ``received`` event; ``None`` if the reference exists.

    The reference is the report's identity, so writing the same report twice
    (a retried flush, a resumed unfinished finished twice) stores it once.
    """
    if db.scalar(select(Report.id).where(Report.reference == record["reference"])):
        return None
    row = _row(record)
    row.events.append(ReportEvent(kind=EventKind.RECEIVED, detail={"channel": record["channel"]}))
    if record.get("priority") == Priority.LOW:
        row.status = ReportStatus.HELD
        row.events.append(ReportEvent(kind=EventKind.HELD, detail={"reason": "sender over the report limit"}))
    db.add(row)
    try:
        if record.get("attachments"):
            db.flush()
            media.link(db, row.id, list(record["attachments"]))
        db.commit()
    except IntegrityError:
        db.rollback()
        return None
    return row


def store(svc, record: dict) -> int | None:
    """Store a completed report and enqueue its routing.  Never loses it.

    Returns the report id, or ``None`` when it was parked in Redis.
    """
    try:
        with svc.db() as db:
            row = insert(db, record)
            if row is None:
                return None
            report_id = row.id
    except SQLAlchemyError as exc:
        log.warning("database unavailable, report parked in Redis", extra={"error": type(exc).__name__})
        svc.redis.hset(keys.PENDING_REPORTS, record["reference"], json.dumps(record))
        return None
    if record.get("priority") != Priority.LOW:  # held reports wait for an admin's review
        enqueue_routing(svc, report_id)
    return report_id


def enqueue_routing(svc, report_id: int) -> bool:
    """Queue the routing job (the seam the fault tests wrap)."""
    return tasks.route_report(svc, report_id)


def flush_pending(svc) -> list[int]:
    """Write reports parked in Redis while the database was down.  Idempotent."""
    stored = []
    for reference, payload in svc.redis.hgetall(keys.PENDING_REPORTS).items():
        record = json.loads(payload)
        with svc.db() as db:
            row = insert(db, record)
            report_id = row.id if row else None
        svc.redis.hdel(keys.PENDING_REPORTS, reference)
        if report_id is not None:
            if record.get("priority") != Priority.LOW:
                enqueue_routing(svc, report_id)
            stored.append(report_id)
    return stored
