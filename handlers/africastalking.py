"""Africa's Talking: USSD sessions, inbound SMS, voice calls, delivery reports, sending SMS,
voice callbacks and outbound calls (the missed-call callback).

Webhooks are form-encoded POSTs; field names follow AT exactly (camelCase).
Sending uses the official SDK's ``SMSService`` and calling its
``VoiceService``; see ``_OnOurSession`` for the one thing we change in them.
"""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from xml.sax.saxutils import escape as xml_escape

import requests
from africastalking.Service import validate_phone
from africastalking.SMS import SMSService
from africastalking.Voice import VoiceService

from ._form import get_field, phone_field
from .base import (
    CallEvent,
    CallResult,
    Channel,
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
    Reply,
    SendResult,
)
from .errors import BadRequest, InvalidPhone
from .phones import normalise_phone

PROVIDER = "africastalking"
MAX_USSD_TEXT = 2000  # cumulative inputs of one session
MAX_SMS_TEXT = 4096
MAX_ID = 128
MAX_SHORT = 32  # phone numbers, service codes, shortcodes, network codes

log = logging.getLogger(__name__)


# --- USSD ----------------------------------------------------------------------


def parse_ussd(form: Mapping[str, str]) -> InboundMessage:
    """Parse one USSD session request.

    ``text`` is AT's cumulative ``*``-joined input, kept whole in both ``text``
    and ``raw_text``: a ``*`` typed in a free-text answer looks exactly like the
    separator, so the host derives the new input by comparing with the previous
    request's text instead of splitting.
    """
    session_id = get_field(form, "sessionId", max_len=MAX_ID, required=True)
    phone = get_field(form, "phoneNumber", max_len=MAX_SHORT, required=True)
    service_code = get_field(form, "serviceCode", max_len=MAX_SHORT, required=True)
    network_code = get_field(form, "networkCode", max_len=MAX_SHORT)
    text = get_field(form, "text", max_len=MAX_USSD_TEXT) or ""
    return InboundMessage(
        channel=Channel.USSD,
        provider=PROVIDER,
        phone=phone_field(phone, "phoneNumber"),
        text=text,
        session_id=session_id,
        to=service_code,
        raw_text=text,
        network_code=network_code or None,
    )


def render_ussd(reply: Reply) -> str:
    """The ``text/plain`` body AT expects: ``CON …`` keeps the session open, ``END …`` closes it."""
    return ("END " if reply.ended else "CON ") + reply.text


_SESSION_EVENT_FIELDS = {
    # AT field → our key.  ``input`` and ``lastAppResponse`` are left out on
    # purpose: they repeat the reporter's answers, which must not end up in logs.
    "sessionId": "session_id",
    "serviceCode": "service_code",
    "networkCode": "network_code",
    "status": "status",
    "cost": "cost",
    "date": "date",
    "errorMessage": "error_message",
}
_SESSION_EVENT_INTS = {
    "durationInMillis": "duration_ms",
    "hopsCount": "hops_count",
    "retryCount": "retry_count",
}


def parse_session_event(form: Mapping[str, str]) -> dict[str, str | int | None]:
    """Leniently parse the USSD session-end "events" callback; never raises.

    AT publishes no field list for it, so every key is optional: missing or
    unreadable values come back as ``None``.  Reply 200 whatever it holds.
    """
    event: dict[str, str | int | None] = {}
    for name, key in _SESSION_EVENT_FIELDS.items():
        value = form.get(name)
        event[key] = str(value)[:256] if value not in (None, "") else None
    for name, key in _SESSION_EVENT_INTS.items():
        raw = form.get(name)
        try:
            event[key] = int(raw) if raw is not None else None
        except (TypeError, ValueError):
            event[key] = None
    try:
        event["phone"] = normalise_phone(form.get("phoneNumber"))
    except InvalidPhone:
        event["phone"] = None
    return event


# --- Voice ---------------------------------------------------------------------------

