"""The missed-call callback: a call to a callback number is rejected (free for
the caller) and a real RQ worker calls back through the Africa's Talking SDK
(HTTP intercepted by ``responses``); limits, retries and drops are in the ledger."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
import responses
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from gateway.store.models import Message

SECRET = "at-secret"
CALLBACK_NUMBER = "+254711082000"
CALLER = "+254722000111"
AT_CALL_URL = "https://voice.africastalking.com/call"
URL = f"/webhooks/africastalking/voice/callback?secret={SECRET}"


@pytest.fixture
def config(config):
    return config | {
        "AT_WEBHOOK_SECRET": SECRET, "AT_USERNAME": "mpaka", "AT_API_KEY": "at-key",
        "VOICE_PROVIDER": "africastalking", "VOICE_CALLBACK_NUMBERS": [CALLBACK_NUMBER],
        "VOICE_CALLBACKS_PER_DAY": 3, "PUBLIC_BASE_URL": "https://mpaka.example.org",
    }


def inbound_call(session="ATVId_in1", caller=CALLER, **extra):
    return {
        "sessionId": session, "isActive": "1", "direction": "Inbound",
        "callerNumber": caller, "destinationNumber": CALLBACK_NUMBER,
        "callerCarrierName": "Safaricom", "callStartTime": "2026-12-01 03:00:00", **extra,
    }


def outbound_event(session, active, **extra):
    return {
        "sessionId": session, "isActive": active, "direction": "Outbound",
        "callerNumber": CALLBACK_NUMBER, "destinationNumber": CALLER, **extra,
    }


def queued(session="ATVId_out1"):
    return {"entries": [{"phoneNumber": CALLER, "status": "Queued", "sessionId": session}],
            "errorMessage": "None"}


def voice_rows(svc, direction):
    with svc.db() as db:
        return db.scalars(select(Message).where(Message.channel == "voice",
                                                Message.direction == direction)
                          .order_by(Message.id)).all()


def test_call_to_callback_number_is_rejected(client):
    """The answer to the resident's call is AT's Reject action, so the call costs nothing."""
    response = client.post(URL, data=inbound_call())
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response><Reject/></Response>'


def test_worker_calls_back_through_the_sdk(client, svc, run_worker):
    """A real worker places the call from the callback number to the caller with AT's Voice API."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(AT_CALL_URL, json=queued(), status=200)
        client.post(URL, data=inbound_call())
        run_worker()
        body = parse_qs(mock.calls[0].request.body)
        api_key = mock.calls[0].request.headers["apiKey"]
    assert body == {"username": ["mpaka"], "from": [CALLBACK_NUMBER], "to": [CALLER]}
    assert api_key == "at-key"
    (row,) = voice_rows(svc, "out")
    assert (row.status, row.provider_message_id) == ("sent", "ATVId_out1")


def test_caller_number_is_only_stored_encrypted(client, svc, caplog):
    """Ledger rows, the job's arguments and the logs never hold the caller's number in clear."""
    caplog.set_level(logging.DEBUG)
    client.post(URL, data=inbound_call())
    job = svc.queue("alerts").jobs[0]
    assert CALLER not in repr(job.args) and CALLER not in (job.description or "")
    for row in voice_rows(svc, "in") + voice_rows(svc, "out"):
        assert CALLER not in (row.sender or "") + (row.recipient or "") + (row.text or "")
    assert svc.protector.decrypt(voice_rows(svc, "out")[0].recipient) == CALLER
    assert CALLER not in caplog.text


def test_second_missed_call_within_ten_minutes_gets_no_second_call(client, svc, clock, run_worker):
    """Within 10 minutes a second missed call is rejected and recorded, but not called back."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(AT_CALL_URL, json=queued(), status=200)
        client.post(URL, data=inbound_call("ATVId_a"))
        clock.advance(minutes=5)
        second = client.post(URL, data=inbound_call("ATVId_b"))
        run_worker()
        assert len(mock.calls) == 1
    assert "<Reject/>" in second.text
    rows = voice_rows(svc, "in")
    assert [r.error for r in rows] == [None, "no callback: one callback per 10 minutes"]
    assert len(voice_rows(svc, "out")) == 1


def test_daily_cap_stops_callbacks(client, svc, clock):
    """After VOICE_CALLBACKS_PER_DAY callbacks, further missed calls that day are not called back."""
    for n in range(4):
        client.post(URL, data=inbound_call(f"ATVId_{n}"))
        clock.advance(minutes=11)
    assert len(voice_rows(svc, "out")) == 3
    assert voice_rows(svc, "in")[-1].error == "no callback: daily limit of 3 callbacks"


def test_unanswered_callback_is_tried_once_more_after_a_minute_then_dropped(client, svc, run_worker):
    """No answer: a retry is scheduled a minute later; unanswered again, the callback is dropped."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(AT_CALL_URL, json=queued("ATVId_o1"), status=200)
        mock.post(AT_CALL_URL, json=queued("ATVId_o2"), status=200)
        client.post(URL, data=inbound_call())
        run_worker()
        client.post(URL, data=outbound_event("ATVId_o1", "0", hangupCause="NO_ANSWER",
                                             durationInSeconds="0"))
        registry = ScheduledJobRegistry(queue=svc.queue("alerts"))
        (job_id,) = registry.get_job_ids()
        due = registry.get_scheduled_time(job_id)
        assert 50 <= (due - datetime.now(UTC)).total_seconds() <= 61
        run_worker()
        assert len(mock.calls) == 1  # not due yet
        svc.redis.zadd(registry.key, {job_id: datetime.now(UTC).timestamp() - 1})  # a minute on
        run_worker()
        assert len(mock.calls) == 2
        client.post(URL, data=outbound_event("ATVId_o2", "0", hangupCause="USER_BUSY",
                                             durationInSeconds="0"))
    (row,) = voice_rows(svc, "out")
    assert row.status == "failed" and row.attempts == 2
    assert row.error == "dropped after 2 attempt(s): not answered: USER_BUSY"
    assert registry.get_job_ids() == []


