"""Africa's Talking Voice in the adapter: parsing call events, the XML
answers, and outbound calls through the SDK's VoiceService (HTTP
intercepted by ``responses``)."""

from __future__ import annotations

import pytest
import requests
import responses

from handlers.africastalking import (
    AfricasTalkingCaller,
    parse_call_event,
    render_redirect,
    render_reject,
)
from handlers.errors import BadRequest, ConfigurationError
from handlers.registry import build_caller

URL = "https://voice.africastalking.com/call"
FROM, TO = "+254711082000", "+254722000111"


def caller() -> AfricasTalkingCaller:
    return AfricasTalkingCaller("mpaka", "key")


def test_final_outbound_notification_is_parsed():
    """AT's last notification of a call: not active, its hang-up cause and duration."""
    event = parse_call_event({
        "sessionId": "ATVId_1", "isActive": "0", "direction": "Outbound",
        "callerNumber": FROM, "destinationNumber": TO, "hangupCause": "NO_ANSWER",
        "durationInSeconds": "0", "currencyCode": "KES", "amount": "0"})
    assert (event.active, event.direction, event.hangup_cause, event.duration_seconds) == (
        False, "outbound", "NO_ANSWER", 0)
    assert (event.caller, event.destination) == (FROM, TO)


def test_our_number_in_another_spelling_is_none_not_an_error():
    """A destination that is not a phone number (a SIP address, say) reads as None."""
    event = parse_call_event({"sessionId": "s", "isActive": "1", "direction": "Inbound",
                              "callerNumber": TO, "destinationNumber": "sip:mpaka@at"})
    assert event.destination is None and event.caller == TO


@pytest.mark.parametrize("form", [
    {"isActive": "1", "direction": "Inbound"},
    {"sessionId": "s", "isActive": "2", "direction": "Inbound"},
    {"sessionId": "s", "isActive": "1", "direction": "Sideways"},
    {"sessionId": "s", "isActive": "1", "direction": "Inbound", "durationInSeconds": "9" * 40},
])
def test_malformed_call_event_is_a_bad_request(form):
    """A missing session, an unknown isActive or direction, an overlong field: BadRequest."""
    with pytest.raises(BadRequest):
        parse_call_event(form)


def test_reject_and_redirect_xml():
    """The XML AT expects; a URL is escaped inside Redirect."""
    assert render_reject() == '<?xml version="1.0" encoding="UTF-8"?><Response><Reject/></Response>'
    assert "<Redirect>https://h/v?a=1&amp;secret=x</Redirect>" in render_redirect(
        "https://h/v?a=1&secret=x")


@pytest.mark.parametrize(("status", "body", "error"), [
    (401, "The supplied authentication is invalid", "rejected the credentials (HTTP 401)"),
    (500, "oops", "answered HTTP 500"),
    (201, '{"entries": [{"phoneNumber": "+254722000111", "status": "InvalidPhoneNumber"}], '
          '"errorMessage": "None"}', "call not queued: InvalidPhoneNumber"),
    (201, '{"entries": [], "errorMessage": "Invalid callerId"}', "call not queued: Invalid callerId"),
    (201, "not json", "unreadable answer"),
])
def test_provider_refusals_are_results_not_exceptions(status, body, error):
    """Every refusal of AT comes back as an unplaced CallResult saying why."""
    with responses.RequestsMock() as mock:
        mock.post(URL, body=body, status=status, content_type="application/json")
        result = caller().place_call(FROM, TO)
    assert not result.placed and error in (result.error or "")


def test_timeout_is_a_result():
    """AT not answering in time is an unplaced call, not an exception."""
    with responses.RequestsMock() as mock:
        mock.post(URL, body=requests.exceptions.ReadTimeout("slow"))
        result = caller().place_call(FROM, TO)
    assert not result.placed and "did not answer in time" in (result.error or "")


def test_callee_that_is_not_e164_is_refused_before_any_request():
    """The SDK's own check: no HTTP call for a number that is not E.164."""
    with responses.RequestsMock():
        result = caller().place_call(FROM, "0722000111")
    assert not result.placed


def test_sandbox_username_uses_the_sandbox_host():
    """Username `sandbox`: the call goes to AT's sandbox voice host."""
    with responses.RequestsMock() as mock:
        mock.post("https://voice.sandbox.africastalking.com/call",
                  json={"entries": [{"status": "Queued", "sessionId": "ATVId_s"}]})
        result = AfricasTalkingCaller("sandbox", "key").place_call(FROM, TO)
    assert result.placed and result.session_id == "ATVId_s"


def test_registry_names_unknown_voice_provider():
    """An unknown VOICE_PROVIDER is a configuration error naming the known ones."""
    with pytest.raises(ConfigurationError, match="africastalking, console"):
        build_caller("twilio", {})


def test_production_refuses_callback_numbers_with_the_console_caller():
    """In production, callback numbers with VOICE_PROVIDER=console are named as a problem."""
    from gateway.core import production

    base = {"VOICE_CALLBACK_NUMBERS": [FROM], "VOICE_PROVIDER": "console"}
    assert any("VOICE_PROVIDER is `console`" in p for p in production.problems(base))
    assert not any("VOICE_PROVIDER" in p for p in production.problems(
        base | {"VOICE_PROVIDER": "africastalking"}))
