"""The message ledger: every inbound and outbound message with its status.

Every phone number in the ledger is stored encrypted (``gateway.core.protector``),
reporters' and team members' alike, so no column needs a rule about whose
number it holds.  Our own shortcodes and sender ids are stored as they are.
"""

from __future__ import annotations

from gateway.store.models import Message
from gateway.vocab import MessageStatus
from handlers.phones import mask_phone


def inbound(msg, *, protector) -> Message:
    return Message(
        direction="in",
        channel=str(msg.channel),
        provider=msg.provider,
        provider_message_id=msg.message_id or msg.session_id,
        sender=protector.encrypt(msg.phone),
        recipient=msg.to,
        phone_hash=protector.phone_hash(msg.phone),
        text=msg.text,
        status=MessageStatus.RECEIVED,
    )


def outbound(
    *, channel, provider: str, to: str, text: str, status: str, protector,
    sender: str | None = None, report_id: int | None = None,
) -> Message:
    return Message(
        direction="out",
        channel=str(channel),
        provider=provider,
        sender=sender,
        recipient=protector.encrypt(to),
        phone_hash=protector.phone_hash(to),
        text=text,
        status=status,
        report_id=report_id,
    )


def as_dict(message: Message, *, protector, reveal: bool = False) -> dict:
    """The JSON form used by the CLI and the API; numbers masked unless ``reveal``."""
    def number(value):
        if value is None:
            return None
        clear = protector.decrypt(value)
        if clear is None:  # a shortcode or sender id, stored as it is
            return value
        return clear if reveal else mask_phone(clear)

    return {
        "id": message.id,
        "direction": message.direction,
        "channel": message.channel,
        "provider": message.provider,
        "from": number(message.sender),
        "to": number(message.recipient),
        "text": message.text,
        "status": message.status,
        "error": message.error,
        "report_id": message.report_id,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }
