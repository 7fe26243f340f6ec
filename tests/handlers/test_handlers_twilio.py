"""Twilio: inbound SMS/WhatsApp, signatures, TwiML, status callbacks, the sender.

Payloads follow PROVIDERS.md; the sender runs the real SDK against
``responses``, and every mocked call must be used.
"""

import base64
from urllib.parse import parse_qs, parse_qsl

import pytest
import requests
import responses

from handlers.base import Channel, DeliveryStatus, OutboundMessage, Reply
from handlers.errors import BadRequest, Forbidden
from handlers.twilio import (
    TwilioSender,
    check_signature,
    parse_message,
    parse_status,
    render_twiml,
    signed_url,
    validate_signature,
)

SMS_EXAMPLE = (
    "SmsMessageSid=SM01&NumMedia=0&SmsSid=SM01&SmsStatus=received&Body=Habari&FromCountry=KE"
    "&To=%2B15005550006&NumSegments=1&MessageSid=SM01&AccountSid=AC01&From=%2B254711000000"
    "&ApiVersion=2010-04-01"
)
WHATSAPP_EXAMPLE = (
    "SmsMessageSid=SM02&NumMedia=0&ProfileName=Amina+Hassan&MessageType=text&SmsSid=SM02"
    "&WaId=254711000000&SmsStatus=received&Body=Habari&To=whatsapp%3A%2B14155238886"
    "&NumSegments=1&MessageSid=SM02&AccountSid=AC01&From=whatsapp%3A%2B254711000000"
    "&ApiVersion=2010-04-01"
)
LOCATION_EXAMPLE = (
    "Latitude=3.1190&Longitude=35.5973&NumMedia=0&ProfileName=Amina&MessageType=location"
    "&WaId=254711000000&SmsStatus=received&Body=&To=whatsapp%3A%2B14155238886"
    "&MessageSid=SM03&AccountSid=AC01&From=whatsapp%3A%2B254711000000&ApiVersion=2010-04-01"
)

# The SDK's own test vector (tests/unit/test_request_validator.py).
VECTOR_TOKEN = "12345"
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="

ACCOUNT = "AC" + "0" * 32
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def form(query: str, **changes) -> dict:
    """A webhook form from a URL-encoded example, with fields changed or removed (None)."""
    fields = dict(parse_qsl(query, keep_blank_values=True))
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


# --- Inbound --------------------------------------------------------------------------


def test_parse_sms_example():
    """The documented Twilio SMS parses completely."""
    message = parse_message(form(SMS_EXAMPLE))
    assert message.channel == Channel.SMS
    assert message.provider == "twilio"
    assert message.phone == "+254711000000"
    assert message.to == "+15005550006"
    assert message.text == "Habari"
    assert message.message_id == "SM01"
    assert message.extra == {}


def test_parse_whatsapp_strips_prefix_and_drops_profile():
    """WhatsApp: channel from the prefix, bare E.164 phone, no ProfileName or WaId kept."""
    message = parse_message(form(WHATSAPP_EXAMPLE))
    assert message.channel == Channel.WHATSAPP
    assert message.phone == "+254711000000"
    assert message.to == "+14155238886"
    assert "Amina" not in repr(message)
    assert "254711000000" not in repr(message.extra)


def test_parse_whatsapp_location_share():
    """A shared location lands in extra as floats."""
    message = parse_message(form(LOCATION_EXAMPLE))
    assert message.text == ""
    assert message.extra["location"] == {"latitude": 3.119, "longitude": 35.5973}


def test_parse_media():
    """NumMedia and MediaUrlN/MediaContentTypeN go to extra."""
    message = parse_message(
        form(
            WHATSAPP_EXAMPLE,
            NumMedia="2",
            MediaUrl0="https://api.twilio.com/m0",
            MediaContentType0="image/jpeg",
            MediaUrl1="https://api.twilio.com/m1",
            MediaContentType1="audio/ogg",
        )
    )
    assert message.extra["num_media"] == 2
    assert message.extra["media"] == [
        {"url": "https://api.twilio.com/m0", "content_type": "image/jpeg"},
        {"url": "https://api.twilio.com/m1", "content_type": "audio/ogg"},
    ]


def test_parse_ignores_unknown_params():
    """Parameters Twilio adds later are ignored."""
    message = parse_message(form(SMS_EXAMPLE, ShinyNewField="x", FromCity="LODWAR"))
    assert message.extra == {}


