"""A sender and a caller for development: they print messages and calls
instead of sending or placing them (``mpaka dev``)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from typing import TextIO

from .base import CallResult, DeliveryStatus, OutboundMessage, SendResult
from .phones import mask_phone


def _uuid_hex() -> str:
    return uuid.uuid4().hex


class ConsoleSender:
    """Print each message as a readable block and report it SENT.  Development only."""

    def __init__(self, stream: TextIO | None = None, id_factory: Callable[[], str] = _uuid_hex):
        self._stream = stream  # None: whatever sys.stdout is at send time
        self._new_id = id_factory

    def send(self, messages: list[OutboundMessage]) -> list[SendResult]:
        stream = self._stream or sys.stdout
        results = []
        for message in messages:
            body = message.text.replace("\n", "\n    ")
            stream.write(f"[console → {message.to} · {message.channel}] {body}\n")
            results.append(
                SendResult(
                    id=message.id, status=DeliveryStatus.SENT, provider_message_id=self._new_id()
                )
            )
        stream.flush()
        return results


class ConsoleCaller:
    """Print each outbound call (the callee masked) and report it placed.

    The gateway records the call in the message ledger, as for a real
    provider; no call is made.  Development only."""

    def __init__(self, stream: TextIO | None = None, id_factory: Callable[[], str] = _uuid_hex):
        self._stream = stream
        self._new_id = id_factory

    def place_call(self, call_from: str, call_to: str) -> CallResult:
        stream = self._stream or sys.stdout
        stream.write(f"[console call {call_from} → {mask_phone(call_to)}] callback placed\n")
        stream.flush()
        return CallResult(placed=True, session_id=f"console-{self._new_id()}")
