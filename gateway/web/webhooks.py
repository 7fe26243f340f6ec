"""Provider webhooks: authenticate, parse into an ``InboundMessage``, run the
conversation, render the reply in the provider's format.

Status codes: 400 for a malformed request (the message says what is wrong),
403 for a bad secret or signature, 413 for an oversized body; never a 5xx.
A USSD request that is well-formed always gets 200 with ``CON``/``END``,
because the network shows anything else to the reporter as an error.
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from gateway.core import production
from gateway.core.services import current_services
from gateway.delivery import outbox
from gateway.intake import callback
from gateway.intake.conversation import Conversations
from gateway.ops import metrics
from gateway.web import voice
from handlers import africastalking, twilio
from handlers.base import Reply
from handlers.errors import BadRequest, Forbidden

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@bp.errorhandler(BadRequest)
def _bad_request(exc):
    return Response(f"Bad request: {exc}\n", status=400, mimetype="text/plain")


@bp.errorhandler(Forbidden)
def _forbidden(exc):
    return Response(f"Forbidden: {exc}\n", status=403, mimetype="text/plain")


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc):
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return Response(f"Request body larger than {limit} bytes\n", status=413, mimetype="text/plain")


@bp.before_request
def _provider_enabled():
    """Webhooks of a provider not in INBOUND_PROVIDERS do not exist."""
    provider = request.path.split("/")[2] if request.path.count("/") >= 2 else ""
    if provider not in production.inbound_providers(current_app.config):
        raise NotFound()


def form() -> dict[str, str]:
    """The posted form, after checking the content type; never raises a 500."""
    if request.mimetype not in FORM_TYPES:
        raise BadRequest(
            f"expected a form post (application/x-www-form-urlencoded), got {request.mimetype or 'nothing'}"
        )
    return request.form.to_dict(flat=True)


def check_at_secret() -> None:
    """With ``AT_WEBHOOK_SECRET`` set, AT callbacks carry it as ``?secret=``."""
    expected = current_app.config.get("AT_WEBHOOK_SECRET")
    if not expected:
        return
    given = request.args.get("secret", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("missing or wrong secret")


def check_twilio_signature() -> None:
    """With ``TWILIO_AUTH_TOKEN`` set, check ``X-Twilio-Signature`` (``handlers.twilio``)."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not token:
        return
    url = twilio.signed_url(
        request.url,  # without PUBLIC_BASE_URL; ProxyFix has applied X-Forwarded-Proto/Host
        request.path,
        request.query_string.decode(),
        current_app.config.get("PUBLIC_BASE_URL"),
    )
    twilio.check_signature(token, url, request.form, request.headers.get("X-Twilio-Signature"))


def conversations() -> Conversations:
    return Conversations(current_services())


@bp.post("/africastalking/ussd")
def at_ussd():
    check_at_secret()
    msg = africastalking.parse_ussd(form())
    try:
        outcome = conversations().handle(msg)
        reply = outcome.reply or Reply("", ended=True)
    except Exception:  # the network shows a 5xx as an error: always answer END
        log.exception("ussd dialogue failed")
        reply = Reply(conversations().unavailable_text(), ended=True)
    return Response(africastalking.render_ussd(reply), status=200, mimetype="text/plain")


@bp.post("/africastalking/sms")
def at_sms():
    """AT ignores the response body: replies go out through the SMS API from a job."""
    check_at_secret()
    msg = africastalking.parse_sms(form())
    conv = conversations()
    outcome = conv.handle(msg, inline_reply=False)
    if outcome.reply is not None and outcome.reply.text:
        conv.queue_reply(msg, outcome)
    return Response("", status=200, mimetype="text/plain")


