"""A sender for development: prints messages instead of sending them."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from typing import TextIO

from .base import DeliveryStatus, OutboundMessage, SendResult


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
