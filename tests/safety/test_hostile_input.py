"""Property-based tests: arbitrary form data, text, Unicode, very long values
and missing fields posted to every webhook never cause a 5xx; a USSD reply
always starts with CON/END and fits the screen."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.dialogue import gsm

pytestmark = pytest.mark.slow

SETTINGS = settings(
    max_examples=40, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WEBHOOKS = [
    "/webhooks/africastalking/ussd",
    "/webhooks/africastalking/ussd/events",
    "/webhooks/africastalking/sms",
    "/webhooks/africastalking/delivery",
    "/webhooks/twilio/messages",
    "/webhooks/twilio/status",
]
FIELDS = ["sessionId", "phoneNumber", "networkCode", "serviceCode", "text", "from", "to", "id",
          "date", "status", "failureReason", "MessageSid", "From", "To", "Body", "MessageStatus",
          "NumMedia", "MediaUrl0", "Latitude", "Longitude", "ErrorCode"]
hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50).map(lambda s: s * 40),
    st.sampled_from(["*", "**", "0", "00", "99", "98", "", " ", "\x00", "+254712345678",
                     "whatsapp:+254712345678", "<script>alert(1)</script>", "' OR 1=1 --",
                     "😀" * 100, "\u202e\u200b", "9" * 5000]),
)
forms = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=20)), hostile_text,
                        max_size=12)
_ids = itertools.count()


@pytest.fixture
def lenient(app):
    app.config.update(INBOUND_PER_10_MINUTES=100000, REPORTS_PER_HOUR=100000, LOOP_WINDOW_SECONDS=1)
    return app.test_client()


@pytest.mark.parametrize("path", WEBHOOKS)
@SETTINGS
@given(form=forms)
def test_arbitrary_forms_never_cause_a_server_error(lenient, path, form):
    """Any form, however malformed, gets a 2xx or 4xx answer."""
    response = lenient.post(path, data=form)
    assert response.status_code < 500


@SETTINGS
@given(inputs=st.lists(hostile_text, min_size=1, max_size=8))
def test_ussd_reply_always_starts_con_or_end_and_fits(lenient, inputs):
    """Whatever a reporter types, every USSD screen starts CON/END and fits 160 GSM-7 characters."""
    session = f"ATUid_h{next(_ids)}"
    text = ""
    for index, value in enumerate([""] + inputs):
        text = value if index == 1 else (f"{text}*{value}" if index else "")
        response = lenient.post("/webhooks/africastalking/ussd", data={
            "sessionId": session, "phoneNumber": "+254712000111", "serviceCode": "*384#",
            "networkCode": "63902", "text": text})
        assert response.status_code in (200, 400, 413)
        if response.status_code != 200:
            break
        body = response.text
        assert body.startswith(("CON ", "END "))
        assert gsm.screen_cost(body[4:]) <= 160, body
        if body.startswith("END "):
            break


@SETTINGS
@given(messages=st.lists(hostile_text, min_size=1, max_size=6))
def test_sms_dialogue_survives_anything(lenient, messages):
    """An SMS/WhatsApp conversation of arbitrary messages is always answered with TwiML."""
    phone = f"+2547120{next(_ids) % 100000:05d}"
    for body in messages:
        response = lenient.post("/webhooks/twilio/messages", data={
            "MessageSid": f"SM{next(_ids):032d}", "From": phone, "To": "+15005550006", "Body": body})
        assert response.status_code in (200, 400, 413)
        if response.status_code == 200:
            assert response.text.startswith("<?xml")