@bp.post("/africastalking/voice")
def at_voice():
    """A call to the voice number: the same dialogue, spoken (``gateway.web.voice``).

    Every callback of a live call is answered with XML, whatever happens: a
    failure speaks the apology with the emergency numbers.  The final
    notification (``isActive=0``) needs no answer; the dialogue stays
    resumable (by USSD, SMS or another call).  A recording it names (the
    caller hung up while recording) is taken into the dialogue as after
    ``Record``, so that resuming finds the description recorded; nothing is
    spoken."""
    check_at_secret()
    msg = africastalking.parse_voice(form())
    if not msg.extra.get("active"):
        log.info("call ended", extra={"duration": msg.extra.get("duration"),
                                      "hangup_cause": msg.extra.get("hangup_cause")})
        if msg.extra.get("media"):
            try:
                conversations().handle(msg, inline_reply=False)
            except Exception:  # the call is over: nobody to answer
                log.exception("the final recording could not be taken")
        return Response("", status=200, mimetype="text/plain")
    callback = _callback_url()
    try:
        outcome = conversations().handle(msg)
        answer = voice.voice_reply(outcome, current_app.config, callback)
    except Exception:  # a call must never end in silence
        log.exception("voice dialogue failed")
        answer = voice.apology()
    return Response(africastalking.render_voice(answer), status=200, mimetype="application/xml")


def _callback_url() -> str | None:
    """Where AT posts the next callback of the call: this URL, as AT reached it
    (its secret included), on ``PUBLIC_BASE_URL``; without one, AT uses the
    number's configured callback URL."""
    public = current_app.config.get("PUBLIC_BASE_URL")
    if not public:
        return None
    query = request.query_string.decode()
    return public.rstrip("/") + request.path + (f"?{query}" if query else "")


@bp.post("/africastalking/ussd/events")
def at_ussd_events():
    check_at_secret()
    event = africastalking.parse_session_event(form())
    log.info("ussd session ended", extra={"status": event.get("status")})
    metrics.ussd_session_ended(current_services(), event)
    return Response("", status=200, mimetype="text/plain")


#: Where an answered callback goes: the voice dialogue's webhook.
VOICE_DIALOGUE_PATH = "/webhooks/africastalking/voice"


@bp.post("/africastalking/voice/callback")
def at_voice_callback():
    """The callback URL of the numbers in ``VOICE_CALLBACK_NUMBERS`` (set in AT's
    dashboard).  A resident's call is rejected at once (free for them) and a
    callback queued (``gateway.intake.callback``); AT's events for the outbound
    call come here too (the call is placed from this number): answered, the
    call is handed to the voice dialogue; ended, the outcome is recorded."""
    check_at_secret()
    event = africastalking.parse_call_event(form())
    svc = current_services()
    if event.direction == "inbound":
        if event.active:
            if event.caller is None:
                raise BadRequest("field 'callerNumber' must be the caller's phone number")
            if callback.is_callback_number(svc.config, event.destination):
                callback.missed_call(svc, event)
            else:
                log.warning("call to a number not in VOICE_CALLBACK_NUMBERS rejected")
            return _xml(africastalking.render_reject())
        return _xml(africastalking.render_empty())
    callback.call_event(svc, event)
    if event.active:
        return _xml(africastalking.render_redirect(_voice_dialogue_url()))
    return _xml(africastalking.render_empty())


def _voice_dialogue_url() -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    secret = current_app.config.get("AT_WEBHOOK_SECRET")
    query = "?" + urlencode({"secret": secret}) if secret else ""
    return f"{base}{VOICE_DIALOGUE_PATH}{query}"


def _xml(body: str) -> Response:
    return Response(body, status=200, mimetype="application/xml")


@bp.post("/twilio/messages")
def twilio_messages():
    params = form()
    check_twilio_signature()
    msg = twilio.parse_message(params)
    conv = conversations()
    try:
        reply = conv.handle(msg).reply
    except Exception:  # Twilio does not retry: answer the reporter all the same
        log.exception("message dialogue failed")
        reply = Reply(conv.unavailable_text(), ended=True)
    return Response(twilio.render_twiml(reply), status=200, mimetype="text/xml")


@bp.post("/africastalking/delivery")
def at_delivery():
    check_at_secret()
    outbox.apply_delivery_report(current_services(), africastalking.parse_delivery(form()))
    return Response("", status=200, mimetype="text/plain")


@bp.post("/twilio/status")
def twilio_status():
    params = form()
    check_twilio_signature()
    outbox.apply_delivery_report(current_services(), twilio.parse_status(params))
    return Response("", status=200, mimetype="text/plain")