def test_sdk_failure_is_retried_then_dropped(client, svc, run_worker):
    """AT answering 500 twice: the call is placed twice, a minute apart, then dropped in the ledger."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(AT_CALL_URL, body="Internal error", status=500)
        mock.post(AT_CALL_URL, body="Internal error", status=500)
        client.post(URL, data=inbound_call())
        run_worker()
        registry = ScheduledJobRegistry(queue=svc.queue("alerts"))
        (job_id,) = registry.get_job_ids()
        svc.redis.zadd(registry.key, {job_id: datetime.now(UTC).timestamp() - 1})
        run_worker()
        assert len(mock.calls) == 2
    (row,) = voice_rows(svc, "out")
    assert row.status == "failed"
    assert row.error == "dropped after 2 attempt(s): not placed: Africa's Talking answered HTTP 500"


def test_answered_callback_goes_to_the_voice_dialogue(client, svc, run_worker):
    """Answered, the outbound call is redirected to the voice dialogue's webhook and marked delivered."""
    with responses.RequestsMock() as mock:
        mock.post(AT_CALL_URL, json=queued(), status=200)
        client.post(URL, data=inbound_call())
        run_worker()
    response = client.post(URL, data=outbound_event("ATVId_out1", "1"))
    assert response.text == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Redirect>'
        f"https://mpaka.example.org/webhooks/africastalking/voice?secret={SECRET}"
        "</Redirect></Response>")
    assert voice_rows(svc, "out")[0].status == "delivered"


def test_console_provider_records_the_call_without_calling(make_app, config, capsys):
    """With VOICE_PROVIDER=console (``mpaka dev``) the callback is printed and recorded as sent."""
    from gateway.intake import callback

    app = make_app(VOICE_PROVIDER="console")
    svc = app.extensions["mpaka"]
    app.test_client().post(URL, data=inbound_call())
    (row,) = voice_rows(svc, "out")
    assert callback.place(svc, row.id) == {"placed": True}
    (row,) = voice_rows(svc, "out")
    assert (row.provider, row.status) == ("console", "sent")
    out = capsys.readouterr().out
    assert "callback placed" in out and CALLER not in out


def test_bad_secret_is_refused(client, svc):
    """A wrong secret gets 403 and queues nothing."""
    response = client.post("/webhooks/africastalking/voice/callback?secret=wrong",
                           data=inbound_call())
    assert response.status_code == 403
    assert voice_rows(svc, "in") == []


@pytest.mark.parametrize("form", [
    pytest.param({k: v for k, v in inbound_call().items() if k != "sessionId"}, id="no sessionId"),
    pytest.param(inbound_call(isActive="yes"), id="bad isActive"),
    pytest.param(inbound_call(direction="Sideways"), id="bad direction"),
    pytest.param(inbound_call(caller="not-a-number"), id="bad caller"),
])
def test_malformed_callback_gets_400(client, form):
    """A malformed voice callback gets 400 saying what is wrong, never a 500."""
    response = client.post(URL, data=form)
    assert response.status_code == 400
    assert response.text.startswith("Bad request:")


def sms(text, message_id):
    return {"from": CALLER, "to": "28901", "text": text, "date": "2026-12-01 03:00:00",
            "id": message_id, "networkCode": "63902"}


def sms_replies(svc):
    with svc.db() as db:
        return [r.text for r in db.scalars(select(Message).where(
            Message.channel == "sms", Message.direction == "out").order_by(Message.id))]


def test_sms_piga_asks_for_a_callback(client, svc, run_worker):
    """An SMS "PIGA" queues a callback from the first callback number, answered in Kiswahili."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(AT_CALL_URL, json=queued(), status=200)
        response = client.post(f"/webhooks/africastalking/sms?secret={SECRET}",
                               data=sms("Piga", "ATXid_1"))
        assert response.status_code == 200
        run_worker()
        body = parse_qs(mock.calls[0].request.body)
    assert body["from"] == [CALLBACK_NUMBER] and body["to"] == [CALLER]
    assert sms_replies(svc)[0].startswith("Tutakupigia sasa hivi.")


def test_second_sms_call_me_within_ten_minutes_is_told_to_wait(client, svc, clock):
    """CALL ME twice within 10 minutes: one callback; the second SMS is told why not."""
    client.post(f"/webhooks/africastalking/sms?secret={SECRET}", data=sms("CALL ME", "ATXid_1"))
    clock.advance(minutes=2)
    client.post(f"/webhooks/africastalking/sms?secret={SECRET}", data=sms("call me!", "ATXid_2"))
    assert len(voice_rows(svc, "out")) == 1
    assert sms_replies(svc)[1].startswith("You were called back a short time ago.")


def test_piga_without_callback_numbers_starts_no_call(make_app, app):
    """Without VOICE_CALLBACK_NUMBERS, PIGA is an ordinary message: no callback is queued."""
    other = make_app(VOICE_CALLBACK_NUMBERS=[])
    other.test_client().post(f"/webhooks/africastalking/sms?secret={SECRET}",
                             data=sms("PIGA", "ATXid_9"))
    assert voice_rows(other.extensions["mpaka"], "out") == []
