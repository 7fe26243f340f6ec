"""The language a phone chose is remembered for its next dialogue, for as long as
numbers are kept, and erased with them."""

from __future__ import annotations

from gateway.core import keys
from gateway.privacy import retention
from tests.gateway.test_intake_messages import send
from tests.gateway.test_intake_ussd import INPUTS, PHONE, post_ussd, walk


def test_the_next_dial_is_in_the_language_of_the_last_report(svc, client):
    """After a Kiswahili report, a new USSD dial opens on the first question in
    Kiswahili, and says how to change the language."""
    assert walk(client, INPUTS)[-1].text.startswith("END ")
    screen = post_ussd(client, "", session_id="ATUid_next").text
    assert screen.startswith("CON Nini kinatokea?") and screen.endswith("0. Badilisha lugha")
    assert post_ussd(client, "0", session_id="ATUid_next").text.startswith("CON Mpaka\nLanguage")


def test_the_language_is_remembered_on_every_channel(svc, client):
    """A language chosen on USSD is used when the same phone writes by SMS."""
    walk(client, INPUTS, session_id="ATUid_lang")
    reply = send(client, "hello", phone=PHONE)
    assert "Nini kinatokea?" in reply


def test_the_remembered_language_expires_with_the_retention_period(svc, client):
    """The key holds only the language code and expires at a midnight (UTC) after
    RETENTION_DAYS: its expiry tells no time of day."""
    walk(client, INPUTS[:1])
    key = keys.language(svc.protector.phone_hash(PHONE))
    assert svc.redis.get(key) in (b"swa", "swa")
    expires = svc.redis.expiretime(key)
    assert expires % 86400 == 0
    days = svc.config["RETENTION_DAYS"]
    assert days * 86400 < expires - svc.clock.time() <= (days + 1) * 86400


def test_storing_a_report_does_not_touch_the_remembered_language(svc, client):
    """The key is written when the language is chosen, not when the (perhaps
    anonymous) report is stored, so nothing of it dates the report."""
    walk(client, INPUTS[:1])
    key = keys.language(svc.protector.phone_hash(PHONE))
    svc.redis.set(key, "swa", exat=svc.redis.expiretime(key) + 86400)  # a marker expiry
    marked = svc.redis.expiretime(key)
    for count in range(2, len(INPUTS) + 1):  # the same session on to the end: a report
        reply = post_ussd(client, "*".join(INPUTS[:count])).text
    assert reply.startswith("END ") and svc.redis.expiretime(key) == marked


def test_forget_erases_the_remembered_language(svc, client):
    """After `mpaka reporter forget`, the phone is asked its language again."""
    walk(client, INPUTS)
    retention.forget(svc, PHONE, actor="test")
    assert post_ussd(client, "", session_id="ATUid_after").text.startswith("CON Mpaka\nLanguage")
