"""Rate limits per sender, loop protection, held reports and text normalisation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.core import keys
from gateway.core.clock import ManualClock
from gateway.core.ratelimit import Limiter
from gateway.intake import safety
from gateway.store.models import Report
from tests.gateway.test_intake_ussd import INPUTS, post_ussd, walk

_sids = itertools.count(1)


def sms(client, phone, body):
    form = {"MessageSid": f"SM{next(_sids):032d}", "AccountSid": "AC1", "From": phone,
            "To": "+15005550006", "Body": body}
    response = client.post("/webhooks/twilio/messages", data=form)
    assert response.status_code == 200
    return response.text


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


def test_over_inbound_limit_gets_one_message_then_silence(app, client):
    """A flood gets one polite message, then no replies until the window passes."""
    app.config["INBOUND_PER_10_MINUTES"] = 3
    replies = [sms(client, "+254711000222", f"message {i}") for i in range(6)]
    assert all("<Message>" in r for r in replies[:3])
    assert "Too many messages" in replies[3]
    assert all("<Message>" not in r for r in replies[4:])


def test_member_ack_is_never_limited(app, client):
    """A team member's ACK is answered even when the number is over the limit."""
    app.config["INBOUND_PER_10_MINUTES"] = 1
    sms(client, "+254700000101", "hello")
    sms(client, "+254700000101", "hello again")
    assert "cannot be acknowledged" in sms(client, "+254700000101", "ACK R-ZZZZZZ")


def test_looping_phone_gets_silence_at_the_same_question(client):
    """An auto-responder repeating itself at one question is answered, then silenced."""
    replies = [sms(client, "+254711000333", "I am busy, call later") for _ in range(5)]
    # Answered at the first screen and once at the question it opened, then silence.
    assert ["<Message>" in r for r in replies] == [True, True, False, False, False]


def test_same_answer_to_successive_questions_is_not_a_loop(client):
    """Answering '1' to several menus in a row is a reporter, not a loop."""
    sms(client, "+254711000444", "REPORT")
    replies = [sms(client, "+254711000444", "1") for _ in range(4)]
    assert all("<Message>" in r for r in replies)


def test_report_over_the_limit_is_kept_for_review_not_alerted(app, client, svc):
    """Past REPORTS_PER_HOUR the report is stored, held at low priority, and not routed."""
    app.config["REPORTS_PER_HOUR"] = 1
    walk(client, INPUTS, session_id="ATUid_one")
    walk(client, INPUTS, session_id="ATUid_two")
    with svc.db() as db:
        rows = db.scalars(select(Report).order_by(Report.id)).all()
    assert [(r.priority, r.status) for r in rows] == [("normal", "received"), ("low", "held")]
    jobs = svc.queue("alerts").job_ids
    assert f"route-{rows[0].id}" in jobs and f"route-{rows[1].id}" not in jobs


def test_ussd_over_limit_still_answers_end(app, client):
    """USSD must always answer: over the limit it ends with the polite message."""
    app.config["INBOUND_PER_10_MINUTES"] = 2
    post_ussd(client, "")
    post_ussd(client, "2")
    response = post_ussd(client, "2*1")
    assert response.status_code == 200 and response.text.startswith("END Too many")


@pytest.mark.parametrize("command", ["ACK R-ZZZZZZ", "STATUS R-ZZZZZZ", "POKEA R-ZZZZZZ"])
def test_a_strangers_team_commands_are_limited(app, client, command):
    """ACK and STATUS from a number that is no team member count like any message:
    over the limit one notice, then no paid replies at all."""
    app.config["INBOUND_PER_10_MINUTES"] = 3
    replies = [sms(client, "+254711000555", command) for _ in range(8)]
    assert all("<Message>" in r for r in replies[:3])
    assert "Too many messages" in replies[3]
    assert all("<Message>" not in r for r in replies[4:])
