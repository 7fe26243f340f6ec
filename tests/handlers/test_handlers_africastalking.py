"""Africa's Talking: USSD, inbound SMS, delivery reports and the SMS sender.

Payloads are the examples from PROVIDERS.md; the sender runs the real SDK
against ``responses``, and every mocked call must be used.
"""

import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, parse_qsl

import pytest
import requests
import responses

from handlers.africastalking import (
    AfricasTalkingSender,
    parse_delivery,
    parse_session_event,
    parse_sms,
    parse_ussd,
    render_ussd,
)
from handlers.base import Channel, DeliveryStatus, OutboundMessage, Reply, SendResult
from handlers.errors import BadRequest

USSD_EXAMPLE = (
    "phoneNumber=%2B254739495441&serviceCode=%2A384%2A44135%23&text="
    "&sessionId=ATUid_7c898d72eb11f723ed8ea05ef232f279&networkCode=99999"
)
SMS_EXAMPLE = (
    "from=%2B254711000111&to=28901&text=Habari&date=2025-05-01T08%3A34%3A18.445Z"
    "&id=ATXid_5d3b4c2bc589f4811820a7184eed4df5&linkId=SampleLinkId123&networkCode=63902"
)
LIVE_URL = "https://api.africastalking.com/version1/messaging"
SANDBOX_URL = "https://api.sandbox.africastalking.com/version1/messaging"


def form(query: str, **changes) -> dict:
    """A webhook form from a URL-encoded example, with fields changed or removed (None)."""
    fields = dict(parse_qsl(query, keep_blank_values=True))
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


# --- USSD --------------------------------------------------------------------------


def test_parse_ussd_example():
    """The documented first request of a session parses completely."""
    message = parse_ussd(form(USSD_EXAMPLE))
    assert message.channel == Channel.USSD
    assert message.provider == "africastalking"
    assert message.phone == "+254739495441"
    assert message.session_id == "ATUid_7c898d72eb11f723ed8ea05ef232f279"
    assert message.to == "*384*44135#"
    assert message.network_code == "99999"
    assert message.text == message.raw_text == ""


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1*2*500", id="menu choices"),
        pytest.param("1*3*men with guns*near the well", id="star inside free text"),
        pytest.param("3*1", id="extended dial string"),
    ],
)
def test_parse_ussd_keeps_cumulative_text_whole(text):
    """The cumulative text is never split on '*': the host diffs it."""
    message = parse_ussd(form(USSD_EXAMPLE, text=text))
    assert message.raw_text == text
    assert message.text == text


def test_parse_ussd_absent_text_is_empty():
    """A request without ``text`` is the first of a session."""
    assert parse_ussd(form(USSD_EXAMPLE, text=None)).raw_text == ""


@pytest.mark.parametrize(
    "changes, complaint",
    [
        pytest.param({"sessionId": None}, "sessionId", id="missing sessionId"),
        pytest.param({"phoneNumber": None}, "phoneNumber", id="missing phoneNumber"),
        pytest.param({"serviceCode": None}, "serviceCode", id="missing serviceCode"),
        pytest.param({"sessionId": ""}, "sessionId", id="empty sessionId"),
        pytest.param({"text": "1" * 2001}, "text", id="text over 2000 characters"),
        pytest.param({"sessionId": "x" * 129}, "sessionId", id="oversized sessionId"),
        pytest.param({"phoneNumber": "hello"}, "phone", id="phone not a number"),
    ],
)
def test_parse_ussd_rejects(changes, complaint):
    """Malformed session requests raise BadRequest naming the field."""
    with pytest.raises(BadRequest, match=complaint):
        parse_ussd(form(USSD_EXAMPLE, **changes))


@pytest.mark.parametrize(
    "reply, body",
    [
        pytest.param(Reply("Chagua:\n1. Ripoti"), "CON Chagua:\n1. Ripoti", id="continue"),
        pytest.param(Reply("Asante", ended=True), "END Asante", id="end"),
    ],
)
def test_render_ussd(reply, body):
    """Replies start with CON (wait for input) or END (close)."""
    assert render_ussd(reply) == body


