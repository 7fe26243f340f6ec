"""Alerts through the real africastalking and twilio SDKs, HTTP intercepted by
`responses`: success, partial success, transient failure then success,
permanent failure, timeouts.  Every mocked call must be used."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import requests
import responses
from sqlalchemy import select

from gateway.routing import dispatch as routing
from gateway.store.models import TeamMember

AT_URL = "https://api.africastalking.com/version1/messaging"
TWILIO_URL = "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
MEMBERS = ["+254700000101", "+254700000102"]


@pytest.fixture
def at_config(app):
    app.config.update(SMS_PROVIDER="africastalking", AT_USERNAME="mpaka", AT_API_KEY="key-123",
                      AT_SENDER_ID="MPAKA", DELIVERY_BACKOFF_BASE=0, DELIVERY_MAX_ATTEMPTS=3)
    return app.config


def at_answer(*recipients):
    return {"SMSMessageData": {"Message": "Sent to 2/2 Total Cost: KES 1.6000", "Recipients": [
        {"statusCode": code, "number": number, "cost": "KES 0.8000",
         "status": "Success" if code < 200 else "Failed", "messageId": f"ATXid_{number[-3:]}"}
        for number, code in recipients
    ]}}


def test_at_one_call_for_the_whole_team_with_exact_body(at_config, svc, make_report, outbound, run_worker):
    """One AT API call carries the alert to every member; the form body is exactly as AT expects."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(AT_URL, json=at_answer((MEMBERS[0], 101), (MEMBERS[1], 102)), status=201)
        routing.route(svc, make_report())
        run_worker()
        assert len(mock.calls) == 1
        request = mock.calls[0].request
        body = parse_qs(request.body)
        assert request.headers["apiKey"] == "key-123"
        assert body["username"] == ["mpaka"]
        assert body["to"] == [",".join(MEMBERS)]
        assert body["from"] == ["MPAKA"]
        assert body["bulkSMSMode"] == ["1"]
        assert body["message"][0].startswith("MPAKA HIGH")
    rows = outbound()
    assert [r.status for r in rows] == ["sent", "queued"]
    assert [r.provider_message_id for r in rows] == ["ATXid_101", "ATXid_102"]


def test_at_partial_success_fails_only_the_rejected_member(at_config, svc, make_report, outbound, run_worker):
    """A blacklisted recipient is failed permanently; the other member still gets the alert."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(AT_URL, json=at_answer((MEMBERS[0], 101), (MEMBERS[1], 406)), status=201)
        routing.route(svc, make_report())
        run_worker()
        assert len(mock.calls) == 1
    rows = outbound()
    assert rows[0].status == "sent"
    assert rows[1].status == "failed" and rows[1].attempts == 1


def test_at_transient_failure_is_retried_then_succeeds(at_config, svc, make_report, outbound, run_worker):
    """An HTTP 500 is retried with backoff; the second attempt delivers to both."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(AT_URL, body="Internal error", status=500)
        mock.post(AT_URL, json=at_answer((MEMBERS[0], 101), (MEMBERS[1], 101)), status=201)
        routing.route(svc, make_report())
        run_worker()  # first attempt fails, the retry is scheduled
        run_worker()  # the scheduler moves the due retry; the worker sends it
        assert len(mock.calls) == 2
    rows = outbound()
    assert all(r.status == "sent" and r.attempts == 2 for r in rows)


def test_at_per_recipient_gateway_error_is_retried_alone(at_config, svc, make_report, outbound, run_worker):
    """AT statusCode 502 for one recipient retries only that recipient."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(AT_URL, json=at_answer((MEMBERS[0], 101), (MEMBERS[1], 502)), status=201)
        mock.post(AT_URL, json=at_answer((MEMBERS[1], 101)), status=201)
        routing.route(svc, make_report())
        run_worker()
        run_worker()
        assert parse_qs(mock.calls[1].request.body)["to"] == [MEMBERS[1]]
    assert [r.status for r in outbound()] == ["sent", "sent"]


def test_at_timeouts_until_the_last_attempt_mark_failed(at_config, svc, make_report, outbound, run_worker):
    """Timeouts on every attempt: after DELIVERY_MAX_ATTEMPTS the deliveries are failed, shown to admins."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        for _ in range(3):
            mock.post(AT_URL, body=requests.exceptions.ConnectTimeout("timed out"))
        routing.route(svc, make_report())
        for _ in range(3):
            run_worker()
        assert len(mock.calls) == 3
    rows = outbound()
    assert all(r.status == "failed" and r.attempts == 3 for r in rows)
    assert all("gave up after 3 attempts" in r.error for r in rows)


def test_at_invalid_sender_id_is_permanent(at_config, svc, make_report, outbound, run_worker):
    """AT's InvalidSenderId (201 with no recipients) fails the alert without retrying."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(AT_URL, json={"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}},
                  status=201)
        routing.route(svc, make_report())
        run_worker()
        run_worker()
        assert len(mock.calls) == 1
    assert all(r.status == "failed" for r in outbound())


@pytest.fixture
def twilio_config(app, svc):
    app.config.update(WHATSAPP_PROVIDER="twilio", SMS_PROVIDER="twilio", TWILIO_ACCOUNT_SID="AC123",
                      TWILIO_AUTH_TOKEN="tok", TWILIO_FROM_NUMBER="+15005550006",
                      TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
                      PUBLIC_BASE_URL="https://mpaka.example.org", DELIVERY_BACKOFF_BASE=0)
    with svc.db() as db:
        member = db.scalar(select(TeamMember).where(TeamMember.phone == MEMBERS[1]))
        member.channel = "whatsapp"
        db.commit()
    return app.config


def twilio_answer(sid):
    return {"sid": sid, "status": "queued", "account_sid": "AC123", "body": "x"}


def test_twilio_one_call_per_member_with_whatsapp_prefix(twilio_config, svc, make_report, outbound, run_worker):
    """Twilio sends per recipient: SMS to one member, WhatsApp (prefixed) to the other, with a status callback."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(TWILIO_URL, json=twilio_answer("SM1"), status=201)
        mock.post(TWILIO_URL, json=twilio_answer("SM2"), status=201)
        routing.route(svc, make_report())
        run_worker()
        bodies = [parse_qs(c.request.body) for c in mock.calls]
    assert bodies[0]["To"] == [MEMBERS[0]] and bodies[0]["From"] == ["+15005550006"]
    assert bodies[1]["To"] == ["whatsapp:" + MEMBERS[1]]
    assert bodies[1]["From"] == ["whatsapp:+14155238886"]
    assert bodies[0]["StatusCallback"] == ["https://mpaka.example.org/webhooks/twilio/status"]
    assert [r.provider_message_id for r in outbound()] == ["SM1", "SM2"]


def test_twilio_invalid_number_is_permanent_other_member_still_sent(twilio_config, svc, make_report, outbound, run_worker):
    """Twilio 21211 fails that member permanently; the other member's alert goes out."""
    error = {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(TWILIO_URL, json=twilio_answer("SM1"), status=201)
        mock.post(TWILIO_URL, body=json.dumps(error), status=400, content_type="application/json")
        routing.route(svc, make_report())
        run_worker()
        run_worker()
        assert len(mock.calls) == 2
    assert [r.status for r in outbound()] == ["queued", "failed"]
