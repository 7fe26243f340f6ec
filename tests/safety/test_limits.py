"""Rate limits, loop protection and held reports through the webhooks (the app,
Redis and a database); the limiter and loop guard alone are ``test_ratelimit``."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from gateway.store.models import Report
from tests.gateway.test_intake_ussd import INPUTS, post_ussd, walk

_sids = itertools.count(1)


def sms(client, phone, body):
    form = {"MessageSid": f"SM{next(_sids):032d}", "AccountSid": "AC1", "From": phone,
            "To": "+15005550006", "Body": body}
    response = client.post("/webhooks/twilio/messages", data=form)
    assert response.status_code == 200
    return response.text


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


def test_an_auto_reply_loop_still_stops(app, client):
    """A machine answering every reply with the same text (two gateways talking)
    gets LOOP_REPEATS answers in a row, then silence: through strikes and the new
    dialogue each strike-out would otherwise start, nothing more is paid for."""
    replies = [sms(client, "+254711000333", "I am busy, call later") for _ in range(12)]
    answered = app.config["LOOP_REPEATS"]
    assert ["<Message>" in r for r in replies] == [True] * answered + [False] * (12 - answered)


def test_a_person_answering_the_same_thing_again_is_answered(client, svc):
    """REPORT, a category, Busia (5), Back (0), Busia again: every answer is replied
    to and the report goes to Busia, not to the county a dropped answer shifts to."""
    phone = "+254711000666"
    walk = ["REPORT", "1", "5", "0", "5", "1", "1", "Armed men crossed at the border post",
            "2", "1"]
    replies = [sms(client, phone, text) for text in walk]
    assert all("<Message>" in r for r in replies), replies
    with svc.db() as db:
        report = db.scalar(select(Report))
    assert report is not None and report.county == "busia"


def test_report_stop_report_is_answered_each_time(client):
    """REPORT, STOP, REPORT: a person changing their mind, never a loop."""
    replies = [sms(client, "+254711000777", text) for text in ("REPORT", "STOP", "REPORT")]
    assert all("<Message>" in r for r in replies)


def test_the_same_wrong_answer_twice_gets_a_re_prompt_each_time(client):
    """A mistyped answer repeated is a person: re-prompted, never silenced."""
    sms(client, "+254711000888", "REPORT")
    replies = [sms(client, "+254711000888", "x") for _ in range(2)]
    assert all("<Message>" in r for r in replies)


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


@pytest.mark.parametrize("text", ["HELP", "REPORT", "ACK R-ABCDEF", "STATUS R-ABCDEF"])
def test_a_machine_repeating_a_keyword_or_command_is_silenced(app, client, text):
    """Forty identical HELP, REPORT, ACK or STATUS messages from a stranger within
    seconds: LOOP_REPEATS answers, then no more paid replies."""
    replies = [sms(client, "+254711000999", text) for _ in range(12)]
    answered = sum("<Message>" in r for r in replies)
    assert answered == app.config["LOOP_REPEATS"]


def test_start_again_repeated_by_a_machine_is_silenced(app, client):
    """"00" (start again) sent again and again is a loop like any other."""
    sms(client, "+254711000998", "REPORT")
    replies = [sms(client, "+254711000998", "00") for _ in range(12)]
    assert sum("<Message>" in r for r in replies) <= app.config["LOOP_REPEATS"] + 1