MAX_URL = 2048
KEYPAD = "0123456789*#"
MAX_DIGITS = 32
#: What AT records a ``<Record>`` as (an mp3 at ``recordingUrl``).
RECORDING_TYPE = "audio/mpeg"


def parse_voice(form: Mapping[str, str]) -> InboundMessage:
    """Parse one voice callback: the call's first request, the digits of a
    ``GetDigits`` (``dtmfDigits``), a ``Record``'s ``recordingUrl``, or the
    final notification (``isActive=0``).

    ``text`` is the digits pressed (``""`` when none: a timeout, or the
    call's first request); ``session_id`` AT's ``sessionId``, one per call.
    ``extra``: ``active`` (bool), ``media`` (``[{"url", "content_type"}]``
    when a recording came), ``recorded`` (the callback answers a
    ``Record``: ``recordingUrl`` was present, possibly empty), and in the final
    notification ``duration`` (seconds) and ``hangup_cause``.
    """
    session_id = get_field(form, "sessionId", max_len=MAX_ID, required=True)
    caller = get_field(form, "callerNumber", max_len=MAX_SHORT, required=True)
    destination = get_field(form, "destinationNumber", max_len=MAX_SHORT)
    raw_active = get_field(form, "isActive", max_len=MAX_SHORT, required=True).strip()
    if raw_active not in ("0", "1"):
        raise BadRequest("field 'isActive' must be 1 or 0")
    digits = (get_field(form, "dtmfDigits", max_len=MAX_DIGITS) or "").strip()
    if not all(key in KEYPAD for key in digits):
        raise BadRequest("field 'dtmfDigits' holds something other than keypad digits")
    digits = digits.rstrip("#")  # the finishing key, when AT passes it on
    recording = get_field(form, "recordingUrl", max_len=MAX_URL)
    extra: dict[str, object] = {"active": raw_active == "1", "recorded": recording is not None}
    if recording and recording.strip():
        extra["media"] = [{"url": recording.strip(), "content_type": RECORDING_TYPE}]
    if raw_active == "0":
        duration = form.get("durationInSeconds")
        extra["duration"] = int(duration) if duration and duration.isdigit() else None
        extra["hangup_cause"] = (get_field(form, "hangupCause", max_len=MAX_ID) or None)
    return InboundMessage(
        channel=Channel.VOICE,
        provider=PROVIDER,
        phone=phone_field(caller, "callerNumber"),
        text=digits,
        session_id=session_id,
        to=destination or None,
        extra=extra,
    )


@dataclass(frozen=True)
class Say:
    """Words read by AT's text-to-speech (English only)."""

    text: str


@dataclass(frozen=True)
class Play:
    """An audio file at a public URL (mp3 or wav)."""

    url: str


Speech = Say | Play


@dataclass(frozen=True)
class VoiceReply:
    """One answer to a voice callback.

    ``action``: ``digits`` (speak, then wait for keys: ``GetDigits``),
    ``record`` (speak, then record until ``#``, ``max_length`` seconds or the
    hang-up: ``Record``), ``end`` (speak; the call ends with the response),
    ``reject`` (refuse the call unanswered, free for the caller).
    """

    speech: tuple[Speech, ...]
    action: Literal["digits", "record", "end", "reject"] = "digits"
    callback_url: str | None = None
    num_digits: int | None = 1
    timeout: int = 20
    max_length: int = 60


def render_voice(reply: VoiceReply) -> str:
    """AT's XML for ``reply``, built with ElementTree (every text escaped).

    ``GetDigits`` and ``Record`` hold the last piece of speech; any before it
    are played first, as siblings (AT documents one ``Say`` or ``Play``
    inside them)."""
    root = ET.Element("Response")
    if reply.action == "reject":
        ET.SubElement(root, "Reject")
        return _xml(root)
    before, last = list(reply.speech[:-1]), reply.speech[-1:]
    if reply.action == "end":
        before, last = list(reply.speech), ()
    for piece in before:
        _speak(root, piece)
    if reply.action == "digits":
        attrs = {"timeout": str(reply.timeout), "finishOnKey": "#"}
        if reply.num_digits:
            attrs["numDigits"] = str(reply.num_digits)
        if reply.callback_url:
            attrs["callbackUrl"] = reply.callback_url
        holder = ET.SubElement(root, "GetDigits", attrs)
    elif reply.action == "record":
        attrs = {"finishOnKey": "#", "maxLength": str(reply.max_length),
                 "trimSilence": "true", "playBeep": "true"}
        if reply.callback_url:
            attrs["callbackUrl"] = reply.callback_url
        holder = ET.SubElement(root, "Record", attrs)
    else:
        holder = root
    for piece in last:
        _speak(holder, piece)
    return _xml(root)


