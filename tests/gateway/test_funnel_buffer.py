"""Funnel counters are buffered in Redis with the session save and written to
SQL by the sweep (or when the funnel page is opened)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.core import keys, localtime
from gateway.store import funnel, script_versions
from tests.gateway.test_intake_ussd import INPUTS, walk


def totals(svc):
    script = script_versions.live_script(svc)
    today = localtime.today(datetime.now(UTC))  # funnel days are EAT days
    with svc.db() as db:
        return {row.step: (row.reached, row.stopped)
                for row in funnel.funnel(db, script, today - timedelta(days=1), today)}


def test_walk_is_counted_after_flush(client, svc):
    """A completed USSD walk reaches every step once and stops at the end step."""
    walk(client, INPUTS)
    assert totals(svc)["language"] == (0, 0)  # still in Redis
    assert funnel.flush(svc) > 0
    counted = totals(svc)
    assert counted["language"] == (1, 0)
    assert counted["done"] == (1, 1)


def test_flush_twice_writes_once(client, svc):
    """A second flush finds nothing new; counts are not doubled."""
    walk(client, INPUTS[:3])
    funnel.flush(svc)
    first = totals(svc)
    assert funnel.flush(svc) == 0
    assert totals(svc) == first


def test_interrupted_flush_is_picked_up_again(client, svc, redis_conn):
    """A key renamed for flushing but never written (a crash) is written next time."""
    walk(client, INPUTS[:3])
    [key] = list(redis_conn.scan_iter(match=keys.funnel("*", "*", "*")))
    redis_conn.rename(key, key.decode() + keys.FLUSHING + "crashed")
    funnel.flush(svc)
    assert totals(svc)["language"] == (1, 0)
