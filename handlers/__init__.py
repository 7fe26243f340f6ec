"""Provider adapters: parse webhooks, render replies, send messages.

One module per provider (``africastalking``, ``twilio``, ``console``,
``webhook``) over the shared types in ``base``.  Nothing here does I/O at
import time or imports Flask; the web blueprints call these functions.
"""

from .base import (
    Channel,
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
    Reply,
    Sender,
    SendResult,
)
from .errors import BadRequest, ConfigurationError, Forbidden, HandlerError, InvalidPhone
from .phones import mask_phone, normalise_phone
from .registry import build_sender

__all__ = [
    "BadRequest",
    "Channel",
    "ConfigurationError",
    "DeliveryReport",
    "DeliveryStatus",
    "Forbidden",
    "HandlerError",
    "InboundMessage",
    "InvalidPhone",
    "OutboundMessage",
    "Reply",
    "SendResult",
    "Sender",
    "build_sender",
    "mask_phone",
    "normalise_phone",
]
