"""SMS and WhatsApp dialogues through the webhooks: a first free-text message,
keywords, resuming a USSD unfinished on WhatsApp, quick exit."""

from __future__ import annotations

import itertools
import re

from sqlalchemy import select

from gateway.core import keys
from gateway.store.models import Report
from tests.gateway.test_intake_ussd import INPUTS, PHONE, walk

_sids = itertools.count(1)


def send(client, body, phone=PHONE, whatsapp=False):
    prefix = "whatsapp:" if whatsapp else ""
    response = client.post("/webhooks/twilio/messages", data={
        "MessageSid": f"SM{next(_sids):032d}", "From": prefix + phone, "To": prefix + "+15005550006",
        "Body": body})
    assert response.status_code == 200
    match = re.search(r"<Message>(.*)</Message>", response.text, re.S)
    return match.group(1) if match else ""


def test_first_free_text_is_offered_as_description(client, svc):
    """'Armed men at the well' as a first SMS becomes the description without retyping."""
    replies = [send(client, text) for text in
               ["Armed men at the well", "1", "5", "1", "1", "1", "1", "1", "1"]]
    assert any("You sent a message before" in r for r in replies)
    assert not any("Armed men" in r for r in replies)  # never echoed into the inbox
    with svc.db() as db:
        report = db.scalar(select(Report))
    assert report.description == "Armed men at the well"
    assert report.channel == "sms"
    assert report.reference in replies[-1]


def test_ripoti_keyword_starts_in_kiswahili(client):
    """RIPOTI (any case, with punctuation) starts the report in Kiswahili."""
    assert "Nini kinatokea?" in send(client, "  ripoti! ")


def test_help_and_stop(client, svc, redis_conn):
    """HELP explains; STOP discards the unfinished."""
    assert "REPORT" in send(client, "HELP")
    send(client, "REPORT")
    send(client, "1")
    phone_hash = svc.protector.phone_hash(PHONE)
    assert redis_conn.exists(keys.unfinished(phone_hash))
    assert "deleted" in send(client, "STOP")
    assert not redis_conn.exists(keys.unfinished(phone_hash))


def test_ussd_draft_is_finished_on_whatsapp(client, svc):
    """A dialogue dropped on USSD is offered on WhatsApp and completes with the same reference."""
    walk(client, INPUTS[:5])  # Kiswahili, up to "when"
    offer = send(client, "Habari", whatsapp=True)
    assert "Hukumaliza" in offer
    replies = [send(client, text, whatsapp=True) for text in ["1", "Watu wenye silaha", "2", "1"]]
    with svc.db() as db:
        report = db.scalar(select(Report))
    assert report.channel == "whatsapp"
    assert report.description == "Watu wenye silaha"
    assert report.reference in replies[-1]


def test_quick_exit_deletes_draft(client, svc, redis_conn):
    """99 ends at once with a neutral message and leaves no unfinished."""
    send(client, "REPORT")
    send(client, "1")
    reply = send(client, "99")
    assert "report" not in reply.lower()
    phone_hash = svc.protector.phone_hash(PHONE)
    assert not redis_conn.exists(keys.unfinished(phone_hash))
    assert not redis_conn.exists(keys.session("sms", phone_hash))
