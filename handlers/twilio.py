"""Twilio: inbound SMS and WhatsApp, status callbacks, signatures, TwiML, sending.

One implementation serves both channels: WhatsApp differs only by the
``whatsapp:`` prefix on ``From``/``To``.  Twilio adds webhook parameters
without notice, so unknown ones are ignored; ``ProfileName`` and ``WaId`` are
never kept (a reporter's WhatsApp name is not ours to store).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from ._form import get_field, phone_field
from .base import (
    Channel,
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
    Reply,
    SendResult,
)
from .errors import BadRequest, Forbidden, InvalidPhone
from .phones import normalise_phone

PROVIDER = "twilio"
WHATSAPP_PREFIX = "whatsapp:"
MAX_BODY = 1600  # Twilio's limit for an outbound body
MAX_INBOUND_BODY = 4096  # WhatsApp allows longer messages than SMS
MAX_MEDIA = 10
MAX_ID = 64
MAX_ADDRESS = 64

log = logging.getLogger(__name__)


# --- Inbound -------------------------------------------------------------------------


def parse_message(form: Mapping[str, str]) -> InboundMessage:
    """Parse an inbound SMS or WhatsApp message.

    ``extra`` holds ``num_media`` and ``media`` (``[{"url", "content_type"}]``)
    and, for a WhatsApp location share, ``location`` (``{"latitude",
    "longitude"}`` as floats).
    """
    message_id = get_field(form, "MessageSid", max_len=MAX_ID, required=True)
    sender = get_field(form, "From", max_len=MAX_ADDRESS, required=True)
    to = get_field(form, "To", max_len=MAX_ADDRESS)
    body = get_field(form, "Body", max_len=MAX_INBOUND_BODY) or ""
    channel = Channel.WHATSAPP if sender.lower().startswith(WHATSAPP_PREFIX) else Channel.SMS
    extra: dict[str, object] = {}
    num_media = _int(form.get("NumMedia"), "NumMedia")
    if num_media:
        extra["num_media"] = num_media
        extra["media"] = [
            {
                "url": get_field(form, f"MediaUrl{n}", max_len=2048),
                "content_type": get_field(form, f"MediaContentType{n}", max_len=128),
            }
            for n in range(min(num_media, MAX_MEDIA))
        ]
    if form.get("Latitude") or form.get("Longitude"):
        extra["location"] = {
            "latitude": _coordinate(form.get("Latitude"), "Latitude", 90),
            "longitude": _coordinate(form.get("Longitude"), "Longitude", 180),
        }
    return InboundMessage(
        channel=channel,
        provider=PROVIDER,
        phone=phone_field(sender, "From"),
        text=body,
        message_id=message_id,
        to=_strip_prefix(to) if to else None,
        extra=extra,
    )


MESSAGE_STATUSES: dict[str, DeliveryStatus] = {
    "accepted": DeliveryStatus.QUEUED,
    "scheduled": DeliveryStatus.QUEUED,
    "queued": DeliveryStatus.QUEUED,
    "sending": DeliveryStatus.SENT,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,  # WhatsApp: delivered and opened
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}


def parse_status(form: Mapping[str, str]) -> DeliveryReport:
    """Parse a status callback; an unknown ``MessageStatus`` gives ``status=None``."""
    message_id = get_field(form, "MessageSid", max_len=MAX_ID, required=True)
    raw_status = get_field(form, "MessageStatus", max_len=32, required=True)
    error_code = get_field(form, "ErrorCode", max_len=16)
    try:
        phone: str | None = normalise_phone(form.get("To"))
    except InvalidPhone:
        phone = None
    return DeliveryReport(
        provider=PROVIDER,
        provider_message_id=message_id,
        status=MESSAGE_STATUSES.get(raw_status.lower()),
        raw_status=raw_status,
        failure_reason=error_code or None,
        phone=phone,
    )


def signed_url(
    request_url: str, path: str, query_string: str = "", public_base_url: str | None = None
) -> str:
    """The URL Twilio signed: ``public_base_url`` + ``path`` (+ ``?query_string``)
    when a public base URL is configured, else ``request_url`` as received.

    Behind a TLS-terminating proxy the request arrives as ``http://internal…``
    while Twilio signed the public ``https://`` URL, so configure the base URL.
    """
    if not public_base_url:
        return request_url
    url = public_base_url.rstrip("/") + path
    return url + "?" + query_string if query_string else url


def validate_signature(
    auth_token: str, url: str, form: Mapping[str, str], signature: str | None
) -> bool:
    """Check ``X-Twilio-Signature`` over the public ``url`` and **all** POST params.

    ``url`` must be the one Twilio called (``https://…``, with its query; see
    ``signed_url``).  Pass the form as received: with a multi-dict (Flask's
    ``request.form``) every value of a repeated parameter is covered too.
    """
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, form, signature))


def check_signature(
    auth_token: str, url: str, form: Mapping[str, str], signature: str | None
) -> None:
    """Like ``validate_signature``, but raise ``Forbidden`` saying what is wrong
    (a mismatch also logs ``url`` at WARNING).

    The one signature check: the Twilio webhooks call it with ``signed_url``.
    """
    if not signature:
        raise Forbidden("missing X-Twilio-Signature header")
    if not validate_signature(auth_token, url, form, signature):
        # The URL goes to the log, not the answer: without PUBLIC_BASE_URL it is
        # the internal one, which is no business of whoever posted.
        log.warning("X-Twilio-Signature does not match for %s", url)
        raise Forbidden(
            "X-Twilio-Signature does not match: check TWILIO_AUTH_TOKEN and that "
            "PUBLIC_BASE_URL gives the exact https URL configured at Twilio"
        )


def render_twiml(reply: Reply | None) -> str:
    """TwiML for the webhook response (``text/xml``); no reply gives an empty ``<Response />``."""
    response = MessagingResponse()
    if reply is not None and reply.text:
        response.message(reply.text)
    return str(response)


# --- Sending -------------------------------------------------------------------------


class TwilioSender:
    """Send SMS and WhatsApp messages through Twilio, one API call per recipient."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        whatsapp_from: str | None = None,
        status_callback: str | None = None,
        http_client: TwilioHttpClient | None = None,
        timeout: float = 10.0,
    ):
        self.from_number = from_number
        self.whatsapp_from = _with_prefix(whatsapp_from) if whatsapp_from else None
        self.status_callback = status_callback or None
        # The SDK's default client has no timeout at all: a hung socket would
        # hold a worker forever.
        self._client = Client(
            account_sid, auth_token, http_client=http_client or TwilioHttpClient(timeout=timeout)
        )

    def send(self, messages: list[OutboundMessage]) -> list[SendResult]:
        """One ``SendResult`` per message, in order; never raises for provider failures."""
        return [self._send_one(message) for message in messages]

    def _send_one(self, message: OutboundMessage) -> SendResult:
        if message.channel == Channel.WHATSAPP:
            if not self.whatsapp_from:
                return _failed(message, "WhatsApp sender not configured: set TWILIO_WHATSAPP_FROM")
            to, from_ = _with_prefix(message.to), self.whatsapp_from
        elif message.channel == Channel.SMS:
            to, from_ = message.to, message.sender or self.from_number
        else:
            return _failed(message, f"Twilio cannot send over {message.channel}")
        params = {"to": to, "from_": from_, "body": message.text[:MAX_BODY]}
        if self.status_callback:
            params["status_callback"] = self.status_callback
        try:
            created = self._client.messages.create(**params)
        except (TwilioRestException, TwilioServiceException) as exc:
            return _from_exception(message, exc)
        except requests.Timeout:
            return _failed(message, "Twilio did not answer in time", transient=True)
        except requests.RequestException as exc:
            return _failed(message, f"could not reach Twilio: {type(exc).__name__}", True)
        status = MESSAGE_STATUSES.get(str(created.status or "").lower(), DeliveryStatus.QUEUED)
        if status == DeliveryStatus.FAILED:
            return _failed(message, f"Twilio {created.error_code}: {created.error_message}")
        price = f"{created.price_unit} {created.price}" if created.price else None
        return SendResult(id=message.id, status=status, provider_message_id=created.sid, cost=price)


