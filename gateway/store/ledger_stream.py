"""The ledger's way in from a live dialogue: a Redis Stream, written to SQL in
batches by the workers.

A USSD screen or a call's turn must not wait for SQL.  Its ledger rows (the
inbound message and the reply that travels in the webhook's response) are
appended to ``keys.LEDGER_STREAM`` in the same ``MULTI`` as the session save
(``append``), already encrypted and hashed exactly as the ``messages`` table
keeps them.  When the dialogue must be forgotten (an anonymous report, a
quick exit), the same entry says so, and the rows of this exchange are
unlinked before they are appended.

Workers read the stream in the consumer group ``keys.LEDGER_GROUP``
(``drain``): a batch is inserted in one transaction, in stream order, each
row once (``Message.ledger_entry`` is unique: a batch written again after a
crash inserts nothing twice), then the dialogue's forgetting is applied to
every row landed before it, then the entries are acknowledged (``XACK``) and
deleted (``XDEL``): the stream keeps only what has not landed.  One worker
writes at a time (``keys.LEDGER_LOCK``), and entries read before and never
acknowledged (a write that failed, a worker killed mid-batch) are claimed
again before anything new is read: rows land in the order they were
appended, and a forgetting always follows the rows it covers.

Durability: see ``docs/operations.md``, *The ledger stream*.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import LockError, RedisError, ResponseError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from gateway.core import keys
from gateway.store import ledger
from gateway.store.models import LedgerForget, Message

log = logging.getLogger(__name__)

#: Entries read per batch (one SQL transaction).
BATCH = 500
#: The writers' lock, renewed by nothing: a batch takes well under this.
LOCK_SECONDS = 30

#: The columns an entry carries, as ``messages`` keeps them.
COLUMNS = ("direction", "channel", "provider", "provider_message_id", "sender", "recipient",
           "phone_hash", "text", "status", "report_id")


def consumer_name() -> str:
    """This process's name in the consumer group (its writer thread and its
    sweeps take turns under the writers' lock)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def forget_idle_consumers(redis, *, idle_ms: int = 3_600_000) -> int:
    """Remove the group's consumers that hold nothing and have been idle for
    ``idle_ms`` (processes that ended); returns how many."""
    removed = 0
    try:
        consumers = redis.xinfo_consumers(keys.LEDGER_STREAM, keys.LEDGER_GROUP)
    except ResponseError:
        return 0
    for consumer in consumers:
        if int(consumer["pending"]) == 0 and int(consumer["idle"]) > idle_ms:
            redis.xgroup_delconsumer(keys.LEDGER_STREAM, keys.LEDGER_GROUP, consumer["name"])
            removed += 1
    return removed


def exchange_id() -> str:
    """An exchange's own name, made before it is sent: its rows are
    ``<name>/<n>`` in ``messages.ledger_entry``, so an entry appended twice (a
    ``MULTI`` re-sent after a lost reply) or written both ways still lands once."""
    return uuid.uuid4().hex


def encode(rows: Iterable[Message], *, forget: tuple[str, float, str, str | None] | None,
           at: datetime, exchange: str) -> dict[str, str]:
    """One stream entry: the exchange's name and rows (as the table keeps
    them) and, when the dialogue is to be forgotten, (how, since, phone hash,
    USSD session); the forgetting reaches rows up to ``at``."""
    entry = {"id": exchange, "at": at.isoformat(),
             "rows": json.dumps([{c: getattr(row, c) for c in COLUMNS} for row in rows],
                                separators=(",", ":"))}
    if forget is not None:
        entry["forget"] = json.dumps(list(forget), separators=(",", ":"))
    return entry


def append(pipe, rows: Iterable[Message], *, forget=None, at: datetime, exchange: str) -> None:
    """Queue the exchange's entry on ``pipe`` (the dialogue's ``MULTI``)."""
    pipe.xadd(keys.LEDGER_STREAM, encode(rows, forget=forget, at=at, exchange=exchange))


def apply_forget(db, forget: tuple[str, float, str, str | None], *, until: datetime) -> None:
    """A dialogue's forgetting, (how, since as epoch seconds, phone hash, USSD
    session), applied to its rows in SQL up to ``until``."""
    how, since, phone_hash, session = forget
    ledger.forget_dialogue(db, how, phone_hash=phone_hash, until=until,
                           since=datetime.fromtimestamp(since, UTC), ussd_session=session)


def write_directly(svc, rows: list[Message], *, forget, at: datetime, exchange: str) -> None:
    """When the ``MULTI`` failed (Redis lost as a dialogue ended): the
    exchange's rows go to SQL directly, and a forgetting is kept in
    ``ledger_forgets`` for the dialogue's earlier rows, which may still wait
    in the stream and land later.  Raises the database's error."""
    with svc.db() as db:
        names = [f"{exchange}/{n}" for n in range(len(rows))]
        landed = set(db.scalars(select(Message.ledger_entry)
                                .where(Message.ledger_entry.in_(names))))
        for name, row in zip(names, rows, strict=True):
            if name not in landed:
                row.ledger_entry, row.created_at, row.updated_at = name, at, at
                db.add(row)
        if forget is not None:
            how, since, phone_hash, session = forget
            db.flush()
            apply_forget(db, forget, until=at)
            db.add(LedgerForget(how=how, phone_hash=phone_hash, until=at, ussd_session=session,
                                since=datetime.fromtimestamp(since, UTC)))
        db.commit()


def _apply_kept_forgets(svc) -> int:
    """With nothing left waiting in the stream: apply the forgettings kept in
    SQL (``write_directly``) to what has landed, then delete them.  (The
    writer threads write one batch at a time while entries wait; the sweep,
    which writes until the stream is empty, applies these within its interval.)"""
    with svc.db() as db:
        kept = db.scalars(select(LedgerForget)).all()
        for forget in kept:
            ledger.forget_dialogue(db, forget.how, phone_hash=forget.phone_hash,
                                   since=forget.since, until=forget.until,
                                   ussd_session=forget.ussd_session)
            db.delete(forget)
        db.commit()
    return len(kept)


