"""The ledger stream: a live dialogue's ledger rows wait in a Redis Stream
and the workers write them to SQL in batches, each row once, in order, with
the dialogue's forgetting applied after the rows it covers; and the crash
paths: a worker killed before or after its commit, the database down while
rows accumulate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gateway.core import keys
from gateway.core.clock import utcnow
from gateway.core.services import Services
from gateway.privacy import retention
from gateway.store import ledger, ledger_stream
from gateway.store.models import LedgerForget, Message
from tests.gateway.test_webhooks import TWILIO_SMS
from tests.helpers import land_ledger

PHONE = "+254739495441"
SESSION = "ATUid_stream_1"
# English, terrorism, Turkana, Turkana North, now, a description, contact yes, send
INPUTS = ["1", "1", "1", "1", "1", "Armed men near the well", "1", "1"]
ANONYMOUS = INPUTS[:6] + ["2", "1"]


def walk(client, inputs, session_id=SESSION, phone=PHONE, start=0):
    """Africa's Talking's requests for ``inputs[start:]`` (cumulative text)."""
    screens = []
    for n in range(start, len(inputs) + 1):
        screens.append(client.post("/webhooks/africastalking/ussd", data={
            "sessionId": session_id, "phoneNumber": phone, "networkCode": "99999",
            "serviceCode": "*384*44135#", "text": "*".join(inputs[:n])}))
    return screens


def ledger_rows(svc):
    with svc.db() as db:
        return db.scalars(select(Message).order_by(Message.id)).all()


def read_as_dead_worker(svc, count=100):
    """What a worker killed mid-batch leaves: entries read, never acknowledged."""
    ledger_stream.ensure_group(svc.redis)
    read = svc.redis.xreadgroup(keys.LEDGER_GROUP, "dead-worker",
                                {keys.LEDGER_STREAM: ">"}, count=count)
    return read[0][1] if read else []


def test_a_ussd_screen_leaves_its_rows_in_the_stream_not_in_sql(client, svc):
    """A screen writes nothing to SQL: its two rows wait in the stream."""
    walk(client, INPUTS[:2])
    assert ledger_rows(svc) == []
    assert svc.redis.xlen(keys.LEDGER_STREAM) == 3


def test_landed_rows_keep_their_order_and_encryption_and_leave_the_stream(client, svc):
    """Written to SQL, a dialogue's rows alternate in and out in order, the
    number encrypted, and the stream keeps nothing that has landed."""
    screens = walk(client, INPUTS[:2])
    assert land_ledger(svc) == 6
    rows = ledger_rows(svc)
    assert [r.direction for r in rows] == ["in", "out"] * 3
    assert [r.text for r in rows if r.direction == "out"] == [s.text[4:] for s in screens]
    assert all(r.ledger_entry for r in rows)
    inbound = rows[0]
    assert inbound.sender != PHONE and svc.protector.decrypt(inbound.sender) == PHONE
    assert inbound.phone_hash == svc.protector.phone_hash(PHONE)
    assert svc.redis.xlen(keys.LEDGER_STREAM) == 0
    assert ledger_stream.backlog(svc.redis) == {"waiting": 0, "pending": 0}


def test_a_batch_written_again_after_a_crash_inserts_nothing_twice(client, svc):
    """A worker killed after its commit and before its XACK: the batch is
    claimed and written again, and no row is inserted twice."""
    walk(client, INPUTS[:3])
    entries = read_as_dead_worker(svc)
    with svc.db() as db:  # the dead worker's commit
        ledger_stream._write(db, entries)
        db.commit()
    assert len(ledger_rows(svc)) == 8
    assert ledger_stream.backlog(svc.redis)["pending"] == 4
    assert land_ledger(svc) == 0
    assert len(ledger_rows(svc)) == 8
    assert ledger_stream.backlog(svc.redis) == {"waiting": 0, "pending": 0}


def test_entries_of_a_worker_killed_before_its_commit_land_first(client, svc):
    """Entries a dead worker read but never wrote are claimed before newer
    ones: every row lands once, in the order the screens were shown."""
    walk(client, INPUTS[:2])
    assert len(read_as_dead_worker(svc)) == 3
    walk(client, INPUTS[:4], start=3)
    assert land_ledger(svc) == 10
    rows = ledger_rows(svc)
    assert [r.direction for r in rows] == ["in", "out"] * 5
    assert [r.text for r in rows if r.direction == "in"] == [
        "*".join(INPUTS[:n]) for n in range(5)]


def test_an_anonymous_dialogue_is_unlinked_even_when_its_first_rows_land_late(client, svc):
    """The forgetting of an anonymous report follows the rows it covers, even
    when those rows were held by a worker that died."""
    walk(client, ANONYMOUS[:3])
    read_as_dead_worker(svc)
    walk(client, ANONYMOUS, start=4)
    land_ledger(svc)
    rows = ledger_rows(svc)
    assert len(rows) == 2 * (len(ANONYMOUS) + 1)
    assert all(r.phone_hash is None for r in rows)
    assert all(r.sender is None for r in rows if r.direction == "in")
    assert all(r.recipient is None for r in rows if r.direction == "out")


def test_a_quick_exit_erases_the_words_still_waiting_in_the_stream(client, svc):
    """99 (the quick exit) erases what the reporter typed, rows in the stream included."""
    walk(client, INPUTS[:6])
    walk(client, INPUTS[:6] + ["99"], start=7)
    land_ledger(svc)
    inbound = [r for r in ledger_rows(svc) if r.direction == "in"]
    assert inbound and all(r.text is None and r.phone_hash is None for r in inbound)


def test_rows_wait_while_the_database_is_down_and_land_when_it_is_back(client, svc, tmp_path):
    """With the database unreachable the writer fails, the dialogue goes on,
    the rows wait unacknowledged, and they land once it answers again."""
    down = Services(dict(svc.config, DATABASE_URL=(
        "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"
        if svc.engine.dialect.name == "postgresql"
        else f"sqlite:///{tmp_path}/missing/dir/db.sqlite")))
    walk(client, INPUTS[:2])
    assert ledger_stream.drain_quietly(down, "writer") == 0
    walk(client, INPUTS[:4], start=3)
    assert ledger_stream.backlog(svc.redis) == {"waiting": 5, "pending": 3}
    assert ledger_rows(svc) == []
    assert land_ledger(svc) == 10
    assert len(ledger_rows(svc)) == 10
    down.close()


def test_readiness_fails_when_ledger_rows_wait_too_long(client, svc, clock):
    """/readyz names the ledger when a row has waited longer than READY_LEDGER_SECONDS."""
    walk(client, INPUTS[:1])
    assert client.get("/readyz").status_code == 200
    clock.advance(seconds=svc.config["READY_LEDGER_SECONDS"] + 5)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "ledger" in response.get_json()["failing"]
    land_ledger(svc)
    assert client.get("/readyz").status_code == 200


def test_metrics_show_the_ledger_backlog(client, svc):
    """/metrics exposes the entries waiting and pending in the ledger stream."""
    walk(client, INPUTS[:1])
    read_as_dead_worker(svc, count=1)
    body = client.get("/metrics").get_data(as_text=True)
    assert 'mpaka_ledger_stream_entries{state="waiting"} 2.0' in body
    assert 'mpaka_ledger_stream_entries{state="pending"} 1.0' in body
    assert "mpaka_ledger_stream_oldest_seconds" in body


def test_forget_erases_rows_still_waiting_in_the_stream(client, svc):
    """`mpaka reporter forget` writes the stream first: its rows are erased too."""
    walk(client, INPUTS[:3])
    erased = retention.forget(svc, PHONE)
    assert erased["messages"] == 8
    assert svc.redis.xlen(keys.LEDGER_STREAM) == 0
    with svc.db() as db:
        assert db.scalar(select(func.count()).select_from(Message)
                         .where(Message.phone_hash.is_not(None))) == 0
        assert db.scalar(select(func.count()).select_from(Message)
                         .where(Message.direction == "in", Message.text.is_not(None))) == 0


@pytest.mark.parametrize("entry", [{"rows": "not json", "at": "2026-12-01T00:00:00+00:00"},
                                   {"at": "2026-12-01T00:00:00+00:00"}])
def test_an_unreadable_entry_is_skipped_not_stuck(client, svc, entry):
    """An entry that cannot be read is logged and acknowledged; the rows
    after it land (a poison entry never blocks the ledger)."""
    svc.redis.xadd(keys.LEDGER_STREAM, entry)
    walk(client, INPUTS[:1])
    assert land_ledger(svc) == 4
    assert svc.redis.xlen(keys.LEDGER_STREAM) == 0


def test_an_entry_appended_twice_lands_once(client, svc):
    """A MULTI sent again after a lost reply appends the same exchange twice:
    its rows land once (the exchange names them, not the stream)."""
    walk(client, INPUTS[:1])
    _, fields = svc.redis.xrange(keys.LEDGER_STREAM, count=1)[0]
    svc.redis.xadd(keys.LEDGER_STREAM, fields)
    assert land_ledger(svc) == 4
    assert len(ledger_rows(svc)) == 4


def test_a_late_forgetting_leaves_a_later_dialogue_of_the_phone_linked(client, svc):
    """An anonymous report's forgetting that lands late reaches the rows up
    to the report, never a later dialogue of the same phone."""
    walk(client, ANONYMOUS)
    later = client.post("/webhooks/twilio/messages",
                        data={**TWILIO_SMS, "From": PHONE, "Body": "REPORT"})
    assert later.status_code == 200
    land_ledger(svc)
    sms = [r for r in ledger_rows(svc) if r.channel == "sms"]
    assert sms and all(r.phone_hash == svc.protector.phone_hash(PHONE) for r in sms)
    ussd = [r for r in ledger_rows(svc) if r.channel == "ussd"]
    assert ussd and all(r.phone_hash is None for r in ussd)


def test_a_forgetting_kept_in_sql_reaches_rows_that_land_after_it(client, svc):
    """When the closing MULTI of an anonymous report failed, its forgetting
    was kept in SQL: the dialogue's earlier rows, landing later, are
    unlinked, and the kept forgetting is then deleted."""
    walk(client, ANONYMOUS[:-1])
    phone_hash = svc.protector.phone_hash(PHONE)
    now = utcnow()
    with svc.db() as db:  # what write_directly keeps when Redis failed at the end
        db.add(LedgerForget(how=ledger.UNLINK, phone_hash=phone_hash, until=now,
                            since=now - timedelta(minutes=5), ussd_session=SESSION))
        db.commit()
    land_ledger(svc)
    assert ledger_rows(svc) and all(r.phone_hash is None for r in ledger_rows(svc))
    with svc.db() as db:
        assert db.scalars(select(LedgerForget)).all() == []
