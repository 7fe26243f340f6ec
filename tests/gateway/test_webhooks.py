"""Each webhook with the exact provider payloads: good requests, retries, bad
signatures, missing secrets and malformed bodies (never a 500)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from gateway.store.models import Message
from tests.helpers import land_ledger

AT_USSD = {
    "phoneNumber": "+254739495441",
    "serviceCode": "*384*44135#",
    "text": "",
    "sessionId": "ATUid_7c898d72eb11f723ed8ea05ef232f279",
    "networkCode": "99999",
}
AT_SMS = {
    "from": "+254711000111",
    "to": "28901",
    "text": "Habari",
    "date": "2025-05-01T08:34:18.445Z",
    "id": "ATXid_5d3b4c2bc589f4811820a7184eed4df5",
    "linkId": "SampleLinkId123",
    "networkCode": "63902",
}
TWILIO_SMS = {
    "SmsMessageSid": "SM01", "NumMedia": "0", "SmsSid": "SM01", "SmsStatus": "received",
    "Body": "Habari", "FromCountry": "KE", "To": "+15005550006", "NumSegments": "1",
    "MessageSid": "SM0123456789abcdef0123456789abcdef", "AccountSid": "AC01",
    "From": "+254711000000", "ApiVersion": "2010-04-01",
}
TOKEN = "twilio-test-token"
SECRET = "at-secret"


def messages_in(svc) -> int:
    land_ledger(svc)
    with svc.db() as db:
        return db.scalar(select(func.count()).select_from(Message).where(Message.direction == "in"))


@pytest.mark.parametrize(
    ("path", "form", "status"),
    [
        pytest.param("/webhooks/africastalking/ussd", {k: v for k, v in AT_USSD.items() if k != "sessionId"}, 400, id="ussd missing sessionId"),
        pytest.param("/webhooks/africastalking/ussd", {**AT_USSD, "phoneNumber": "not-a-number"}, 400, id="ussd bad phone"),
        pytest.param("/webhooks/africastalking/sms", {k: v for k, v in AT_SMS.items() if k != "from"}, 400, id="sms missing from"),
        pytest.param("/webhooks/twilio/messages", {k: v for k, v in TWILIO_SMS.items() if k != "MessageSid"}, 400, id="twilio missing MessageSid"),
        pytest.param("/webhooks/africastalking/delivery", {"status": "Success"}, 400, id="delivery missing id"),
    ],
)
def test_malformed_form_gets_400(client, path, form, status):
    """A request missing a required field gets 400 with a message saying what is wrong."""
    response = client.post(path, data=form)
    assert response.status_code == status
    assert response.text.startswith("Bad request:")


@pytest.mark.parametrize(
    "path",
    ["/webhooks/africastalking/ussd", "/webhooks/africastalking/sms", "/webhooks/twilio/messages"],
)
def test_wrong_content_type_gets_400(client, path):
    """JSON (or anything but a form) is refused with 400, not a 500."""
    response = client.post(path, json={"text": "x"})
    assert response.status_code == 400
    assert "form" in response.text


def test_oversized_body_gets_413(client):
    """A body over MAX_CONTENT_LENGTH is refused before it is parsed."""
    response = client.post("/webhooks/africastalking/sms", data={**AT_SMS, "text": "x" * 20000})
    assert response.status_code == 413


def test_at_sms_answers_200_and_queues_reply(client, svc):
    """An inbound AT SMS is answered 200 at once; the reply is a queued ledger row and a job."""
    response = client.post("/webhooks/africastalking/sms", data=AT_SMS)
    assert response.status_code == 200
    with svc.db() as db:
        out = db.scalars(select(Message).where(Message.direction == "out")).all()
    assert len(out) == 1 and out[0].status == "queued"
    assert svc.queue("alerts").count == 1


def test_at_sms_retry_is_not_run_twice(client, svc):
    """AT retries the same id until it gets 200: the dialogue runs once."""
    client.post("/webhooks/africastalking/sms", data=AT_SMS)
    again = client.post("/webhooks/africastalking/sms", data=AT_SMS)
    assert again.status_code == 200
    assert messages_in(svc) == 1
    assert svc.queue("alerts").count == 1


def test_at_sms_reply_is_sent_by_the_worker(client, svc, run_worker):
    """The queued reply goes out through the configured provider and is marked sent."""
    client.post("/webhooks/africastalking/sms", data=AT_SMS)
    run_worker()
    with svc.db() as db:
        out = db.scalar(select(Message).where(Message.direction == "out"))
    assert out.status == "sent"


def test_twilio_sms_gets_twiml_reply(client):
    """A Twilio SMS is answered with TwiML carrying the next screen."""
    response = client.post("/webhooks/twilio/messages", data=TWILIO_SMS)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert "<Message>" in response.text


def test_twilio_retry_by_message_sid_answers_empty(client, svc):
    """The same MessageSid twice runs the dialogue once; the second gets an empty Response."""
    client.post("/webhooks/twilio/messages", data=TWILIO_SMS)
    again = client.post("/webhooks/twilio/messages", data=TWILIO_SMS)
    assert again.status_code == 200
    assert "<Message>" not in again.text
    assert messages_in(svc) == 1


def test_whatsapp_prefix_is_a_whatsapp_conversation(client, svc):
    """`whatsapp:`-prefixed numbers are the WhatsApp channel, stored without the prefix."""
    form = {**TWILIO_SMS, "From": "whatsapp:+254711000000", "To": "whatsapp:+14155238886",
            "WaId": "254711000000", "ProfileName": "Someone"}
    response = client.post("/webhooks/twilio/messages", data=form)
    assert response.status_code == 200
    land_ledger(svc)
    with svc.db() as db:
        row = db.scalar(select(Message).where(Message.direction == "in"))
    assert row.channel == "whatsapp"


@pytest.fixture
def signed_app(app):
    app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    app.config["AT_WEBHOOK_SECRET"] = SECRET
    return app


def sign(url, form):
    return RequestValidator(TOKEN).compute_signature(url, form)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param(lambda: {"X-Twilio-Signature": sign("http://localhost/webhooks/twilio/messages", TWILIO_SMS)}, 200, id="good signature"),
        pytest.param(lambda: {"X-Twilio-Signature": sign("http://localhost/webhooks/twilio/messages", {**TWILIO_SMS, "Body": "other"})}, 403, id="bad signature"),
        pytest.param(lambda: {}, 403, id="missing signature"),
    ],
)
def test_twilio_signature(signed_app, headers, status):
    """With TWILIO_AUTH_TOKEN set, X-Twilio-Signature must match the URL and every parameter."""
    response = signed_app.test_client().post("/webhooks/twilio/messages", data=TWILIO_SMS, headers=headers())
    assert response.status_code == status


def test_twilio_signature_behind_tls_proxy(signed_app):
    """Behind a TLS-terminating proxy the signature is checked against the public https URL."""
    signed_app.config["PUBLIC_BASE_URL"] = "https://mpaka.example.org"
    signature = sign("https://mpaka.example.org/webhooks/twilio/messages", TWILIO_SMS)
    response = signed_app.test_client().post(
        "/webhooks/twilio/messages", data=TWILIO_SMS, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "status"),
    [
        pytest.param("?secret=" + SECRET, 200, id="right secret"),
        pytest.param("?secret=wrong", 403, id="wrong secret"),
        pytest.param("", 403, id="missing secret"),
    ],
)
@pytest.mark.parametrize("path,form", [
    ("/webhooks/africastalking/ussd", AT_USSD),
    ("/webhooks/africastalking/sms", AT_SMS),
    ("/webhooks/africastalking/delivery", {"id": "ATXid_x", "status": "Success", "phoneNumber": "+254711000111"}),
])
def test_at_secret(signed_app, path, form, query, status):
    """With AT_WEBHOOK_SECRET set, every AT callback must carry it as ?secret=."""
    response = signed_app.test_client().post(path + query, data=form)
    assert response.status_code == status


def test_ussd_events_callback_is_accepted_leniently(client):
    """The session-end events callback is answered 200 whatever fields it carries."""
    response = client.post("/webhooks/africastalking/ussd/events", data={"sessionId": "x", "status": "Incomplete", "hopsCount": "nope"})
    assert response.status_code == 200


def test_healthz(client):
    """/healthz answers 200 when the process is up."""
    assert client.get("/healthz").status_code == 200