def test_parse_session_event_is_lenient():
    """The session-end callback parses whatever it holds and drops the user's input."""
    event = parse_session_event(
        {
            "sessionId": "ATUid_1",
            "phoneNumber": "+254739495441",
            "status": "Incomplete",
            "durationInMillis": "31000",
            "hopsCount": "not a number",
            "input": "1*2*secret details",
            "lastAppResponse": "CON Where?",
        }
    )
    assert event["session_id"] == "ATUid_1"
    assert event["phone"] == "+254739495441"
    assert event["status"] == "Incomplete"
    assert event["duration_ms"] == 31000
    assert event["hops_count"] is None
    assert event["error_message"] is None
    assert "secret details" not in repr(event)
    assert "CON Where?" not in repr(event)


def test_parse_session_event_of_nothing():
    """An empty callback gives all-None values instead of an error."""
    event = parse_session_event({})
    assert event["session_id"] is None and event["phone"] is None


# --- Inbound SMS -----------------------------------------------------------------------


def test_parse_sms_example():
    """The documented inbound SMS parses completely."""
    message = parse_sms(form(SMS_EXAMPLE))
    assert message.channel == Channel.SMS
    assert message.phone == "+254711000111"
    assert message.to == "28901"
    assert message.text == "Habari"
    assert message.message_id == "ATXid_5d3b4c2bc589f4811820a7184eed4df5"
    assert message.network_code == "63902"
    assert message.session_id is None
    assert message.extra["link_id"] == "SampleLinkId123"


@pytest.mark.parametrize(
    "date, expected",
    [
        pytest.param(
            "2018-03-19T08:34:18.445Z",
            datetime(2018, 3, 19, 8, 34, 18, 445000, tzinfo=UTC),
            id="ISO with Z",
        ),
        pytest.param(
            "2018-03-19 08:34:18", datetime(2018, 3, 19, 8, 34, 18, tzinfo=UTC), id="Y-m-d H:i:s"
        ),
        pytest.param("yesterday", None, id="unreadable"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_sms_dates(date, expected):
    """Both AT date formats parse to aware UTC datetimes; others give None."""
    assert parse_sms(form(SMS_EXAMPLE, date=date)).extra["date"] == expected


@pytest.mark.parametrize(
    "changes, complaint",
    [
        pytest.param({"from": None}, "from", id="missing from"),
        pytest.param({"id": None}, "id", id="missing id"),
        pytest.param({"text": "x" * 4097}, "text", id="oversized text"),
    ],
)
def test_parse_sms_rejects(changes, complaint):
    """An SMS without sender or id, or with an oversized text, raises BadRequest."""
    with pytest.raises(BadRequest, match=complaint):
        parse_sms(form(SMS_EXAMPLE, **changes))


def test_parse_sms_optional_fields():
    """linkId and text may be absent."""
    message = parse_sms(form(SMS_EXAMPLE, linkId=None, text=None))
    assert message.text == ""
    assert message.extra["link_id"] is None


# --- Delivery reports ------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, expected",
    [
        pytest.param("Sent", DeliveryStatus.SENT, id="Sent"),
        pytest.param("Submitted", DeliveryStatus.SENT, id="Submitted"),
        pytest.param("Buffered", DeliveryStatus.SENT, id="Buffered"),
        pytest.param("Success", DeliveryStatus.DELIVERED, id="Success"),
        pytest.param("Rejected", DeliveryStatus.FAILED, id="Rejected"),
        pytest.param("Failed", DeliveryStatus.FAILED, id="Failed"),
        pytest.param("Expired", DeliveryStatus.FAILED, id="Expired"),
        pytest.param("Teleported", None, id="unknown status"),
    ],
)
def test_parse_delivery_status_table(status, expected):
    """Every AT delivery status maps onto ours; an unknown one gives None."""
    report = parse_delivery({"id": "ATXid_1", "status": status, "phoneNumber": "+254711000111"})
    assert report.status == expected
    assert report.raw_status == status
    assert report.provider_message_id == "ATXid_1"
    assert report.phone == "+254711000111"


def test_parse_delivery_failure_reason():
    """A failed report carries AT's failureReason."""
    report = parse_delivery(
        {"id": "ATXid_1", "status": "Failed", "failureReason": "UserInBlackList", "retryCount": "0"}
    )
    assert report.failure_reason == "UserInBlackList"
    assert report.phone is None


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"status": "Success"}, id="missing id"),
        pytest.param({"id": "ATXid_1"}, id="missing status"),
    ],
)
def test_parse_delivery_rejects(fields):
    """A report without id or status raises BadRequest."""
    with pytest.raises(BadRequest):
        parse_delivery(fields)


# --- Sending ----------------------------------------------------------------------


def alert(n: int, to: str, text: str = "ALERT: cattle raid, Loima") -> OutboundMessage:
    return OutboundMessage(id=f"d{n}", channel=Channel.SMS, to=to, text=text)


def recipient(number, code, status, message_id="None", cost="0"):
    return {
        "statusCode": code,
        "number": number,
        "status": status,
        "cost": cost,
        "messageId": message_id,
    }


def at_json(recipients, message="Sent to 1/1 Total Cost: KES 0.8000"):
    return {"SMSMessageData": {"Message": message, "Recipients": recipients}}


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def sender():
    return AfricasTalkingSender("mpaka", "at-key-123", sender_id="MPAKA")


def test_send_one_text_to_a_team_in_one_call(mock, sender):
    """Same text to three members: one POST, exact form and apiKey header."""
    numbers = ["+254711000001", "+254711000002", "+254711000003"]
    mock.post(
        LIVE_URL,
        status=201,
        json=at_json(
            [
                recipient(n, 101, "Success", f"ATXid_{i}", "KES 0.8000")
                for i, n in enumerate(numbers)
            ]
        ),
    )
    results = sender.send([alert(i, n) for i, n in enumerate(numbers)])

    assert len(mock.calls) == 1
    request = mock.calls[0].request
    assert request.headers["apiKey"] == "at-key-123"
    assert parse_qs(request.body) == {
        "username": ["mpaka"],
        "to": [",".join(numbers)],
        "message": ["ALERT: cattle raid, Loima"],
        "bulkSMSMode": ["1"],
        "from": ["MPAKA"],
    }
    assert results == [
        SendResult(
            id=f"d{i}",
            status=DeliveryStatus.SENT,
            provider_message_id=f"ATXid_{i}",
            cost="KES 0.8000",
        )
        for i in range(3)
    ]


def test_send_different_texts_in_separate_calls(mock, sender):
    """Each distinct text is its own call; results keep the input order."""
    mock.post(
        LIVE_URL,
        status=201,
        json=at_json([recipient("+254711000001", 102, "Queued", "ATXid_a")]),
    )
    mock.post(
        LIVE_URL,
        status=201,
        json=at_json([recipient("+254711000002", 100, "Processed", "ATXid_b")]),
    )
    results = sender.send([alert(1, "+254711000001", "one"), alert(2, "+254711000002", "two")])
    sent = [parse_qs(call.request.body) for call in mock.calls]
    assert [(b["message"], b["to"]) for b in sent] == [
        (["one"], ["+254711000001"]),
        (["two"], ["+254711000002"]),
    ]
    assert [(r.id, r.status, r.provider_message_id) for r in results] == [
        ("d1", DeliveryStatus.QUEUED, "ATXid_a"),
        ("d2", DeliveryStatus.QUEUED, "ATXid_b"),
    ]


def test_send_partial_success(mock, sender):
    """Per-recipient failures (403, 406) are permanent; the others are sent."""
    mock.post(
        LIVE_URL,
        status=201,
        json=at_json(
            [
                recipient("+254711000001", 101, "Success", "ATXid_ok", "KES 0.8000"),
                recipient("+254711000002", 403, "InvalidPhoneNumber"),
                recipient("+254711000003", 406, "UserInBlacklist"),
            ],
            message="Sent to 1/3 Total Cost: KES 0.8000",
        ),
    )
    ok, invalid, blacklisted = sender.send(
        [alert(1, "+254711000001"), alert(2, "+254711000002"), alert(3, "+254711000003")]
    )
    assert ok.status == DeliveryStatus.SENT and ok.provider_message_id == "ATXid_ok"
    assert (invalid.status, invalid.transient) == (DeliveryStatus.FAILED, False)
    assert "InvalidPhoneNumber" in invalid.error and invalid.provider_message_id is None
    assert (blacklisted.status, blacklisted.transient) == (DeliveryStatus.FAILED, False)
    assert "UserInBlacklist" in blacklisted.error


