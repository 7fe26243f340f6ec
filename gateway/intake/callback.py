"""The missed-call callback: a resident without airtime "flashes" a callback
number, the gateway rejects the call (it costs nothing) and calls back, and the
answered call runs the voice dialogue.

* ``missed_call``: an inbound call to a number of ``VOICE_CALLBACK_NUMBERS``.
  It is recorded in the ledger (the number encrypted, as every number there);
  within the limits (one callback per caller per 10 minutes,
  ``VOICE_CALLBACKS_PER_DAY``, and the inbound limit every message counts
  against) an outbound ledger row is queued and the ``place_callback`` job
  enqueued in the ``alerts`` queue.  Over a limit, the inbound row says why.
* ``requested_by_sms``: the same for an SMS keyword (``settings.keywords.callback``:
  PIGA, CALL ME), called by the conversation host.
* ``place``: the job.  The provider's caller (``handlers.registry.build_caller``,
  ``VOICE_PROVIDER``) places the call from the number that was flashed.
* ``call_event``: AT's callbacks for that outbound call.  Answered: the row is
  ``delivered`` and the call goes to the voice dialogue.  Not answered (busy,
  no answer, rejected) or not placed at all: tried once more after a minute
  (``gateway.tasks.CALLBACK_RETRY_SECONDS``), then the row is ``failed`` with
  the reason: dropped.

Numbers never appear in job arguments, logs or Redis: the job carries the
ledger row's id; the limiter and the duplicate check use the keyed hash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from gateway import tasks
from gateway.core import keys, ratelimit
from gateway.core.services import Services
from gateway.errors import InvalidPhone
from gateway.store.models import Message
from gateway.vocab import Channel, MessageStatus
from handlers.base import CallEvent
from handlers.phones import normalise_phone
from handlers.registry import build_caller

log = logging.getLogger(__name__)

PROVIDER = "africastalking"
#: One callback per caller in this many seconds.
CALLBACK_WINDOW = 600
DAY = 86400
#: Tries of one callback (the first and one retry).
MAX_ATTEMPTS = 2
#: What the ledger's text says (no words of the resident: there are none).
MISSED_CALL_TEXT = "missed call"
CALLBACK_TEXT = "callback"

#: AT hang-up causes after which a second try will not help.
PERMANENT_CAUSES = frozenset({
    "UNALLOCATED_NUMBER", "INVALID_NUMBER_FORMAT", "CALL_BARRED", "INCOMPATIBLE_DESTINATION",
})


@dataclass(frozen=True)
class MissedCall:
    """What ``missed_call`` did: ``queued`` a callback, or ``refused`` says why not."""

    queued: bool
    refused: str | None = None
    message_id: int | None = None


def callback_numbers(config) -> list[str]:
    """``VOICE_CALLBACK_NUMBERS`` as E.164, in order; anything that is not a
    number is left out (and logged)."""
    numbers: list[str] = []
    for raw in config.get("VOICE_CALLBACK_NUMBERS") or []:
        try:
            numbers.append(normalise_phone(raw))
        except InvalidPhone:  # a settings mistake must not break the webhook
            log.warning("VOICE_CALLBACK_NUMBERS holds something that is not a phone number")
    return numbers


def is_callback_number(config, number: str | None) -> bool:
    return number is not None and number in callback_numbers(config)


def missed_call(svc: Services, event: CallEvent) -> MissedCall:
    """An inbound call to a callback number (the webhook rejects it): record
    it and, within the limits, queue the callback.  A duplicate of a call
    already seen (AT's retry, its final notification) does nothing."""
    phone = event.caller
    if phone is None:
        return MissedCall(queued=False, refused="no caller number")
    if not svc.redis.set(keys.dedupe(f"{PROVIDER}-voice", event.session_id), "1", nx=True,
                         ex=svc.config["DEDUPE_TTL"]):
        return MissedCall(queued=False, refused="already seen")
    protector = svc.protector
    phone_hash = protector.phone_hash(phone)
    if not svc.limiter.hit(ratelimit.INBOUND, phone_hash, resolution=10,
                           limit=svc.config["INBOUND_PER_10_MINUTES"], window=CALLBACK_WINDOW):
        refused: str | None = "too many messages from this number"
    else:
        refused = _over_limits(svc, phone_hash)
    with svc.db() as db:
        db.add(Message(
            direction="in", channel=Channel.VOICE, provider=PROVIDER,
            provider_message_id=event.session_id, sender=protector.encrypt(phone),
            recipient=event.destination, phone_hash=phone_hash, text=MISSED_CALL_TEXT,
            status=MessageStatus.RECEIVED,
            error=f"no callback: {refused}" if refused else None,
        ))
        db.commit()
    if refused:
        log.info("missed call, no callback", extra={"reason": refused})
        return MissedCall(queued=False, refused=refused)
    return _queue(svc, phone, phone_hash, call_from=event.destination)


def requested_by_sms(svc: Services, phone: str) -> MissedCall:
    """An SMS asking for a call back (``settings.keywords.callback``, PIGA):
    the same limits and call, from the first callback number.  The SMS itself
    is in the ledger already and counted against the inbound limit."""
    numbers = callback_numbers(svc.config)
    if not numbers:
        return MissedCall(queued=False, refused="no callback number")
    phone_hash = svc.protector.phone_hash(phone)
    refused = _over_limits(svc, phone_hash)
    if refused:
        log.info("callback asked by SMS, not placed", extra={"reason": refused})
        return MissedCall(queued=False, refused=refused)
    return _queue(svc, phone, phone_hash, call_from=numbers[0])


def _queue(svc: Services, phone: str, phone_hash: str, *, call_from: str | None) -> MissedCall:
    """The callback's outbound ledger row, and its job."""
    with svc.db() as db:
        row = Message(
            direction="out", channel=Channel.VOICE, provider=svc.config["VOICE_PROVIDER"],
            sender=call_from, recipient=svc.protector.encrypt(phone), phone_hash=phone_hash,
            text=CALLBACK_TEXT, status=MessageStatus.QUEUED,
        )
        db.add(row)
        db.commit()
        message_id = row.id
    if not tasks.place_callback(svc, message_id):
        _mark(svc, message_id, MessageStatus.FAILED, "dropped: the job queue did not answer")
        return MissedCall(queued=False, refused="queue unavailable", message_id=message_id)
    log.info("callback queued", extra={"message_id": message_id})
    return MissedCall(queued=True, message_id=message_id)


def _over_limits(svc: Services, phone_hash: str) -> str | None:
    """Why no callback may be placed now, or ``None`` (and the callback counted)."""
    limiter = svc.limiter
    if limiter.count(ratelimit.CALLBACKS, phone_hash, window=CALLBACK_WINDOW) >= 1:
        return "one callback per 10 minutes"
    cap = svc.config["VOICE_CALLBACKS_PER_DAY"]
    if limiter.count(ratelimit.CALLBACKS, phone_hash, window=DAY) >= cap:
        return f"daily limit of {cap} callbacks"
    limiter.hit(ratelimit.CALLBACKS, phone_hash, limit=cap, window=DAY)
    return None


def place(svc: Services, message_id: int) -> dict:
    """The job: place the outbound call of ledger row ``message_id``."""
    with svc.db() as db:
        claimed = db.scalars(
            update(Message)
            .where(Message.id == message_id, Message.channel == Channel.VOICE,
                   Message.direction == "out", Message.status.in_(MessageStatus.claimable()))
            .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1,
                    updated_at=svc.clock.now())
            .returning(Message.id)
        ).all()
        db.commit()
        if not claimed:
            return {"placed": False, "skipped": True}
        row = db.get(Message, message_id)
        assert row is not None
        callee = svc.protector.decrypt(row.recipient)
        call_from, provider = row.sender or "", row.provider
    if callee is None:
        _mark(svc, message_id, MessageStatus.FAILED, "dropped: the number cannot be decrypted")
        return {"placed": False}
    result = build_caller(provider, svc.config).place_call(call_from, callee)
    if result.placed:
        with svc.db() as db:
            row = db.get(Message, message_id)
            assert row is not None
            row.status = MessageStatus.SENT  # ringing: the call's events say how it ended
            row.provider_message_id = result.session_id
            row.error = None
            db.commit()
        return {"placed": True}
    failed(svc, message_id, f"not placed: {result.error or 'unknown error'}")
    return {"placed": False}