@pytest.mark.parametrize(
    "changes, complaint",
    [
        pytest.param({"MessageSid": None}, "MessageSid", id="missing MessageSid"),
        pytest.param({"From": None}, "From", id="missing From"),
        pytest.param({"From": "whatsapp:"}, "phone", id="From without number"),
        pytest.param({"Body": "x" * 4097}, "Body", id="oversized Body"),
        pytest.param({"NumMedia": "lots"}, "NumMedia", id="NumMedia not a number"),
        pytest.param({"Latitude": "north", "Longitude": "1"}, "Latitude", id="bad latitude"),
        pytest.param({"Latitude": "1", "Longitude": "200"}, "Longitude", id="longitude range"),
    ],
)
def test_parse_message_rejects(changes, complaint):
    """Malformed messages raise BadRequest naming the field."""
    with pytest.raises(BadRequest, match=complaint):
        parse_message(form(SMS_EXAMPLE, **changes))


# --- Signature -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, signature, valid",
    [
        pytest.param(VECTOR_PARAMS, VECTOR_SIGNATURE, True, id="SDK test vector"),
        pytest.param({**VECTOR_PARAMS, "Digits": "1235"}, VECTOR_SIGNATURE, False, id="tampered"),
        pytest.param({**VECTOR_PARAMS, "Extra": "x"}, VECTOR_SIGNATURE, False, id="added param"),
        pytest.param(VECTOR_PARAMS, None, False, id="missing signature"),
        pytest.param(VECTOR_PARAMS, "", False, id="empty signature"),
    ],
)
def test_validate_signature(params, signature, valid):
    """Signatures are checked over the URL and all params with the SDK's validator."""
    assert validate_signature(VECTOR_TOKEN, VECTOR_URL, params, signature) is valid


def test_validate_signature_wrong_scheme():
    """The http:// URL seen behind a TLS proxy does not validate."""
    url = VECTOR_URL.replace("https://", "http://")
    assert not validate_signature(VECTOR_TOKEN, url, VECTOR_PARAMS, VECTOR_SIGNATURE)


@pytest.mark.parametrize(
    "signature, complaint",
    [
        pytest.param(None, "missing", id="missing signature"),
        pytest.param("AAAA", "does not match", id="bad signature"),
    ],
)
def test_check_signature_raises_forbidden(signature, complaint):
    """check_signature raises Forbidden saying what is wrong."""
    with pytest.raises(Forbidden, match=complaint):
        check_signature(VECTOR_TOKEN, VECTOR_URL, VECTOR_PARAMS, signature)


def test_check_signature_accepts_vector():
    """check_signature returns quietly for a good signature."""
    check_signature(VECTOR_TOKEN, VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE)


def test_check_signature_covers_repeated_params():
    """Given a multi-dict (Flask's request.form), every value of a repeated parameter is signed."""
    from twilio.request_validator import RequestValidator
    from werkzeug.datastructures import MultiDict

    form = MultiDict([("Body", "one"), ("Body", "two"), ("From", "+254711000000")])
    signature = RequestValidator(VECTOR_TOKEN).compute_signature(VECTOR_URL, form)
    check_signature(VECTOR_TOKEN, VECTOR_URL, form, signature)
    assert not validate_signature(VECTOR_TOKEN, VECTOR_URL, form.to_dict(), signature)


@pytest.mark.parametrize(
    "base, query, expected",
    [
        pytest.param(None, "", "http://10.0.0.5:8000/webhooks/twilio/status?x=1", id="no base"),
        pytest.param("https://mpaka.example.org/", "", "https://mpaka.example.org/webhooks/twilio/status", id="base"),
        pytest.param("https://mpaka.example.org", "a=b/c", "https://mpaka.example.org/webhooks/twilio/status?a=b/c", id="base with raw query"),
    ],
)
def test_signed_url(base, query, expected):
    """The configured public base URL replaces the scheme and host the request arrived with."""
    request_url = "http://10.0.0.5:8000/webhooks/twilio/status?x=1"
    assert signed_url(request_url, "/webhooks/twilio/status", query, base) == expected


# --- TwiML -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply, expected",
    [
        pytest.param(None, "<Response />", id="no reply"),
        pytest.param(Reply(""), "<Response />", id="empty text"),
        pytest.param(
            Reply("Asante <3 & karibu"),
            "<Response><Message>Asante &lt;3 &amp; karibu</Message></Response>",
            id="escaped text",
        ),
    ],
)
def test_render_twiml(reply, expected):
    """TwiML wraps the reply in <Message>, escaped; nothing to say is <Response />."""
    assert render_twiml(reply) == '<?xml version="1.0" encoding="UTF-8"?>' + expected