@pytest.mark.parametrize(
    "code, name, transient",
    [
        pytest.param(401, "RiskHold", False, id="401 RiskHold permanent"),
        pytest.param(405, "InsufficientBalance", False, id="405 InsufficientBalance permanent"),
        pytest.param(407, "CouldNotRoute", False, id="407 CouldNotRoute permanent"),
        pytest.param(409, "DoNotDisturb", False, id="409 permanent with note"),
        pytest.param(500, "InternalServerError", True, id="500 transient"),
        pytest.param(501, "GatewayError", True, id="501 transient"),
        pytest.param(502, "RejectedByGateway", True, id="502 transient"),
        pytest.param(599, "Brandnew", True, id="unknown 5xx transient"),
    ],
)
def test_send_recipient_status_codes(mock, sender, code, name, transient):
    """Per-recipient statusCodes map through the table."""
    mock.post(LIVE_URL, status=201, json=at_json([recipient("+254711000001", code, name)]))
    (result,) = sender.send([alert(1, "+254711000001")])
    assert result.status == DeliveryStatus.FAILED
    assert result.transient is transient
    assert name in result.error and str(code) in result.error


def test_send_invalid_sender_id(mock, sender):
    """201 with empty Recipients and InvalidSenderId fails everyone permanently."""
    mock.post(LIVE_URL, status=201, json=at_json([], message="InvalidSenderId"))
    results = sender.send([alert(1, "+254711000001"), alert(2, "+254711000002")])
    assert all(r.status == DeliveryStatus.FAILED and not r.transient for r in results)
    assert all("InvalidSenderId" in r.error for r in results)


@pytest.mark.parametrize(
    "mocked, transient, complaint",
    [
        pytest.param({"status": 500, "body": "oops"}, True, "HTTP 500", id="HTTP 500"),
        pytest.param({"status": 503, "body": ""}, True, "HTTP 503", id="HTTP 503"),
        pytest.param(
            {"body": requests.exceptions.ConnectTimeout()}, True, "in time", id="connect timeout"
        ),
        pytest.param(
            {"body": requests.exceptions.ReadTimeout()}, True, "in time", id="read timeout"
        ),
        pytest.param(
            {"body": requests.exceptions.ConnectionError()}, True, "reach", id="connection error"
        ),
        pytest.param(
            {"status": 401, "body": "The supplied authentication is invalid"},
            False,
            "AT_API_KEY",
            id="401 bad key",
        ),
        pytest.param({"status": 400, "body": "bad"}, False, "HTTP 400", id="HTTP 400"),
        pytest.param(
            {"status": 201, "body": "<html>", "content_type": "text/html"},
            True,
            "unreadable",
            id="2xx not json",
        ),
    ],
)
def test_send_call_failures_fail_every_recipient(mock, sender, mocked, transient, complaint):
    """Failures of the whole call fail all its recipients, transient or not."""
    mock.post(LIVE_URL, **mocked)
    results = sender.send([alert(1, "+254711000001"), alert(2, "+254711000002")])
    assert [r.status for r in results] == [DeliveryStatus.FAILED] * 2
    assert all(r.transient is transient and complaint in r.error for r in results)


def test_send_json_with_charset_is_read(mock, sender):
    """A JSON answer whose content-type has a charset is still parsed (the SDK would not)."""
    mock.post(
        LIVE_URL,
        status=201,
        json=at_json([recipient("+254711000001", 101, "Success", "ATXid_1")]),
        content_type="application/json; charset=utf-8",
    )
    (result,) = sender.send([alert(1, "+254711000001")])
    assert result.status == DeliveryStatus.SENT


def test_send_invalid_number_fails_alone(mock, sender):
    """A number the SDK would refuse fails permanently; the others still go."""
    mock.post(
        LIVE_URL,
        status=201,
        json=at_json([recipient("+254711000002", 101, "Success", "ATXid_2")]),
        match=[
            responses.matchers.urlencoded_params_matcher(
                {
                    "username": "mpaka",
                    "to": "+254711000002",
                    "message": "ALERT: cattle raid, Loima",
                    "bulkSMSMode": "1",
                    "from": "MPAKA",
                }
            )
        ],
    )
    bad, good = sender.send([alert(1, "0711000001"), alert(2, "+254711000002")])
    assert (bad.status, bad.transient) == (DeliveryStatus.FAILED, False)
    assert "E.164" in bad.error
    assert good.status == DeliveryStatus.SENT


