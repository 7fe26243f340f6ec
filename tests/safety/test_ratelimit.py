"""The rate limiter and loop guard on their own (Redis only, no app or
database: ``make mutate`` runs these for their mutants) and text
normalisation; through the webhooks they are ``test_limits``."""

from __future__ import annotations

import uuid
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
        pytest.param("tab\there", "tab here", id="tab"),
        pytest.param("TAXI X", "TAXI X", id="letters kept, X included"),
        pytest.param("lone\ud800surrogate", "lonesurrogate", id="lone surrogate"),
        pytest.param("private\ue000use", "privateuse", id="private use"),
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


# Edges found by mutation testing (docs/testing.md, "Mutation testing").

@pytest.mark.parametrize(
    ("window", "ttl_ms"),
    [
        pytest.param(90, 90_000, id="the window"),
        pytest.param(1, 1_000, id="one second"),
        pytest.param(0.5, 1_000, id="under a second: one second, not none"),
    ],
)
def test_keys_expire_with_the_window(redis_conn, window, ttl_ms):
    """The window and the notice both expire after the window (at least a second)."""
    limiter, _ = limiter_at(redis_conn)
    limiter.hit("t", "e", limit=5, window=window)
    limiter.first_notice("t", "e", window=window)
    for key in (keys.rate("t", "e"), keys.rate_notified("t", "e")):
        assert ttl_ms - 100 < redis_conn.pttl(key) <= ttl_ms


def test_one_hit_is_one_transaction(redis_conn):
    """Trim, add, count and expiry run in one MULTI/EXEC: concurrent hits never interleave."""
    limiter, _ = limiter_at(redis_conn)
    done = f"ECHO done-{uuid.uuid4().hex}"
    seen = []
    with redis_conn.monitor() as monitor:
        limiter.hit("t", "m", limit=1, window=60)
        redis_conn.echo(done.split()[1])
        while (command := monitor.next_command())["command"] != done:
            seen.append(command)
    ours = (command["client_address"], command["client_port"])  # the connection that echoed
    names = [c["command"].split()[0].upper() for c in seen
             if (c["client_address"], c["client_port"]) == ours]
    assert names[-6:] == ["MULTI", "ZREMRANGEBYSCORE", "ZADD", "ZCARD", "EXPIRE", "EXEC"]


@pytest.mark.parametrize(
    ("hits", "limit", "now", "expected"),
    [
        pytest.param([0, 10, 20], 3, 30, 30.0, id="at the limit: until the oldest leaves"),
        pytest.param([0, 10, 20], 2, 30, 40.0, id="over it: until enough leave"),
        pytest.param([0, 10, 20], 4, 30, 0.0, id="under the limit"),
        pytest.param([0], 1, 59.5, 0.5, id="under a second to wait"),
        pytest.param([0, 10], 1, 65, 5.0, id="older events out of the window ignored"),
    ],
)
def test_retry_after(redis_conn, hits, limit, now, expected):
    """Seconds until enough of the oldest events in the window leave it; 0 when under the limit."""
    limiter, clock = limiter_at(redis_conn)
    for at in hits:
        clock.set(datetime.fromtimestamp(1000 + at, UTC))
        limiter.hit("t", "r", limit=limit, window=60)
    clock.set(datetime.fromtimestamp(1000 + now, UTC))
    assert limiter.retry_after("t", "r", limit=limit, window=60) == pytest.approx(expected)


def test_count_is_per_subject_and_kind(redis_conn):
    """count() reads one subject's window of one kind, only the last ``window`` seconds."""
    limiter, clock = limiter_at(redis_conn)
    limiter.hit("t", "a", limit=9, window=60)
    clock.advance(seconds=30)
    limiter.hit("t", "a", limit=9, window=60)
    limiter.hit("t", "b", limit=9, window=60)
    limiter.hit("u", "a", limit=9, window=60)
    assert limiter.count("t", "a", window=60) == 2
    assert limiter.count("t", "a", window=20) == 1


def test_clear_empties_the_window_and_the_notice(redis_conn):
    """clear() lets a limited subject in again and lets it be told again."""
    limiter, _ = limiter_at(redis_conn)
    limiter.hit("t", "c", limit=1, window=60)
    limiter.first_notice("t", "c", window=60)
    limiter.clear("t", "c")
    assert limiter.count("t", "c", window=60) == 0
    assert limiter.hit("t", "c", limit=1, window=60)
    assert limiter.first_notice("t", "c", window=60)


def test_clear_is_per_subject_and_kind(redis_conn):
    """Clearing one subject of one kind leaves other subjects and kinds limited."""
    limiter, _ = limiter_at(redis_conn)
    for kind, subject in (("t", "a"), ("t", "b"), ("u", "a")):
        limiter.hit(kind, subject, limit=1, window=60)
        limiter.first_notice(kind, subject, window=60)
    limiter.clear("t", "a")
    assert limiter.count("t", "b", window=60) == limiter.count("u", "a", window=60) == 1
    assert not limiter.first_notice("t", "b", window=60)
    assert not limiter.first_notice("u", "a", window=60)


