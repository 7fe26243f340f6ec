"""The ledger stream's crash paths with real processes: workers SIGKILLed
while they write, Redis killed and restarted from its append-only file, the
database cut while rows accumulate.  Every row of every screen lands in SQL
exactly once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.core import keys
from gateway.store.models import Message
from tests.helpers import DEADLINE

from .conftest import INPUTS, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.faults]

DIALOGUES = 12


def _ledger_count(system) -> int:
    return system.scalar(select(func.count()).select_from(Message)
                         .where(Message.ledger_entry.is_not(None)))


def _walk_all(system, prefix: str) -> int:
    """``DIALOGUES`` complete dialogues; returns the ledger rows they make
    (an inbound row and the screen, per request)."""
    requests_made = 0
    for n in range(DIALOGUES):
        screens = system.walk(INPUTS, f"{prefix}{n}", phone=f"+2547110{n:05d}")
        assert all(s.status_code == 200 for s in screens)
        requests_made += len(screens)
    return 2 * requests_made


def _landed(system, expected: int) -> None:
    stream = system.redis.client()
    wait_until(lambda: stream.xlen(keys.LEDGER_STREAM) == 0 and _ledger_count(system) >= expected,
               DEADLINE, what="the ledger stream to land")
    assert _ledger_count(system) == expected
    duplicates = system.rows(select(Message.ledger_entry)
                             .where(Message.ledger_entry.is_not(None))
                             .group_by(Message.ledger_entry).having(func.count() > 1))
    assert duplicates == []


def test_workers_killed_while_writing_lose_and_double_no_ledger_row(system):
    """Two workers SIGKILLed while the stream is being written, one after
    the other: a new worker lands every row, once."""
    expected = _walk_all(system, "ATUid_kill_a")
    system.start_worker().kill()  # started, and killed wherever it was
    writer = system.start_worker()
    wait_until(lambda: _ledger_count(system) > 0, DEADLINE, what="a first batch")
    writer.kill()
    expected += _walk_all(system, "ATUid_kill_b")
    system.start_worker()
    _landed(system, expected)


def test_rows_survive_redis_killed_and_restarted_from_its_append_only_file(system):
    """Redis SIGKILLed with rows waiting (some read by a worker that died):
    restarted from its AOF, the stream and its consumer group are back, and
    every row lands once."""
    worker = system.start_worker()
    expected = _walk_all(system, "ATUid_aof_a")
    worker.kill()
    expected += _walk_all(system, "ATUid_aof_b")  # these wait: no worker runs
    assert system.redis.client().xlen(keys.LEDGER_STREAM) > 0
    system.redis.process.kill()  # no shutdown: what the append-only file holds
    system.redis.process = None
    system.redis.start()
    system.start_worker()
    _landed(system, expected)


@pytest.mark.skipif("not __import__('os').environ.get('TEST_DATABASE_URL')",
                    reason="cutting the database needs PostgreSQL behind the test's proxy")
def test_rows_accumulate_while_the_database_is_cut_and_land_when_it_is_back(make_system):
    """The database cut (its proxy stopped) while dialogues go on: every
    screen answers, the rows wait in the stream, and land once it is back."""
    system = make_system(proxy_db=True)
    system.start_app()
    system.start_worker()
    warm = system.walk(INPUTS[:1], "ATUid_dbcut_warm")  # the live script's pointer, in Redis
    system.stop_db_proxy()
    # Screens up to the report: no SQL is needed to answer them.
    for n in range(DIALOGUES):
        screens = system.walk(INPUTS[:5], f"ATUid_dbcut_{n}", phone=f"+2547120{n:05d}")
        assert all(s.status_code == 200 and s.text.startswith("CON ") for s in screens)
    expected = 2 * (6 * DIALOGUES + len(warm))
    assert system.redis.client().xlen(keys.LEDGER_STREAM) >= 6 * DIALOGUES
    system.start_db_proxy()
    _landed(system, expected)


def test_an_anonymous_report_whose_last_screen_loses_redis_is_unlinked_all_the_same(make_system):
    """Redis goes down as an anonymous report is completed: the closing MULTI
    (with the forgetting) fails, the reporter still gets the reference, and
    once Redis is back and the earlier rows land, none leads to the phone."""
    from gateway.store.models import LedgerForget

    system = make_system(app_env={"MPAKA_FAULT_SHUTDOWN_REDIS_AT_ENQUEUE": "1"})
    system.start_app()
    anonymous = [*INPUTS[:6], "2", "1"]  # ... "No, stay anonymous", send
    screens = system.walk(anonymous, "ATUid_anon_lost")
    assert screens[-1].text.startswith("END ") and "R-" in screens[-1].text
    assert system.scalar(select(func.count()).select_from(LedgerForget)) == 1
    system.redis.start()
    system.start_worker()
    wait_until(lambda: system.scalar(select(func.count()).select_from(LedgerForget)) == 0,
               DEADLINE, what="the kept forgetting to be applied")
    rows = system.rows(select(Message.phone_hash, Message.sender, Message.direction)
                       .where(Message.channel == "ussd"))
    assert len(rows) == 2 * (len(anonymous) + 1)
    assert [r for r in rows if r.phone_hash is not None] == []
    assert [r for r in rows if r.direction == "in" and r.sender is not None] == []