def test_send_only_invalid_numbers_makes_no_call(mock, sender):
    """When no recipient is valid nothing is sent (the mock has no calls registered)."""
    (result,) = sender.send([alert(1, "not-a-number")])
    assert result.status == DeliveryStatus.FAILED
    assert len(mock.calls) == 0


def test_send_refuses_whatsapp(mock, sender):
    """AT sends SMS only: a WhatsApp message fails permanently without a call."""
    message = OutboundMessage(id="w", channel=Channel.WHATSAPP, to="+254711000001", text="x")
    (result,) = sender.send([message])
    assert result.status == DeliveryStatus.FAILED and not result.transient


def test_send_same_number_twice_uses_two_calls(mock, sender):
    """A number appears once per call, so each answer maps to the right message."""
    for message_id in ("ATXid_1", "ATXid_2"):
        mock.post(
            LIVE_URL,
            status=201,
            json=at_json([recipient("+254711000001", 101, "Success", message_id)]),
        )
    first, second = sender.send([alert(1, "+254711000001"), alert(2, "+254711000001")])
    assert (first.provider_message_id, second.provider_message_id) == ("ATXid_1", "ATXid_2")


def test_send_missing_recipient_in_answer_is_transient(mock, sender):
    """A recipient absent from a 201 answer (no InvalidSenderId) may be retried."""
    mock.post(LIVE_URL, status=201, json=at_json([], message="Sent to 0/1"))
    (result,) = sender.send([alert(1, "+254711000001")])
    assert result.status == DeliveryStatus.FAILED and result.transient


def test_sandbox_username_uses_sandbox_host_without_sender_id(mock):
    """Username 'sandbox' talks to the sandbox API; no sender id, no ``from``."""
    mock.post(
        SANDBOX_URL,
        status=201,
        json=at_json([recipient("+254711000001", 101, "Success", "ATXid_1")]),
    )
    (result,) = AfricasTalkingSender("sandbox", "k").send([alert(1, "+254711000001")])
    assert result.status == DeliveryStatus.SENT
    assert "from" not in parse_qs(mock.calls[0].request.body)


def test_sandbox_flag_overrides_username(mock):
    """sandbox=True sends to the sandbox host whatever the username."""
    mock.post(
        SANDBOX_URL,
        status=201,
        json=at_json([recipient("+254711000001", 101, "Success", "ATXid_1")]),
    )
    sender = AfricasTalkingSender("mpaka", "k", sandbox=True)
    assert sender.send([alert(1, "+254711000001")])[0].status == DeliveryStatus.SENT


def test_message_sender_overrides_default_sender_id(mock, sender):
    """OutboundMessage.sender replaces the configured sender id."""
    mock.post(
        LIVE_URL,
        status=201,
        json=at_json([recipient("+254711000001", 101, "Success", "ATXid_1")]),
    )
    message = OutboundMessage(
        id="d1", channel=Channel.SMS, to="+254711000001", text="x", sender="TURKANA"
    )
    assert sender.send([message])[0].status == DeliveryStatus.SENT
    assert parse_qs(mock.calls[0].request.body)["from"] == ["TURKANA"]


# --- Edges found by mutation testing (docs/testing.md) ------------------------------


@pytest.fixture
def nairobi_clock(monkeypatch):
    """The server's local time zone is East Africa Time (UTC+3)."""
    monkeypatch.setenv("TZ", "EAT-3")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    "date, expected",
    [
        pytest.param("2018-03-19 08:34:18", "2018-03-19T08:34:18+00:00", id="naive is UTC"),
        pytest.param(
            "2018-03-19T11:34:18+03:00", "2018-03-19T08:34:18+00:00", id="offset converted"
        ),
        pytest.param(
            "2018-03-19 08:34:18" + " " * 45, "2018-03-19T08:34:18+00:00", id="64 characters"
        ),
        pytest.param("2018-03-19 08:34:18" + " " * 46, None, id="65 characters"),
    ],
)
def test_parse_sms_date_is_utc_whatever_the_servers_zone(nairobi_clock, date, expected):
    """AT's dates are UTC: a naive one is not read as local time; over 64 characters is None."""
    parsed = parse_sms(form(SMS_EXAMPLE, date=date)).extra["date"]
    assert (parsed.isoformat() if parsed else None) == expected