# --- Status callbacks ------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, expected",
    [
        pytest.param("queued", DeliveryStatus.QUEUED, id="queued"),
        pytest.param("sending", DeliveryStatus.SENT, id="sending"),
        pytest.param("sent", DeliveryStatus.SENT, id="sent"),
        pytest.param("delivered", DeliveryStatus.DELIVERED, id="delivered"),
        pytest.param("read", DeliveryStatus.DELIVERED, id="read"),
        pytest.param("undelivered", DeliveryStatus.FAILED, id="undelivered"),
        pytest.param("failed", DeliveryStatus.FAILED, id="failed"),
        pytest.param("teleported", None, id="unknown"),
    ],
)
def test_parse_status_table(status, expected):
    """Every MessageStatus maps onto ours; an unknown one gives None."""
    report = parse_status(
        {"MessageSid": "SM9", "MessageStatus": status, "To": "whatsapp:+254711000000"}
    )
    assert (report.status, report.raw_status) == (expected, status)
    assert report.provider_message_id == "SM9"
    assert report.phone == "+254711000000"


def test_parse_status_error_code():
    """A failed status carries Twilio's ErrorCode."""
    report = parse_status(
        {"MessageSid": "SM9", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )
    assert report.failure_reason == "30003"


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"MessageStatus": "sent"}, id="missing MessageSid"),
        pytest.param({"MessageSid": "SM9"}, id="missing MessageStatus"),
    ],
)
def test_parse_status_rejects(fields):
    """A status callback without sid or status raises BadRequest."""
    with pytest.raises(BadRequest):
        parse_status(fields)