def ensure_group(redis) -> None:
    """The consumer group (and the stream) exist; idempotent."""
    try:
        redis.xgroup_create(keys.LEDGER_STREAM, keys.LEDGER_GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def backlog(redis) -> dict[str, int]:
    """Entries not yet written to SQL: ``waiting`` (in the stream, not yet
    acknowledged, read or not) and ``pending`` (read by a worker, not yet
    acknowledged)."""
    waiting = int(redis.xlen(keys.LEDGER_STREAM))
    try:
        pending = int(redis.xpending(keys.LEDGER_STREAM, keys.LEDGER_GROUP)["pending"])
    except ResponseError:  # no group yet: no worker has read anything
        pending = 0
    return {"waiting": waiting, "pending": pending}


def waiting(redis) -> bool:
    """Whether any entry waits (read or not): one ``XLEN``."""
    return bool(redis.xlen(keys.LEDGER_STREAM))


def oldest_age(redis, now: float) -> float:
    """Seconds since the oldest entry still waiting was appended (0 when none)."""
    first = redis.xrange(keys.LEDGER_STREAM, count=1)
    if not first:
        return 0.0
    entry_id = first[0][0]
    millis = int((entry_id.decode() if isinstance(entry_id, bytes) else entry_id).split("-")[0])
    return max(0.0, now - millis / 1000)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _read(redis, consumer: str, count: int) -> list[tuple[str, dict]]:
    """The next batch, in stream order: entries read before and never
    acknowledged (a write that failed, a worker that died) come first, then
    new ones.  Called under the writers' lock, so no other writer is busy with
    what is pending: it is claimed at once, whatever its idle time."""
    claimed = redis.xautoclaim(keys.LEDGER_STREAM, keys.LEDGER_GROUP, consumer,
                               min_idle_time=0, start_id="0-0", count=count)
    if claimed and claimed[1]:
        return [entry for entry in claimed[1] if entry[1]]  # an entry deleted meanwhile: none
    new = redis.xreadgroup(keys.LEDGER_GROUP, consumer, {keys.LEDGER_STREAM: ">"}, count=count)
    return new[0][1] if new else []


def _write(db, entries: list[tuple[str, dict]]) -> int:
    """Insert the batch's rows not yet inserted, in stream order, then apply
    each forgetting to the rows before it.  Returns the rows inserted."""
    decoded = []
    for entry_id, fields in entries:
        fields = {_text(k): _text(v) for k, v in fields.items()}
        try:
            rows = json.loads(fields["rows"])
            at = datetime.fromisoformat(fields["at"])
            forget = json.loads(fields["forget"]) if fields.get("forget") else None
        except (KeyError, ValueError, TypeError):
            log.error("unreadable ledger entry %s skipped", _text(entry_id))
            continue
        decoded.append((fields.get("id") or _text(entry_id), rows, at, forget))
    ids = [f"{name}/{n}" for name, rows, _at, _f in decoded for n in range(len(rows))]
    landed = set(db.scalars(select(Message.ledger_entry).where(Message.ledger_entry.in_(ids))))
    inserted = 0
    for name, rows, at, forget in decoded:
        for n, row in enumerate(rows):
            entry = f"{name}/{n}"
            if entry in landed:
                continue  # written before: a batch again after a crash, an entry sent twice
            landed.add(entry)
            values = {c: row.get(c) for c in COLUMNS}
            db.add(Message(**values, ledger_entry=entry, created_at=at, updated_at=at))
            inserted += 1
        if forget is not None:
            db.flush()
            apply_forget(db, forget, until=at)
    return inserted


def drain(svc, consumer: str, *, count: int = BATCH, batches: int | None = None,
          wait: bool = False) -> int:
    """Write waiting entries to SQL, a batch at a time, until none is left
    (or ``batches`` were written).  Returns the rows inserted.  A batch whose
    write fails stays unacknowledged and is written again first on the next
    call; Redis and database errors propagate.  When another worker is
    writing, returns 0 at once, or with ``wait`` (erasure, retention: the
    ledger must be complete first) waits for it and writes what is left."""
    redis = svc.redis
    ensure_group(redis)
    total, done = 0, 0
    lock = redis.lock(keys.LEDGER_LOCK, timeout=LOCK_SECONDS, blocking=wait,
                      blocking_timeout=LOCK_SECONDS if wait else None)
    if not lock.acquire():
        if wait:
            raise LockError("the ledger stream's writers' lock stayed taken")
        return 0  # another worker is writing: it keeps the order
    try:
        while batches is None or done < batches:
            entries = _read(redis, consumer, count)
            if not entries:
                _apply_kept_forgets(svc)
                break
            with svc.db() as db:
                total += _write(db, entries)
                db.commit()
            names = [entry_id for entry_id, _ in entries]
            pipe = redis.pipeline(transaction=True)
            pipe.xack(keys.LEDGER_STREAM, keys.LEDGER_GROUP, *names)
            pipe.xdel(keys.LEDGER_STREAM, *names)
            pipe.execute()
            done += 1
            try:
                lock.extend(LOCK_SECONDS, replace_ttl=True)
            except LockError:  # lost (a batch slower than LOCK_SECONDS): let another go on
                break
    finally:
        try:
            lock.release()
        except (RedisError, LockError):
            pass  # expires by itself
    return total


def drain_quietly(svc, consumer: str, **kwargs: Any) -> int:
    """``drain`` for loops and sweeps: a failure is logged, never raised."""
    try:
        return drain(svc, consumer, **kwargs)
    except (RedisError, SQLAlchemyError) as exc:
        log.warning("ledger stream not written yet: %s", type(exc).__name__)
        return 0