def failed(svc: Services, message_id: int, reason: str, *, permanent: bool = False) -> None:
    """A callback that did not reach the resident: once more after a minute,
    then dropped (the row ``failed``, with the reason)."""
    with svc.db() as db:
        row = db.get(Message, message_id)
        if row is None:
            return
        last = permanent or row.attempts >= MAX_ATTEMPTS
        row.status = MessageStatus.FAILED if last else MessageStatus.RETRY
        row.error = (f"dropped after {row.attempts} attempt(s): {reason}" if last else reason)[:255]
        db.commit()
    if last:
        log.info("callback dropped", extra={"message_id": message_id})
    elif not tasks.place_callback(svc, message_id, retry=True):
        _mark(svc, message_id, MessageStatus.FAILED, f"dropped: {reason}; the queue did not answer")


def call_event(svc: Services, event: CallEvent) -> bool:
    """AT's callback for an outbound call: ``True`` when it belongs to a
    callback (answered: ``delivered``; ended unanswered: ``failed`` above)."""
    with svc.db() as db:
        row = db.scalars(select(Message).where(
            Message.direction == "out", Message.channel == Channel.VOICE,
            Message.provider == PROVIDER, Message.provider_message_id == event.session_id,
        )).first()
        if row is None:
            return False
        message_id, status = row.id, row.status
        if event.active or (event.duration_seconds or 0) > 0:
            if status == MessageStatus.SENT:
                row.status = MessageStatus.DELIVERED  # answered
                db.commit()
            return True
    if status == MessageStatus.SENT:  # ended before anyone answered
        cause = event.hangup_cause or "no answer"
        failed(svc, message_id, f"not answered: {cause}", permanent=cause in PERMANENT_CAUSES)
    return True


def _mark(svc: Services, message_id: int, status: str, error: str) -> None:
    with svc.db() as db:
        row = db.get(Message, message_id)
        if row is not None:
            row.status = status
            row.error = error[:255]
            db.commit()