# --- Sending ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_twilio_env(monkeypatch):
    """The SDK reads edge and region from the environment: keep tests on api.twilio.com."""
    for name in ("TWILIO_EDGE", "TWILIO_REGION", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def sender():
    return TwilioSender(
        ACCOUNT,
        "token",
        from_number="+15005550006",
        whatsapp_from="+14155238886",
        status_callback="https://mpaka.example/webhooks/twilio/status",
    )


def created(sid="SM123", status="queued", to="+254711000001"):
    return {
        "sid": sid,
        "account_sid": ACCOUNT,
        "status": status,
        "to": to,
        "from": "+15005550006",
        "body": "x",
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
    }


def message(n=1, channel=Channel.SMS, to="+254711000001", text="ALERT: raid near Kakuma"):
    return OutboundMessage(id=f"d{n}", channel=channel, to=to, text=text)


def sent_form(call) -> dict:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def test_send_sms(mock, sender):
    """An SMS is one create call with To, From, Body and StatusCallback."""
    mock.post(MESSAGES_URL, status=201, json=created())
    (result,) = sender.send([message()])
    assert (result.id, result.status, result.provider_message_id) == (
        "d1",
        DeliveryStatus.QUEUED,
        "SM123",
    )
    assert sent_form(mock.calls[0]) == {
        "To": "+254711000001",
        "From": "+15005550006",
        "Body": "ALERT: raid near Kakuma",
        "StatusCallback": "https://mpaka.example/webhooks/twilio/status",
    }


def test_send_whatsapp_prefixes_both_ends(mock, sender):
    """WhatsApp goes to whatsapp:+… from the WhatsApp sender."""
    mock.post(MESSAGES_URL, status=201, json=created(to="whatsapp:+254711000001"))
    (result,) = sender.send([message(channel=Channel.WHATSAPP)])
    assert result.status == DeliveryStatus.QUEUED
    body = sent_form(mock.calls[0])
    assert (body["To"], body["From"]) == ("whatsapp:+254711000001", "whatsapp:+14155238886")


def test_send_one_call_per_recipient(mock, sender):
    """Two recipients are two calls, results in order."""
    mock.post(MESSAGES_URL, status=201, json=created("SM1"))
    mock.post(MESSAGES_URL, status=201, json=created("SM2"))
    results = sender.send([message(1), message(2, to="+254711000002")])
    assert [r.provider_message_id for r in results] == ["SM1", "SM2"]
    assert [sent_form(c)["To"] for c in mock.calls] == ["+254711000001", "+254711000002"]


def test_send_caps_body_at_1600(mock, sender):
    """Bodies longer than Twilio's 1,600-character limit are cut to it."""
    mock.post(MESSAGES_URL, status=201, json=created())
    sender.send([message(text="x" * 2000)])
    assert len(sent_form(mock.calls[0])["Body"]) == 1600


@pytest.mark.parametrize(
    "mocked, transient, complaint",
    [
        pytest.param(
            {
                "status": 400,
                "json": {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400},
            },
            False,
            "21211",
            id="21211 invalid number permanent",
        ),
        pytest.param(
            {
                "status": 400,
                "json": {"code": 21610, "message": "Attempt to send to unsubscribed recipient"},
            },
            False,
            "21610",
            id="21610 unsubscribed permanent",
        ),
        pytest.param(
            {"status": 401, "json": {"code": 20003, "message": "Authenticate"}},
            False,
            "20003",
            id="401 bad credentials permanent",
        ),
        pytest.param(
            {"status": 429, "json": {"code": 20429, "message": "Too Many Requests"}},
            True,
            "20429",
            id="429 rate limited transient",
        ),
        pytest.param(
            {"status": 500, "body": "Internal Server Error"}, True, "500", id="500 transient"
        ),
        pytest.param(
            {"body": requests.exceptions.ConnectTimeout()}, True, "in time", id="timeout transient"
        ),
        pytest.param(
            {"body": requests.exceptions.ConnectionError()}, True, "reach", id="connection error"
        ),
    ],
)
def test_send_failures(mock, sender, mocked, transient, complaint):
    """Twilio errors map to permanent (4xx) or transient (5xx, 429, network) failures."""
    mock.post(MESSAGES_URL, **mocked)
    (result,) = sender.send([message()])
    assert result.status == DeliveryStatus.FAILED
    assert result.transient is transient
    assert complaint in result.error


def test_send_failure_does_not_stop_the_rest(mock, sender):
    """One recipient's error leaves the next one unaffected."""
    mock.post(MESSAGES_URL, status=400, json={"code": 21211, "message": "Invalid"})
    mock.post(MESSAGES_URL, status=201, json=created("SM2"))
    bad, good = sender.send([message(1), message(2, to="+254711000002")])
    assert (bad.status, good.status) == (DeliveryStatus.FAILED, DeliveryStatus.QUEUED)


def test_send_whatsapp_without_sender_configured(mock):
    """Without TWILIO_WHATSAPP_FROM a WhatsApp message fails permanently, no call made."""
    sender = TwilioSender(ACCOUNT, "token", from_number="+15005550006")
    (result,) = sender.send([message(channel=Channel.WHATSAPP)])
    assert result.status == DeliveryStatus.FAILED and not result.transient
    assert "TWILIO_WHATSAPP_FROM" in result.error


def test_send_without_status_callback_omits_it(mock):
    """No PUBLIC_BASE_URL, no StatusCallback parameter."""
    mock.post(MESSAGES_URL, status=201, json=created())
    TwilioSender(ACCOUNT, "token", from_number="+15005550006").send([message()])
    assert "StatusCallback" not in sent_form(mock.calls[0])


# --- Edges found by mutation testing (docs/testing.md) ------------------------------


@pytest.mark.parametrize(
    "changes, extra",
    [
        pytest.param({"NumMedia": None}, {}, id="NumMedia absent"),
        pytest.param({"NumMedia": ""}, {}, id="NumMedia empty"),
        pytest.param(
            {"NumMedia": "1", "MediaUrl0": "https://m/" + "u" * 2038, "MediaContentType0": "a" * 128},
            {
                "num_media": 1,
                "media": [{"url": "https://m/" + "u" * 2038, "content_type": "a" * 128}],
            },
            id="media fields at their longest",
        ),
        pytest.param(
            {"Latitude": "-90", "Longitude": "180"},
            {"location": {"latitude": -90.0, "longitude": 180.0}},
            id="coordinates at their limits",
        ),
    ],
)
def test_parse_message_accepts(changes, extra):
    """Absent or empty NumMedia means no media; limits are inclusive."""
    assert parse_message(form(SMS_EXAMPLE, **changes)).extra == extra


@pytest.mark.parametrize(
    "changes, complaint",
    [
        pytest.param({"NumMedia": "-1"}, "field 'NumMedia' is negative", id="negative NumMedia"),
        pytest.param({"NumMedia": "x"}, "field 'NumMedia' is not a whole number", id="NumMedia"),
        pytest.param(
            {"NumMedia": "1", "MediaUrl0": "h" * 2049}, "MediaUrl0", id="MediaUrl over 2048"
        ),
        pytest.param(
            {"NumMedia": "1", "MediaContentType0": "a" * 129},
            "MediaContentType0",
            id="content type over 128",
        ),
        pytest.param({"Latitude": "3.1"}, "field 'Longitude' is not", id="latitude alone"),
        pytest.param({"Longitude": "35.6"}, "field 'Latitude' is not", id="longitude alone"),
        pytest.param(
            {"Latitude": "90.5", "Longitude": "1"}, "field 'Latitude' is out", id="latitude > 90"
        ),
        pytest.param(
            {"Latitude": "1", "Longitude": "-180.5"},
            "field 'Longitude' is out",
            id="longitude < -180",
        ),
    ],
)
def test_parse_message_rejects_with_exact_reason(changes, complaint):
    """Malformed media counts and half or out-of-range locations are refused by name."""
    with pytest.raises(BadRequest, match=complaint):
        parse_message(form(SMS_EXAMPLE, **changes))


def test_parse_message_without_to():
    """A message without ``To`` parses with ``to`` None."""
    assert parse_message(form(SMS_EXAMPLE, To=None)).to is None


@pytest.mark.parametrize(
    "fields, accepted",
    [
        pytest.param({"MessageStatus": "s" * 32}, True, id="status of 32"),
        pytest.param({"MessageStatus": "s" * 33}, False, id="status of 33"),
        pytest.param({"MessageStatus": "sent", "ErrorCode": "9" * 16}, True, id="code of 16"),
        pytest.param({"MessageStatus": "sent", "ErrorCode": "9" * 17}, False, id="code of 17"),
    ],
)
def test_parse_status_field_limits(fields, accepted):
    """MessageStatus holds up to 32 characters and ErrorCode up to 16."""
    if accepted:
        assert parse_status({"MessageSid": "SM9", **fields}).provider == "twilio"
    else:
        with pytest.raises(BadRequest):
            parse_status({"MessageSid": "SM9", **fields})


@pytest.mark.parametrize("to", [None, "not a phone"], ids=["absent", "unreadable"])
def test_parse_status_without_a_readable_phone(to):
    """A status callback whose To is absent or unreadable has phone None."""
    fields = {"MessageSid": "SM9", "MessageStatus": "sent", "To": to}
    report = parse_status({k: v for k, v in fields.items() if v is not None})
    assert report.phone is None and report.provider == "twilio"


@pytest.mark.parametrize(
    "signature, message",
    [
        pytest.param(None, "missing X-Twilio-Signature header", id="missing"),
        pytest.param(
            "AAAA",
            "X-Twilio-Signature does not match: check TWILIO_AUTH_TOKEN and that "
            "PUBLIC_BASE_URL gives the exact https URL configured at Twilio",
            id="mismatch: the URL goes to the log, never to the caller",
        ),
    ],
)
def test_check_signature_messages(signature, message):
    """The Forbidden message tells the operator exactly what to check."""
    with pytest.raises(Forbidden) as raised:
        check_signature(VECTOR_TOKEN, VECTOR_URL, VECTOR_PARAMS, signature)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    "kwargs, timeout",
    [pytest.param({}, 10.0, id="default 10 s"), pytest.param({"timeout": 2.5}, 2.5, id="given")],
)
def test_send_has_a_timeout_and_the_account_credentials(mock, kwargs, timeout):
    """Every API call has a timeout (the SDK's own default has none) and Basic auth."""
    mock.post(MESSAGES_URL, status=201, json=created())
    TwilioSender(ACCOUNT, "token", from_number="+15005550006", **kwargs).send([message()])
    request = mock.calls[0].request
    assert request.req_kwargs["timeout"] == timeout
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(
        f"{ACCOUNT}:token".encode()
    ).decode()


