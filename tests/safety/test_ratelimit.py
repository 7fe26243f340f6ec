"""The rate limiter and loop guard on their own (Redis only, no app or
database: ``make mutate`` runs these for their mutants) and text
normalisation; through the webhooks they are ``test_limits``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.core import keys
from gateway.core.clock import ManualClock
from gateway.core.ratelimit import Limiter
from gateway.intake import safety


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        pytest.param("cafe\u0301", "café", id="NFC"),
        pytest.param("a\x00b\x07c", "abc", id="control characters"),
        pytest.param("line one\nline two", "line one line two", id="line breaks"),
        pytest.param("zero\u200bwidth", "zerowidth", id="format characters"),
        pytest.param(None, "", id="missing"),
    ],
)
def test_text_is_normalised(raw, clean):
    """Text reaching the dialogue is NFC with control characters removed."""
    assert safety.normalise_text(raw) == clean


def limiter_at(redis_conn, start=1000.0):
    clock = ManualClock(datetime.fromtimestamp(start, UTC))
    return Limiter(redis_conn, clock), clock


def test_sliding_window_counts_events_in_the_window(redis_conn):
    """Three events allowed per 60 s; the fourth is refused; old events fall out."""
    limiter, clock = limiter_at(redis_conn)
    ok = []
    for _ in range(4):
        ok.append(limiter.hit("t", "h", limit=3, window=60))
        clock.advance(seconds=1)
    assert ok == [True, True, True, False]
    clock.set(datetime.fromtimestamp(1000 + 61.5, UTC))
    assert limiter.hit("t", "h", limit=3, window=60)


def test_window_boundary_does_not_double_the_limit(redis_conn):
    """Events just before and just after a minute boundary count in one window."""
    limiter, clock = limiter_at(redis_conn, start=1059.0)
    assert limiter.hit("t", "b", limit=2, window=60)
    assert limiter.hit("t", "b", limit=2, window=60)
    clock.advance(seconds=2)  # past the minute: a fixed window would start again
    assert not limiter.hit("t", "b", limit=2, window=60)


def test_limits_are_per_subject_and_kind(redis_conn):
    """One sender's flood limits neither another sender nor another kind."""
    limiter, _ = limiter_at(redis_conn)
    assert limiter.hit("t", "a", limit=1, window=60)
    assert not limiter.hit("t", "a", limit=1, window=60)
    assert limiter.hit("t", "b", limit=1, window=60)
    assert limiter.hit("other", "a", limit=1, window=60)


def test_window_key_expires_with_the_window(redis_conn):
    """Nothing of a sender outlives its window in Redis."""
    limiter, _ = limiter_at(redis_conn)
    limiter.hit("t", "e", limit=5, window=90)
    assert 0 < redis_conn.ttl(keys.rate("t", "e")) <= 90


def test_count_and_retry_after_read_without_recording(redis_conn):
    """count() and retry_after() tell the state without adding an event."""
    limiter, clock = limiter_at(redis_conn)
    for _ in range(3):
        limiter.hit("t", "r", limit=3, window=60)
        clock.advance(seconds=10)
    assert limiter.count("t", "r", window=60) == 3
    assert limiter.retry_after("t", "r", limit=3, window=60) == pytest.approx(30.0)
    assert limiter.retry_after("t", "r", limit=4, window=60) == 0
    assert limiter.count("t", "r", window=60) == 3


def test_first_notice_is_given_once_per_window(redis_conn):
    """Over the limit, a subject is told once, then not again in the window."""
    limiter, _ = limiter_at(redis_conn)
    assert limiter.first_notice("t", "n", window=60)
    assert not limiter.first_notice("t", "n", window=60)
    limiter.clear("t", "n")
    assert limiter.first_notice("t", "n", window=60)