def _speak(parent: ET.Element, piece: Speech) -> None:
    if isinstance(piece, Play):
        ET.SubElement(parent, "Play", {"url": piece.url})
    else:
        ET.SubElement(parent, "Say", {"voice": "woman", "playBeep": "false"}).text = piece.text


def _xml(root: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


# --- Inbound SMS and delivery reports --------------------------------------------


def parse_sms(form: Mapping[str, str]) -> InboundMessage:
    """Parse an inbound SMS.  AT retries until it gets a 200: deduplicate on ``message_id``.

    ``extra["date"]`` is the parsed ``date`` (timezone-aware, UTC), or ``None``
    when absent or unreadable; ``extra["link_id"]`` is AT's ``linkId`` for
    premium replies.
    """
    sender = get_field(form, "from", max_len=MAX_SHORT, required=True)
    message_id = get_field(form, "id", max_len=MAX_ID, required=True)
    to = get_field(form, "to", max_len=MAX_SHORT)
    text = get_field(form, "text", max_len=MAX_SMS_TEXT) or ""
    link_id = get_field(form, "linkId", max_len=MAX_ID)
    network_code = get_field(form, "networkCode", max_len=MAX_SHORT)
    return InboundMessage(
        channel=Channel.SMS,
        provider=PROVIDER,
        phone=phone_field(sender, "from"),
        text=text,
        message_id=message_id,
        to=to or None,
        network_code=network_code or None,
        extra={"date": parse_date(form.get("date")), "link_id": link_id or None},
    )


def parse_date(raw: str | None) -> datetime | None:
    """AT sends ``2018-03-19T08:34:18.445Z`` or ``2018-03-19 08:34:18``; both are UTC.

    An unreadable date is not worth refusing a report over: ``None``.
    """
    if not raw or len(raw) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


DELIVERY_STATUSES: dict[str, DeliveryStatus] = {
    "Sent": DeliveryStatus.SENT,  # left AT for the network
    "Submitted": DeliveryStatus.SENT,  # accepted by the mobile operator
    "Buffered": DeliveryStatus.SENT,  # queued by the operator (handset off)
    "Success": DeliveryStatus.DELIVERED,  # final
    "Rejected": DeliveryStatus.FAILED,  # final
    "Failed": DeliveryStatus.FAILED,  # final
    "Expired": DeliveryStatus.FAILED,  # final: the operator gave up (handset off too long)
}


def parse_delivery(form: Mapping[str, str]) -> DeliveryReport:
    """Parse a delivery report; an unknown ``status`` gives ``status=None``."""
    message_id = get_field(form, "id", max_len=MAX_ID, required=True)
    raw_status = get_field(form, "status", max_len=MAX_SHORT, required=True)
    reason = get_field(form, "failureReason", max_len=MAX_ID)
    try:
        phone: str | None = normalise_phone(form.get("phoneNumber"))
    except InvalidPhone:
        phone = None
    return DeliveryReport(
        provider=PROVIDER,
        provider_message_id=message_id,
        status=DELIVERY_STATUSES.get(raw_status),
        raw_status=raw_status,
        failure_reason=reason or None,
        phone=phone,
    )


# --- Sending -----------------------------------------------------------------------

ACCEPTED: dict[int, DeliveryStatus] = {
    100: DeliveryStatus.QUEUED,  # Processed
    101: DeliveryStatus.SENT,  # Sent
    102: DeliveryStatus.QUEUED,  # Queued
}
# statusCode → transient?  Names (RiskHold, …) come from the response's ``status``.
REJECTED: dict[int, bool] = {
    401: False,  # RiskHold
    402: False,  # InvalidSenderId
    403: False,  # InvalidPhoneNumber
    404: False,  # UnsupportedNumberType
    405: False,  # InsufficientBalance
    406: False,  # UserInBlacklist
    407: False,  # CouldNotRoute
    409: False,  # documented inconsistently; retrying has not been seen to help
    500: True,  # InternalServerError
    501: True,  # GatewayError
    502: True,  # RejectedByGateway
}
MAX_BATCH = 1000  # recipients per API call, to bound the request size


class _OnOurSession:
    """An SDK service, run on our ``requests.Session``.

    The SDK still validates numbers and builds the URL, form and ``apiKey``
    header (``SMSService.send``, ``VoiceService.call``).  We replace only ``_make_request`` because
    the SDK's version turns every non-2xx answer into
    ``AfricasTalkingException(res.text)`` and drops the status code, which is
    what tells a bad API key (401, permanent) from an outage (5xx, retry).  A
    session also reuses the TLS connection between batches.

    ``_is_sandbox`` and ``_make_request`` are private to the SDK, which is why
    pyproject pins ``africastalking<3``: check both when raising the pin.
    """

    def __init__(self, username: str, api_key: str, *, sandbox: bool, http: requests.Session):
        self._sandbox = sandbox  # read by _init_service, called from super().__init__
        self._http = http
        super().__init__(username, api_key)  # type: ignore[call-arg]  # the SDK service, next in the MRO

    def _is_sandbox(self) -> bool:
        return self._sandbox

    def _make_request(
        self,
        url: str,
        method: str,
        headers: Mapping[str, str],
        data: Mapping[str, str | int] | None,
        params: Mapping[str, str] | None,
        callback: object = None,  # never passed by SMSService.send without one
        timeout: float | tuple[float, float] | None = None,
    ) -> requests.Response:
        return self._http.request(
            method, url, headers=headers, data=data, params=params, timeout=timeout
        )


class _SMSService(_OnOurSession, SMSService):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's SMS service on our session."""


class _VoiceService(_OnOurSession, VoiceService):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's voice service on our session (``https://voice.africastalking.com``)."""


class AfricasTalkingSender:
    """Send SMS through Africa's Talking; one API call per distinct text."""

    def __init__(
        self,
        username: str,
        api_key: str,
        sender_id: str | None = None,
        sandbox: bool | None = None,
        timeout: tuple[float, float] = (3.05, 9.05),
        session: requests.Session | None = None,
    ):
        self.sender_id = sender_id or None
        self.timeout = timeout
        self._service = _SMSService(
            username,
            api_key,
            sandbox=(username == "sandbox") if sandbox is None else sandbox,
            http=session or requests.Session(),
        )

    def send(self, messages: list[OutboundMessage]) -> list[SendResult]:
        """One ``SendResult`` per message, in order; never raises for provider failures.

        Messages with the same text and sender (one alert to a whole team) go
        in one call, AT's ``to`` being a comma-joined list of recipients.
        """
        results: dict[int, SendResult] = {}
        batches: dict[tuple[str, str | None], list[list[tuple[int, OutboundMessage]]]] = {}
        for index, message in enumerate(messages):
            if message.channel != Channel.SMS:
                results[index] = _failed(message, f"AT sends SMS, not {message.channel}")
            elif not validate_phone(message.to):
                results[index] = _failed(message, "recipient is not an E.164 number")
            else:
                groups = batches.setdefault((message.text, message.sender or self.sender_id), [])
                # A number appears once per call, so AT's answer maps back unambiguously.
                for group in groups:
                    if len(group) < MAX_BATCH and all(m.to != message.to for _, m in group):
                        group.append((index, message))
                        break
                else:
                    groups.append([(index, message)])
        for (text, sender_id), groups in batches.items():
            for group in groups:
                results.update(self._send_batch(text, sender_id, group))
        return [results[index] for index in range(len(messages))]

    def _send_batch(
        self, text: str, sender_id: str | None, group: list[tuple[int, OutboundMessage]]
    ) -> dict[int, SendResult]:
        def all_failed(error: str, transient: bool) -> dict[int, SendResult]:
            log.warning("AT send to %d recipient(s) failed: %s", len(group), error)
            return {i: _failed(m, error, transient) for i, m in group}

        try:
            response: requests.Response = self._service.send(
                text, [m.to for _, m in group], sender_id=sender_id, timeout=self.timeout
            )
        except requests.Timeout:
            return all_failed("Africa's Talking did not answer in time", transient=True)
        except requests.RequestException as exc:
            return all_failed(f"could not reach Africa's Talking: {type(exc).__name__}", True)

        status = response.status_code
        if status == 401:
            return all_failed(
                "Africa's Talking rejected the credentials (HTTP 401): "
                "check AT_USERNAME and AT_API_KEY",
                transient=False,
            )
        if status >= 500 or status in (408, 429):
            return all_failed(f"Africa's Talking answered HTTP {status}", transient=True)
        if not 200 <= status < 300:
            body = response.text[:200]
            return all_failed(f"Africa's Talking answered HTTP {status}: {body}", False)
        try:
            data = json.loads(response.text)["SMSMessageData"]
            summary = str(data.get("Message", ""))
            entries = list(data.get("Recipients") or [])
        except (ValueError, KeyError, TypeError, AttributeError):
            # It may have been sent: a duplicate alert beats a lost one.
            return all_failed("unreadable answer from Africa's Talking", transient=True)

        by_number: dict[str, Mapping[str, object]] = {str(e.get("number")): e for e in entries}
        results: dict[int, SendResult] = {}
        for index, message in group:
            entry = by_number.get(message.to)
            if entry is not None:
                results[index] = _result(message, entry)
            elif "InvalidSenderId" in summary:
                results[index] = _failed(message, f"InvalidSenderId: {sender_id!r}")
            else:
                results[index] = _failed(
                    message, f"recipient missing from AT answer: {summary[:100]}", True
                )
        return results


def _result(message: OutboundMessage, entry: Mapping[str, object]) -> SendResult:
    """Map one entry of ``SMSMessageData.Recipients`` by its ``statusCode``."""
    raw_code = entry.get("statusCode")
    try:
        code = int(raw_code) if isinstance(raw_code, str | int | float) else 0
    except ValueError:
        code = 0
    name = entry.get("status") or "Unknown"
    cost = entry.get("cost") or None  # AT sends text such as "KES 0.8000"
    if code in ACCEPTED:
        message_id = entry.get("messageId")
        return SendResult(
            id=message.id,
            status=ACCEPTED[code],
            provider_message_id=(
                str(message_id) if message_id not in (None, "", "None") else None
            ),
            cost=str(cost) if cost is not None else None,
        )
    transient = REJECTED.get(code, code >= 500)
    note = " (409 is documented inconsistently; treated as permanent)" if code == 409 else ""
    return _failed(message, f"{name} (AT statusCode {code}){note}", transient)


def _failed(message: OutboundMessage, error: str, transient: bool = False) -> SendResult:
    return SendResult(id=message.id, status=DeliveryStatus.FAILED, error=error, transient=transient)


# --- Voice: callbacks and outbound calls -----------------------------------------------

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
DIRECTIONS = {"inbound": "inbound", "outbound": "outbound"}
MAX_CAUSE = 64


def parse_call_event(form: Mapping[str, str]) -> CallEvent:
    """Parse an AT voice callback (``isActive``, ``direction``, ``callerNumber``, …).

    ``sessionId``, ``isActive`` and ``direction`` are required; an unreadable
    number is ``None`` (AT sends our own number as configured, which may not
    be E.164), an unreadable duration too.
    """
    session_id = get_field(form, "sessionId", max_len=MAX_ID, required=True)
    is_active = get_field(form, "isActive", max_len=MAX_SHORT, required=True).strip()
    if is_active not in ("0", "1"):
        raise BadRequest("field 'isActive' must be 0 or 1")
    raw_direction = get_field(form, "direction", max_len=MAX_SHORT, required=True)
    direction = DIRECTIONS.get(raw_direction.strip().lower())
    if direction is None:
        raise BadRequest("field 'direction' must be Inbound or Outbound")

    def number(name: str) -> str | None:
        value = get_field(form, name, max_len=MAX_SHORT)
        try:
            return normalise_phone(value) if value else None
        except InvalidPhone:
            return None

    raw_duration = get_field(form, "durationInSeconds", max_len=MAX_SHORT)
    try:
        duration: int | None = int(raw_duration) if raw_duration else None
    except ValueError:
        duration = None
    return CallEvent(
        session_id=session_id,
        active=is_active == "1",
        direction=direction,
        caller=number("callerNumber"),
        destination=number("destinationNumber"),
        hangup_cause=(get_field(form, "hangupCause", max_len=MAX_CAUSE) or None),
        duration_seconds=duration,
    )


def render_reject() -> str:
    """Refuse an inbound call: the caller hears it end and pays nothing."""
    return f"{XML_HEAD}<Response><Reject/></Response>"


def render_redirect(url: str) -> str:
    """Hand the call to another voice URL (the voice dialogue's webhook)."""
    return f"{XML_HEAD}<Response><Redirect>{xml_escape(url)}</Redirect></Response>"


def render_empty() -> str:
    """An answer with no action (AT's final notifications need none)."""
    return f"{XML_HEAD}<Response/>"


class AfricasTalkingCaller:
    """Place outbound calls through AT's Voice API (``VoiceService.call``).

    AT calls ``call_to`` from ``call_from`` (one of our virtual numbers) and,
    when the call is answered, posts to that number's callback URL.
    """

    def __init__(
        self,
        username: str,
        api_key: str,
        sandbox: bool | None = None,
        timeout: tuple[float, float] = (3.05, 9.05),
        session: requests.Session | None = None,
    ):
        self.timeout = timeout
        self._service = _VoiceService(
            username,
            api_key,
            sandbox=(username == "sandbox") if sandbox is None else sandbox,
            http=session or requests.Session(),
        )

    def place_call(self, call_from: str, call_to: str) -> CallResult:
        """One call; never raises for a provider failure."""
        if not validate_phone(call_to):
            return CallResult(placed=False, error="callee is not an E.164 number")
        try:
            response: requests.Response = self._service.call(
                call_from, [call_to], timeout=self.timeout
            )
        except requests.Timeout:
            return CallResult(placed=False, error="Africa's Talking did not answer in time")
        except requests.RequestException as exc:
            return CallResult(
                placed=False, error=f"could not reach Africa's Talking: {type(exc).__name__}"
            )
        status = response.status_code
        if status == 401:
            return CallResult(
                placed=False,
                error="Africa's Talking rejected the credentials (HTTP 401): "
                "check AT_USERNAME and AT_API_KEY",
            )
        if not 200 <= status < 300:
            return CallResult(placed=False, error=f"Africa's Talking answered HTTP {status}")
        try:
            data = json.loads(response.text)
            entries = list(data.get("entries") or [])
            error_message = str(data.get("errorMessage") or "None")
        except (ValueError, TypeError, AttributeError):
            return CallResult(placed=False, error="unreadable answer from Africa's Talking")
        entry = next((e for e in entries if isinstance(e, Mapping)), None)
        if entry is None:
            return CallResult(placed=False, error=f"call not queued: {error_message[:100]}")
        entry_status = str(entry.get("status") or "")
        if entry_status != "Queued":
            return CallResult(placed=False, error=f"call not queued: {entry_status[:100]}")
        session_id = entry.get("sessionId")
        return CallResult(
            placed=True,
            session_id=str(session_id) if session_id not in (None, "", "None") else None,
        )