@pytest.mark.parametrize(
    "answer, status, cost",
    [
        pytest.param({"status": "sent"}, DeliveryStatus.SENT, None, id="sent"),
        pytest.param({"status": "accepted"}, DeliveryStatus.QUEUED, None, id="accepted"),
        pytest.param({"status": None}, DeliveryStatus.QUEUED, None, id="no status"),
        pytest.param({"status": "brand-new"}, DeliveryStatus.QUEUED, None, id="unknown status"),
        pytest.param(
            {"status": "delivered", "price": "-0.00750", "price_unit": "USD"},
            DeliveryStatus.DELIVERED,
            "USD -0.00750",
            id="priced",
        ),
    ],
)
def test_send_maps_the_created_message(mock, sender, answer, status, cost):
    """The created message's status maps through the table (unknown: queued); price is the cost."""
    mock.post(MESSAGES_URL, status=201, json={**created(), **answer})
    (result,) = sender.send([message()])
    assert (result.id, result.status, result.cost) == ("d1", status, cost)


def test_send_reported_failed_at_once(mock, sender):
    """A message Twilio creates already failed is a permanent failure with its error."""
    mock.post(
        MESSAGES_URL,
        status=201,
        json={**created(status="failed"), "error_code": 30007, "error_message": "Carrier violation"},
    )
    (result,) = sender.send([message()])
    assert (result.id, result.status, result.transient) == ("d1", DeliveryStatus.FAILED, False)
    assert result.error == "Twilio 30007: Carrier violation"