def _from_exception(message: OutboundMessage, exc: Exception) -> SendResult:
    """5xx and rate limits may pass; other 4xx (21211 invalid number, 21610 unsubscribed) won't."""
    status = getattr(exc, "status", None) or 0
    code = getattr(exc, "code", None)
    text = getattr(exc, "msg", None) or getattr(exc, "title", None) or ""
    transient = status >= 500 or status == 429 or code == 20429
    return _failed(message, f"Twilio {code or status}: {text}"[:300], transient)


def _failed(message: OutboundMessage, error: str, transient: bool = False) -> SendResult:
    return SendResult(id=message.id, status=DeliveryStatus.FAILED, error=error, transient=transient)


# --- Small helpers -------------------------------------------------------------------


def _strip_prefix(address: str) -> str:
    return (
        address[len(WHATSAPP_PREFIX) :] if address.lower().startswith(WHATSAPP_PREFIX) else address
    )


def _with_prefix(address: str) -> str:
    return address if address.lower().startswith(WHATSAPP_PREFIX) else WHATSAPP_PREFIX + address


def _int(raw: str | None, name: str) -> int:
    if raw in (None, ""):
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"field {name!r} is not a whole number") from None
    if value < 0:
        raise BadRequest(f"field {name!r} is negative")
    return value


def _coordinate(raw: str | None, name: str, limit: float) -> float:
    if raw is None:
        raise BadRequest(f"field {name!r} is not a number")
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"field {name!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise BadRequest(f"field {name!r} is out of range")
    return value