def test_parse_sms_and_delivery_name_the_provider():
    """Inbound SMS and delivery reports say they came from africastalking."""
    assert parse_sms(form(SMS_EXAMPLE)).provider == "africastalking"
    assert parse_delivery({"id": "ATXid_1", "status": "Success"}).provider == "africastalking"


def test_parse_session_event_cuts_and_blanks():
    """Session-event texts are cut to 256 characters; empty ones become None."""
    event = parse_session_event({"errorMessage": "e" * 300, "status": "", "cost": "KES 0.0"})
    assert event["error_message"] == "e" * 256
    assert event["status"] is None and event["cost"] == "KES 0.0"


def test_send_has_a_timeout(mock, sender):
    """Every API call carries the (connect, read) timeout; the SDK's default has none."""
    mock.post(LIVE_URL, status=201, json=at_json([recipient("+254711000001", 101, "Success")]))
    sender.send([alert(1, "+254711000001")])
    assert mock.calls[0].request.req_kwargs["timeout"] == (3.05, 9.05)


def test_send_uses_the_given_timeout(mock):
    """A configured timeout replaces the default."""
    mock.post(LIVE_URL, status=201, json=at_json([recipient("+254711000001", 101, "Success")]))
    AfricasTalkingSender("mpaka", "k", timeout=(1.0, 2.0)).send([alert(1, "+254711000001")])
    assert mock.calls[0].request.req_kwargs["timeout"] == (1.0, 2.0)


@pytest.mark.parametrize(
    "status, transient",
    [
        pytest.param(408, True, id="408 request timeout"),
        pytest.param(429, True, id="429 rate limited"),
        pytest.param(409, False, id="409 conflict"),
        pytest.param(499, False, id="499"),
        pytest.param(300, False, id="300 not a success"),
    ],
)
def test_send_http_status_retryable(mock, sender, status, transient):
    """HTTP 408 and 429 may pass and are retried; other non-2xx answers are permanent."""
    mock.post(LIVE_URL, status=status, body="no")
    (result,) = sender.send([alert(1, "+254711000001")])
    assert (result.status, result.transient) == (DeliveryStatus.FAILED, transient)
    assert result.error.startswith(f"Africa's Talking answered HTTP {status}")


@pytest.mark.parametrize("status", [200, 201, 299])
def test_send_any_2xx_answer_is_read(mock, sender, status):
    """A plain 200 (and any 2xx) answer is read like the documented 201."""
    mock.post(
        LIVE_URL, status=status, json=at_json([recipient("+254711000001", 101, "Success", "X1")])
    )
    (result,) = sender.send([alert(1, "+254711000001")])
    assert (result.status, result.provider_message_id) == (DeliveryStatus.SENT, "X1")


@pytest.mark.parametrize(
    "mocked, transient, error",
    [
        pytest.param(
            {"body": requests.exceptions.ReadTimeout()},
            True,
            "Africa's Talking did not answer in time",
            id="timeout",
        ),
        pytest.param(
            {"body": requests.exceptions.ConnectionError()},
            True,
            "could not reach Africa's Talking: ConnectionError",
            id="connection error",
        ),
        pytest.param(
            {"status": 401, "body": "The supplied authentication is invalid"},
            False,
            "Africa's Talking rejected the credentials (HTTP 401): "
            "check AT_USERNAME and AT_API_KEY",
            id="401",
        ),
        pytest.param(
            {"status": 400, "body": "b" * 300},
            False,
            "Africa's Talking answered HTTP 400: " + "b" * 200,
            id="4xx body cut to 200",
        ),
        pytest.param(
            {"status": 201, "json": {"SMSMessageData": None}},
            True,
            "unreadable answer from Africa's Talking",
            id="unreadable",
        ),
        pytest.param(
            {"status": 201, "json": {"SMSMessageData": {"Recipients": []}}},
            True,
            "recipient missing from AT answer: ",
            id="missing, no Message",
        ),
        pytest.param(
            {"status": 201, "json": at_json([], message="m" * 150)},
            True,
            "recipient missing from AT answer: " + "m" * 100,
            id="missing, Message cut to 100",
        ),
    ],
)
def test_send_failure_messages(mock, sender, mocked, transient, error, caplog):
    """Each failure of a call names its cause exactly, per message, and is logged."""
    mock.post(LIVE_URL, **mocked)
    (result,) = sender.send([alert(1, "+254711000001")])
    assert (result.id, result.status) == ("d1", DeliveryStatus.FAILED)
    assert (result.transient, result.error) == (transient, error)
    if "missing" not in error:
        assert f"AT send to 1 recipient(s) failed: {error}" in caplog.messages


