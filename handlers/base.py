"""Small shared types that every provider adapter speaks.

Adapters parse a provider's webhook into an ``InboundMessage``, render a
``Reply`` in the provider's format, and send ``OutboundMessage``s, returning
one ``SendResult`` per recipient.  Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from gateway.vocab import Channel as Channel  # re-exported: part of the adapter contract
from gateway.vocab import DeliveryStatus as DeliveryStatus  # re-exported, likewise


@dataclass(frozen=True)
class InboundMessage:
    """One message from a reporter or team member, normalised.

    ``session_id`` is the provider's session (AT USSD ``sessionId``) or ``None``
    for message channels, where the conversation is keyed by channel + phone.
    ``text`` is the *new* input only; for AT USSD the raw cumulative ``text``
    is kept in ``raw_text`` and the host derives the new input.
    """

    channel: Channel
    provider: str
    phone: str  # E.164
    text: str
    message_id: str | None = None  # provider's id, used to deduplicate retries
    session_id: str | None = None
    to: str | None = None  # our shortcode / number
    raw_text: str | None = None
    network_code: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """What the conversation answers to one inbound message."""

    text: str
    ended: bool = False


@dataclass(frozen=True)
class OutboundMessage:
    """A message to send.  ``id`` is our ledger/delivery id, echoed in results."""

    id: str
    channel: Channel
    to: str  # E.164
    text: str
    sender: str | None = None


@dataclass(frozen=True)
class SendResult:
    """The provider's answer for one recipient.

    ``transient`` says whether trying again later may succeed (timeouts, 5xx,
    AT 500/501/502); permanent failures (invalid number, blacklisted) are not
    retried.
    """

    id: str
    status: DeliveryStatus
    provider_message_id: str | None = None
    error: str | None = None
    transient: bool = False
    cost: str | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's delivery callback for a message we sent, normalised.

    ``status`` is ``None`` when the provider reports a state we do not know
    yet: ``raw_status`` says what it was, and the caller records it without
    changing the delivery.
    """

    provider: str
    provider_message_id: str
    status: DeliveryStatus | None
    raw_status: str
    failure_reason: str | None = None  # AT failureReason, Twilio ErrorCode
    phone: str | None = None  # E.164, when the provider names the recipient


class Sender(Protocol):
    """What every outbound adapter offers: one ``SendResult`` per message, in order.

    ``send`` never raises for a provider failure; it reports it in the result,
    with ``transient`` saying whether a retry may help.
    """

    def send(self, messages: list[OutboundMessage]) -> list[SendResult]: ...


@dataclass(frozen=True)
class CallResult:
    """The provider's answer to placing one outbound call.

    ``placed`` is true when the provider queued the call (it rings later; the
    outcome comes in a call-status callback); ``session_id`` is the provider's
    id for the call (AT ``sessionId``), echoed in that callback.
    """

    placed: bool
    session_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class CallEvent:
    """A provider's voice callback, normalised (AT Voice).

    ``active`` is true while the call is up, false in the final notification,
    which carries ``hangup_cause`` and ``duration_seconds``.
    """

    session_id: str
    active: bool
    direction: str  # "inbound" | "outbound"
    caller: str | None  # E.164: the resident on an inbound call, our number on an outbound one
    destination: str | None  # E.164 or our number as configured
    hangup_cause: str | None = None
    duration_seconds: int | None = None


class Caller(Protocol):
    """What every voice adapter offers: place one outbound call; never raises
    for a provider failure (it is reported in the ``CallResult``)."""

    def place_call(self, call_from: str, call_to: str) -> CallResult: ...
