"""The message ledger: every inbound and outbound message with its status.

Every phone number in the ledger is stored encrypted (``gateway.core.protector``),
reporters' and team members' alike, so no column needs a rule about whose
number it holds.  Our own shortcodes and sender ids are stored as they are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select

from gateway.core import texts
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
    forget_recipient_after_send: bool = False,
) -> Message:
    """An outbound row.  ``forget_recipient_after_send``: no hash and no report
    beside the number, which the outbox erases once the provider has it
    (``forgets_recipient``)."""
    return Message(
        direction="out",
        channel=str(channel),
        provider=provider,
        sender=sender,
        recipient=protector.encrypt(to),
        phone_hash=None if forget_recipient_after_send else protector.phone_hash(to),
        text=text,
        status=status,
        report_id=None if forget_recipient_after_send else report_id,
    )


def forgets_recipient(row: Message, protector) -> bool:
    """An outbound row to a number that carries no hash: its recipient goes
    once it is sent (an anonymous reporter's last reply, a STOP's answer)."""
    return (row.direction == "out" and row.phone_hash is None and row.recipient is not None
            and protector.decrypt(row.recipient) is not None)


#: How ``forget_dialogue`` treats a dialogue's rows.
UNLINK = "unlink"  # an anonymous report: numbers and hashes go, the words stay (as in the report)
ERASE = "erase"  # STOP, 99, Cancel: the reporter's words go as well


def forget_dialogue(db, how: str, *, phone_hash: str, since, ussd_session: str | None,
                    until=None) -> int:
    """Unlink a finished dialogue's rows from the phone: every row to or from
    it since the dialogue started, up to ``until`` when it ended (and, on
    USSD, every row of its session).  ``until`` matters when the forgetting is
    applied later (from the ledger stream): rows of a later dialogue of the
    same phone stay as they are.
    What stays: channel, provider, direction, status, time and, for an
    anonymous report, the screens and answers, so the ledger still counts what
    happened.  Rows still to be sent keep their number until the outbox has
    sent them (they carry no hash).  Returns the number of rows changed."""
    condition = and_(Message.phone_hash == phone_hash, Message.created_at >= since)
    if until is not None:
        condition = and_(condition, Message.created_at <= until)
    if ussd_session:
        condition = or_(condition, and_(Message.provider_message_id == ussd_session,
                                        Message.direction == "in"))
    rows = db.scalars(select(Message).where(condition)).all()
    for row in rows:
        unlink(row, how)
    return len(rows)


def unlink(row: Message, how: str) -> None:
    """One row of a dialogue to forget (see ``forget_dialogue``)."""
    row.phone_hash = None
    if row.direction == "in":
        row.sender = None
        if how == ERASE:
            row.text = None
    elif row.status in (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.RETRY):
        row.report_id = None  # the number goes after sending (forgets_recipient)
    else:
        row.recipient = None


def as_dict(message: Message, *, protector, reveal: bool = False, numbers: bool = True) -> dict:
    """The JSON form used by the CLI and the API; numbers masked unless ``reveal``,
    left out entirely (and masked ones taken out of texts) unless ``numbers``."""
    def number(value):
        if value is None:
            return None
        clear = protector.decrypt(value)
        if clear is None:  # a shortcode or sender id, stored as it is
            return value
        if not numbers:
            return None
        return clear if reveal else mask_phone(clear)

    return {
        "id": message.id,
        "direction": message.direction,
        "channel": message.channel,
        "provider": message.provider,
        "from": number(message.sender),
        "to": number(message.recipient),
        "text": message.text if numbers else texts.hide_contacts(message.text),
        "status": message.status,
        "error": message.error,
        "report_id": message.report_id,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }


def dialogue_keys(rows, *, ussd_gap: float, message_gap: float) -> dict[int, str]:
    """Which dialogue each ledger row belongs to, for showing one entry per
    dialogue: ``rows`` (id, direction, channel, provider, provider_message_id,
    phone_hash, created_at) in any order; returns {row id: dialogue key}.

    A USSD session is its provider session id; a USSD screen (an outbound
    row, which carries no session id) joins the session its phone is in, or
    the inbound row written just before it.  On SMS and WhatsApp a dialogue is
    an exchange with one phone on one channel: what the phone sends and our
    replies, with no pause longer than ``message_gap`` seconds (the session's
    lifetime); messages only sent to a phone (alerts to a team member) are
    entries of their own.  A row whose phone was forgotten (an anonymous
    report, STOP) joins the inbound row written just before it, else stands
    alone."""
    keys: dict[int, str] = {}
    by_id = {}
    #: (channel, phone hash) -> (key, last time, the phone wrote in it)
    open_: dict[tuple[str, str], tuple[str, Any, bool]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        by_id[row.id] = row
        key = None
        ussd = row.channel == "ussd"
        gap = ussd_gap if ussd else message_gap
        current = open_.get((row.channel, row.phone_hash)) if row.phone_hash else None
        if ussd and row.direction == "in" and row.provider_message_id:
            key = f"ussd:{row.provider}:{row.provider_message_id}"
        elif current is not None and _seconds(row.created_at, current[1]) <= gap and (
                ussd or row.direction == "in" or current[2]):
            key = current[0]
        if key is None:
            before = by_id.get(row.id - 1)
            if (row.direction == "out" and before is not None and before.direction == "in"
                    and before.channel == row.channel and before.id in keys
                    and _seconds(row.created_at, before.created_at) <= gap):
                key = keys[before.id]
            else:
                key = f"{row.channel}:{row.id}"
        keys[row.id] = key
        if row.phone_hash:
            wrote = row.direction == "in" or (current is not None and current[0] == key
                                              and current[2])
            open_[(row.channel, row.phone_hash)] = (key, row.created_at, wrote)
    return keys


def _seconds(later, earlier) -> float:
    if later is None or earlier is None:
        return 0.0
    if (later.tzinfo is None) != (earlier.tzinfo is None):  # SQLite drops the zone
        later, earlier = later.replace(tzinfo=None), earlier.replace(tzinfo=None)
    return abs((later - earlier).total_seconds())