RFC9457 = "https://www.twilio.com/docs/errors/"


@pytest.mark.parametrize(
    "mocked, transient, error",
    [
        pytest.param(
            {"status": 400, "json": {"code": 21211, "message": "Invalid 'To' Phone Number"}},
            False,
            "Twilio 21211: Unable to create record: Invalid 'To' Phone Number",
            id="legacy error: code and message",
        ),
        pytest.param(
            {"status": 500, "body": "Internal Server Error"},
            True,
            "Twilio 500: Unable to create record",
            id="no JSON: the HTTP status",
        ),
        pytest.param(
            {"status": 429, "json": {"code": 21611, "message": "Queue full"}},
            True,
            "Twilio 21611: Unable to create record: Queue full",
            id="any 429 is transient",
        ),
        pytest.param(
            {
                "status": 400,
                "json": {"type": RFC9457 + "20429", "title": "Too Many", "status": 400,
                         "code": 20429},
            },
            True,
            "Twilio 20429: Too Many",
            id="code 20429 is transient whatever the status",
        ),
        pytest.param(
            {
                "status": 400,
                "json": {"type": RFC9457 + "21211", "title": "Invalid To", "status": 400,
                         "code": 21211},
            },
            False,
            "Twilio 21211: Invalid To",
            id="RFC 9457 error: its title",
        ),
        pytest.param(
            {"body": requests.exceptions.ReadTimeout()},
            True,
            "Twilio did not answer in time",
            id="timeout",
        ),
        pytest.param(
            {"body": requests.exceptions.ConnectionError()},
            True,
            "could not reach Twilio: ConnectionError",
            id="connection error",
        ),
    ],
)
def test_send_failure_messages(mock, sender, mocked, transient, error):
    """Each failure names its cause exactly and says whether a retry may help."""
    mock.post(MESSAGES_URL, **mocked)
    (result,) = sender.send([message()])
    assert (result.id, result.status) == ("d1", DeliveryStatus.FAILED)
    assert (result.transient, result.error) == (transient, error)


def test_send_failure_message_is_capped_at_300(mock, sender):
    """A very long provider error is cut to 300 characters."""
    mock.post(MESSAGES_URL, status=400, json={"code": 21211, "message": "x" * 400})
    (result,) = sender.send([message()])
    assert len(result.error) == 300


def test_send_over_ussd_is_refused(mock, sender):
    """Twilio has no USSD: such a message fails permanently, naming the channel."""
    ussd = OutboundMessage(id="u1", channel=Channel.USSD, to="+254711000001", text="x")
    (result,) = sender.send([ussd])
    assert (result.id, result.status, result.transient) == ("u1", DeliveryStatus.FAILED, False)
    assert result.error == f"Twilio cannot send over {Channel.USSD}"


def test_send_whatsapp_without_sender_message(mock):
    """Without a WhatsApp sender the error says which setting to set."""
    sender = TwilioSender(ACCOUNT, "token", from_number="+15005550006")
    (result,) = sender.send([message(channel=Channel.WHATSAPP)])
    assert result.error == "WhatsApp sender not configured: set TWILIO_WHATSAPP_FROM"


@pytest.mark.parametrize("configured", ["whatsapp:+14155238886", "WhatsApp:+14155238886"])
def test_whatsapp_sender_already_prefixed_is_kept(mock, configured):
    """A TWILIO_WHATSAPP_FROM that already has the prefix is not prefixed twice."""
    mock.post(MESSAGES_URL, status=201, json=created())
    sender = TwilioSender(ACCOUNT, "token", from_number="+1500", whatsapp_from=configured)
    sender.send([message(channel=Channel.WHATSAPP)])
    assert sent_form(mock.calls[0])["From"] == configured