@pytest.mark.parametrize(
    "entry, error, transient",
    [
        pytest.param(
            {"statusCode": "abc"}, "Unknown (AT statusCode 0)", False, id="unreadable code"
        ),
        pytest.param(
            {"statusCode": 409, "status": "DoNotDisturb"},
            "DoNotDisturb (AT statusCode 409) (409 is documented inconsistently; "
            "treated as permanent)",
            False,
            id="409 with its note",
        ),
        pytest.param(
            {"statusCode": 406, "status": "UserInBlacklist"},
            "UserInBlacklist (AT statusCode 406)",
            False,
            id="no note otherwise",
        ),
    ],
)
def test_send_recipient_failure_text(mock, sender, entry, error, transient):
    """A refused recipient's error is its status name and code, with a note for 409."""
    mock.post(LIVE_URL, status=201, json=at_json([{"number": "+254711000001", **entry}]))
    (result,) = sender.send([alert(1, "+254711000001")])
    assert (result.id, result.error, result.transient) == ("d1", error, transient)


@pytest.mark.parametrize("message_id", ["None", "", None], ids=["'None'", "empty", "null"])
def test_send_accepted_without_a_message_id(mock, sender, message_id):
    """AT's 'None' (or no) messageId gives no provider_message_id."""
    mock.post(
        LIVE_URL, status=201, json=at_json([recipient("+254711000001", 101, "Success", message_id)])
    )
    (result,) = sender.send([alert(1, "+254711000001")])
    assert result.status == DeliveryStatus.SENT and result.provider_message_id is None


@pytest.mark.parametrize(
    "message, error",
    [
        pytest.param(
            OutboundMessage(id="w", channel=Channel.WHATSAPP, to="+254711000001", text="x"),
            "AT sends SMS, not whatsapp",
            id="whatsapp",
        ),
        pytest.param(alert(1, "0711000001"), "recipient is not an E.164 number", id="not E.164"),
    ],
)
def test_send_refusals_say_why(mock, sender, message, error):
    """Messages AT cannot take fail with a reason, without a call."""
    (result,) = sender.send([message])
    assert (result.id, result.error) == (message.id, error)


def test_send_splits_calls_at_1000_recipients(mock, sender):
    """1,001 recipients of one text go in two calls: 1,000 then 1."""
    numbers = [f"+2547110{i:05d}" for i in range(1001)]
    first = at_json([recipient(n, 101, "Success") for n in numbers[:1000]])
    mock.post(LIVE_URL, status=201, json=first)
    mock.post(LIVE_URL, status=201, json=at_json([recipient(numbers[-1], 101, "Success")]))
    results = sender.send([alert(i, n) for i, n in enumerate(numbers)])
    assert [len(parse_qs(c.request.body)["to"][0].split(",")) for c in mock.calls] == [1000, 1]
    assert all(r.status == DeliveryStatus.SENT for r in results)


def test_a_recipient_without_a_status_code_is_a_permanent_failure(mock, sender):
    """An answer entry with no statusCode is failed (code 0, not retried): never an
    exception that would lose the whole batch's results."""
    entry = {"number": "+254711000001", "status": "Success", "messageId": "ATXid_x"}
    mock.post(LIVE_URL, status=201, json=at_json([entry]))
    [result] = sender.send([alert(0, "+254711000001")])
    assert result.status == DeliveryStatus.FAILED and not result.transient
    assert "AT statusCode 0" in result.error
