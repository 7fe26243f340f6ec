"""Data retention and erasure requests (Kenya's Data Protection Act).

* ``purge_expired``: reports older than ``RETENTION_DAYS`` lose the reporter's
  number, the free-text description, a shared location's coordinates and
  their media (files and rows); ledger rows that old lose their text and
  numbers.  Category, place (the sub-county and the named place), time and
  status stay: the statistics survive.  Media no report took (an abandoned
  dialogue) go after a day.
* ``forget``: everything linked to one number's keyed hash is erased: unfinished dialogues,
  sessions and the media they hold, rate-limit windows, numbers and shared
  coordinates on reports and their media, the ledger's numbers and the texts
  that number sent.
* ``reencrypt``: every stored number re-encrypted under the newest key, so an
  old encryption key can be retired.

Both write an audit entry saying what they did.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import case, func, or_, select, update

from gateway.core import keys, ratelimit, texts
from gateway.store import ledger_stream
from gateway.store.media import MediaStore
from gateway.store.models import Alert, Attachment, AuditEntry, Message, Report, ReportEvent
from gateway.vocab import EventKind
from handlers.base import Channel

#: Rows changed per transaction: each batch commits on its own, so retention
#: and key rotation never hold row locks on a large table for long, and memory
#: stays flat however many rows have expired.
BATCH = 500


def _batches(db, column, where, *, iterate=None, label: str = "rows"):
    """Yield lists of ids (ascending, at most ``BATCH``) of rows matching
    ``where``, by keyset on ``column`` (never OFFSET, never all ids at once).
    ``iterate(items, label, length=)`` may show progress (``gateway.ops.progress``)."""
    total = db.scalar(select(func.count()).select_from(column.table).where(*where)) or 0

    def ids():
        last = None
        while True:
            condition = [*where] if last is None else [*where, column > last]
            batch = list(db.scalars(select(column).where(*condition).order_by(column).limit(BATCH)))
            if not batch:
                return
            yield from batch
            last = batch[-1]

    stream = iterate(ids(), label, length=total) if iterate and total else ids()
    batch: list[int] = []
    for row_id in stream:
        batch.append(row_id)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def purge_expired(svc, *, iterate=None) -> dict:
    """Strip what is past retention, one batch per transaction.  ``iterate``
    may wrap the loops to show progress (``gateway.ops.progress.progress`` in
    the CLI)."""
    now = svc.clock.now()
    days = svc.config["RETENTION_DAYS"]
    cutoff = now - timedelta(days=days)
    counts = {"reports": 0, "messages": 0, "attachments": 0}
    # Rows still in the ledger stream are seconds old, but a stream held back
    # (the database was down) may hold older ones: they land first.
    ledger_stream.drain(svc, ledger_stream.consumer_name(), wait=True)
    with svc.db() as db:
        counts["attachments"] = _purge_media(svc, db, cutoff)
        db.commit()
        expired_reports = (Report.created_at < cutoff, or_(
            Report.reporter_phone.is_not(None), Report.description.is_not(None),
            Report.reporter_hash.is_not(None), Report.latitude.is_not(None)))
        # Each stripped report leaves the condition, so the next query starts over.
        for ids in _batches(db, Report.id, expired_reports, iterate=iterate, label="reports"):
            for report in db.scalars(select(Report).where(Report.id.in_(ids))):
                _strip_report(report)
            # Alerts were composed from the description (and a consenting
            # reporter's masked number): they go with it.
            db.execute(update(Alert).where(Alert.report_id.in_(ids)).values(text=texts.ERASED))
            db.commit()
            counts["reports"] += len(ids)
        expired_messages = (Message.created_at < cutoff,
                            or_(Message.text.is_not(None), Message.phone_hash.is_not(None)))
        for ids in _batches(db, Message.id, expired_messages, iterate=iterate, label="messages"):
            db.execute(update(Message).where(Message.id.in_(ids)).values(
                text=None, phone_hash=None,
                sender=case((Message.direction == "in", None), else_=Message.sender),
                recipient=case((Message.direction == "in", Message.recipient), else_=None)))
            db.commit()
            counts["messages"] += len(ids)
        db.add(AuditEntry(actor="system", action="retention.purge", target=f"before {cutoff.date()}",
                          detail={**counts, "retention_days": days}))
        db.commit()
    return counts


#: Media that no report took (the dialogue was abandoned or expired) are kept
#: this long, past any session or resumable unfinished dialogue.
UNLINKED_MEDIA = timedelta(days=1)


def _purge_media(svc, db, cutoff) -> int:
    """Media of reports past retention, and media no report took."""
    store = MediaStore.from_services(svc)
    expired = db.scalars(select(Attachment).join(Report, Report.id == Attachment.report_id)
                         .where(Report.created_at < cutoff)).all()
    orphans = db.scalars(select(Attachment).where(
        Attachment.report_id.is_(None),
        Attachment.created_at < svc.clock.now() - UNLINKED_MEDIA)).all()
    return store.discard(db, [*expired, *orphans])


def reencrypt(svc, *, actor: str = "cli", iterate=None) -> dict:
    """Re-encrypt every stored number under the newest key of ``ENCRYPTION_KEYS``
    so an old key can be retired (``mpaka keys rotate``).  The ledger stream's
    rows, encrypted when they were received, land first."""
    protector = svc.protector
    counts = {"reports": 0, "messages": 0}
    ledger_stream.drain(svc, ledger_stream.consumer_name(), wait=True)
    with svc.db() as db:
        for ids in _batches(db, Report.id, (Report.reporter_phone.is_not(None),),
                            iterate=iterate, label="reports"):
            for report in db.scalars(select(Report).where(Report.id.in_(ids))):
                report.reporter_phone = protector.rotate(report.reporter_phone)
                counts["reports"] += 1
            db.commit()
        numbered = (or_(Message.sender.is_not(None), Message.recipient.is_not(None)),)
        for ids in _batches(db, Message.id, numbered, iterate=iterate, label="messages"):
            for message in db.scalars(select(Message).where(Message.id.in_(ids))):
                for name in ("sender", "recipient"):
                    value = getattr(message, name)
                    if value and protector.decrypt(value) is not None:  # shortcodes stay as they are
                        setattr(message, name, protector.rotate(value))
                        counts["messages"] += 1
            db.commit()
        store = MediaStore.from_services(svc)
        media = db.scalars(select(Attachment.storage_key)
                           .where(Attachment.storage_key.is_not(None))).all()
        counts["media"] = sum(store.rotate(key) for key in
                              (iterate(media, "media") if iterate else media) if key)
        db.add(AuditEntry(actor=actor, action="keys.rotate", detail=counts))
        db.commit()
    return counts


def _strip_report(report: Report) -> None:
    report.reporter_phone = None
    report.reporter_hash = None
    report.description = None
    report.latitude = report.longitude = None
    report.answers = {k: v for k, v in (report.answers or {}).items() if k != "description"}


def forget(svc, phone: str, *, actor: str = "cli") -> dict:
    """Erase what is linked to ``phone``; returns counts of what was erased.
    The ledger stream is written to SQL first, so its rows are erased too."""
    protector = svc.protector
    phone_hash = protector.phone_hash(phone)
    r = svc.redis
    ledger_stream.drain(svc, ledger_stream.consumer_name(), wait=True)
    redis_keys = [
        keys.unfinished(phone_hash),
        keys.language(phone_hash),
        keys.session(Channel.SMS, phone_hash),
        keys.session(Channel.WHATSAPP, phone_hash),
        *(keys.rate(kind, phone_hash) for kind in ratelimit.KINDS),
        *(keys.rate_notified(kind, phone_hash) for kind in ratelimit.KINDS),
    ]
    redis_keys += list(r.scan_iter(match=keys.loop_guard(phone_hash, "*")))
    # USSD sessions and calls in progress: keyed by the provider's session id and the hash.
    live = keys.live_conversation("*", phone_hash)
    live_sessions = [k.decode() if isinstance(k, bytes) else k
                     for k in r.scan_iter(match=keys.session("*", live))]
    redis_keys += live_sessions + list(r.scan_iter(match=keys.session_lock("*", live)))
    held_media = _session_media(r, [keys.unfinished(phone_hash), keys.session(Channel.SMS, phone_hash),
                                    keys.session(Channel.WHATSAPP, phone_hash), *live_sessions])
    erased = {"redis_keys": r.delete(*redis_keys) if redis_keys else 0, "parked_reports": 0}
    for reference, payload in r.hgetall(keys.PENDING_REPORTS).items():
        record = json.loads(payload)
        if record.get("reporter_hash") == phone_hash:
            record.update(reporter_phone=None, reporter_hash=None, contact_allowed=False,
                          latitude=None, longitude=None)
            r.hset(keys.PENDING_REPORTS, reference, json.dumps(record))
            erased["parked_reports"] += 1
    with svc.db() as db:
        reports = db.scalars(select(Report).where(Report.reporter_hash == phone_hash)).all()
        report_ids = [report.id for report in reports]
        media = db.scalars(select(Attachment).where(or_(
            Attachment.report_id.in_(report_ids),
            Attachment.key.in_(held_media) & Attachment.report_id.is_(None)))).all()
        erased["attachments"] = MediaStore.from_services(svc).discard(db, list(media))
        for report in reports:
            report.reporter_phone = None
            report.reporter_hash = None
            report.contact_allowed = False
            report.latitude = report.longitude = None  # where that number stood
            db.add(ReportEvent(report_id=report.id, kind=EventKind.ERASED, actor=actor,
                               detail={"what": "reporter's number"}))
        # Texts composed from the number (alerts to teams that may call back, and
        # their ledger rows) lose its masked stand-in too.
        if report_ids:
            for alert in db.scalars(select(Alert).where(Alert.report_id.in_(report_ids))):
                alert.text = texts.without_contact(alert.text, phone)
            for row in db.scalars(select(Message).where(Message.report_id.in_(report_ids))):
                row.text = texts.without_contact(row.text, phone)
        messages = db.scalars(select(Message).where(Message.phone_hash == phone_hash)).all()
        for message in messages:
            if message.direction == "in":
                message.text = None  # their own words
            _strip_number(message)
        erased.update(reports=len(reports), messages=len(messages))
        db.add(AuditEntry(actor=actor, action="reporter.forget", target=phone_hash[:12],
                          detail=erased))
        db.commit()
    return erased


def _session_media(r, session_keys: list[str]) -> list[str]:
    """The media keys that the phone's unfinished dialogue and sessions hold."""
    held: list[str] = []
    for raw in r.mget(session_keys):
        try:
            data = json.loads(raw) if raw else {}
            session = json.loads(data["session"]) if "session" in data else data
            attachments = session.get("attachments") or []
            unfinished = (session.get("unfinished") or {}).get("attachments") or []
        except (ValueError, TypeError, AttributeError):
            continue
        held += [str(key) for key in [*attachments, *unfinished]]
    return held


def _strip_number(message: Message) -> None:
    message.phone_hash = None
    if message.direction == "in":
        message.sender = None
    else:
        message.recipient = None