def test_first_notice_is_per_subject_and_kind(redis_conn):
    """Telling one subject it is over one limit does not silence another subject or kind."""
    limiter, _ = limiter_at(redis_conn)
    assert limiter.first_notice("t", "a", window=60)
    assert limiter.first_notice("t", "b", window=60)
    assert limiter.first_notice("u", "a", window=60)


def repeats(redis_conn, messages):
    return [safety.repeated(redis_conn, sender, text, window=30, progress=progress)
            for sender, text, progress in messages]


@pytest.mark.parametrize(
    ("messages", "counts"),
    [
        pytest.param([("p", "hi", False)] * 3, [1, 2, 3], id="the same text, no progress"),
        pytest.param([("p", "hi", False), ("p", "hi", True), ("p", "hi", False)], [1, 0, 1],
                     id="an answer that moves the dialogue starts the count again"),
        pytest.param([("p", "hi", False), ("p", "ho", False)], [1, 1], id="another text"),
        pytest.param([("p", "hi", False), ("r", "hi", False)], [1, 1], id="another sender"),
        pytest.param([("p", " Busy ", False), ("p", "busy", False)], [1, 2],
                     id="case and outer spaces ignored"),
    ],
)
def test_loop_guard_counts_repeats_without_progress(redis_conn, messages, counts):
    """The guard counts one sender's same text (trimmed, any case) sent again without
    moving the dialogue; progress clears the count."""
    assert repeats(redis_conn, messages) == counts


def test_loop_guard_expires_with_its_window(redis_conn):
    """The loop guard remembers a sender's text for ``window`` seconds only."""
    safety.repeated(redis_conn, "p", "hi", window=30, progress=False)
    [key] = redis_conn.keys(keys.loop_guard("p", "*"))
    assert 29_000 < redis_conn.pttl(key) <= 30_000


class _Turn:
    def __init__(self, step, *events):
        self.session = type("S", (), {"step": step})()
        self.events = [{"type": e} for e in events]


@pytest.mark.parametrize(
    ("before", "turn", "progress"),
    [
        pytest.param("county", _Turn("sub_county", "step"), True, id="an answer accepted"),
        pytest.param("county", _Turn("county", "invalid"), False, id="an invalid answer"),
        pytest.param("county", _Turn("language", "strikes_out"), False, id="struck out"),
        pytest.param(None, _Turn("language", "step"), False, id="a dialogue started"),
        pytest.param(None, _Turn("category", "keyword", "step"), False,
                     id="a keyword starting a dialogue"),
        pytest.param("county", _Turn("category", "back"), True, id="Back"),
        pytest.param("confirm", _Turn("confirm", "completed"), True, id="a report completed"),
        pytest.param("county", _Turn("county", "cancelled"), True, id="STOP"),
        pytest.param("county", _Turn("county", "quick_exit"), True, id="99"),
    ],
)
def test_what_counts_as_progress(before, turn, progress):
    """Only turns that move the dialogue on (or a keyword) reset the loop count."""
    assert safety.made_progress(turn, before) is progress


@pytest.mark.parametrize(
    ("resolution", "at", "stored"),
    [
        pytest.param(None, 1001.75, 1001.0, id="default: to the second, rounded down"),
        pytest.param(60, 1001.75, 960.0, id="to the minute"),
        pytest.param(10, 1009.99, 1000.0, id="to ten seconds"),
        pytest.param(0, 1001.75, 1001.75, id="0: as it is"),
    ],
)
def test_events_are_stored_to_their_resolution(redis_conn, resolution, at, stored):
    """A limit keeps an event's time only as precisely as asked, rounded down."""
    limiter, _ = limiter_at(redis_conn, start=at)
    kwargs = {} if resolution is None else {"resolution": resolution}
    limiter.hit("t", "res", limit=5, window=3600, **kwargs)
    [(_member, score)] = redis_conn.zrange(keys.rate("t", "res"), 0, -1, withscores=True)
    assert score == stored


def test_event_members_are_random_and_fixed_width(redis_conn):
    """An event's member is a random 12-character token: no time in it."""
    limiter, _ = limiter_at(redis_conn)
    limiter.hit("t", "m", limit=5, window=60)
    limiter.hit("t", "m", limit=5, window=60)
    members = redis_conn.zrange(keys.rate("t", "m"), 0, -1)
    assert len(members) == 2 and all(len(m) == 12 for m in members)


def test_events_at_time_zero_fall_out_of_the_window(redis_conn):
    """The window trims from the start of time: an event at t=0 leaves it too."""
    limiter, clock = limiter_at(redis_conn, start=0.0)
    limiter.hit("t", "z", limit=1, window=10)
    clock.advance(seconds=11)
    assert limiter.hit("t", "z", limit=1, window=10)


@pytest.mark.parametrize("event", ["back", "lookup", "resumed", "completed", "cancelled",
                                   "quick_exit"])
def test_each_moving_event_is_progress_on_its_own(event):
    """Any of these events moves the dialogue, even where the step id stays the same."""
    assert safety.made_progress(_Turn("county", event), "county") is True


def test_starting_again_is_not_progress():
    """00 (start again) returns to the first question: repeated, it is a loop."""
    assert safety.made_progress(_Turn("category", "restart"), "county") is False
