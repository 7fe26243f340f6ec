"""The message ledger in the console: one entry per dialogue (a USSD
session's screens together, an SMS exchange with one phone), its messages
behind a toggle, numbers masked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gateway.store import ledger
from gateway.store.models import Message, Report
from tests.helpers import land_ledger

from .conftest import make_report

PHONE = "+254739495441"


def ussd(client, session_id, text, phone=PHONE):
    return client.post("/webhooks/africastalking/ussd", data={
        "sessionId": session_id, "phoneNumber": phone, "networkCode": "99999",
        "serviceCode": "*384*44135#", "text": text}).text


def entries(page: str) -> list[str]:
    return re.findall(r'<li class="dialogue.*?</details>\n</li>', page, re.S)


def test_a_ussd_session_is_one_entry_with_every_screen_inside(admin_client, client, svc):
    """Three turns of one USSD session (three inputs, three screens) make one
    entry of six messages, the screens behind its details toggle."""
    for text in ("", "1", "1*1"):
        ussd(client, "ATUid_one", text)
    land_ledger(svc)
    page = admin_client.get("/console/admin/messages").text
    found = entries(page)
    assert len(found) == 1
    assert "6 messages (3 in, 3 out)" in found[0]
    assert "<details>" in found[0] and found[0].count('<span class="text">') == 6
    assert "1 dialogue, 6 messages" in page


def test_two_sessions_of_one_phone_are_two_entries(admin_client, client, svc):
    """A second USSD session from the same phone is a dialogue of its own."""
    ussd(client, "ATUid_first", "")
    ussd(client, "ATUid_second", "")
    land_ledger(svc)
    found = entries(admin_client.get("/console/admin/messages").text)
    assert len(found) == 2 and all("2 messages (1 in, 1 out)" in e for e in found)


def test_the_ledger_never_shows_a_reporters_number(admin_client, client, svc):
    """A dialogue's entry names the phone masked; the number in full appears nowhere."""
    ussd(client, "ATUid_mask", "")
    land_ledger(svc)
    page = admin_client.get("/console/admin/messages").text
    assert "+254 7•• ••• 441" in page
    assert PHONE not in page and PHONE[1:] not in page


def test_numbers_typed_in_a_message_are_masked_in_the_ledger(admin_client, svc):
    """A number a reporter typed (and the alert that quoted it) shows as [phone]."""
    add_sms(svc, 0, "in", text="Gunmen at Loima, call me on 0722 333 011")
    add_sms(svc, 1, "out", text="Seen: Gunmen at Loima, call me on 0722 333 011")
    page = admin_client.get("/console/admin/messages").text
    assert "0722 333 011" not in page
    assert page.count("call me on [phone]") >= 2


def add_sms(svc, minutes, direction, text="Asante"):
    """An SMS to or from PHONE at 08:00 UTC plus ``minutes``."""
    protector = svc.protector
    with svc.db() as db:
        if direction == "out":
            row = ledger.outbound(channel="sms", provider="console", to=PHONE, text=text,
                                  status="sent", protector=protector)
        else:
            row = Message(direction="in", channel="sms", provider="console",
                          sender=protector.encrypt(PHONE), recipient="44135",
                          phone_hash=protector.phone_hash(PHONE), text=text,
                          status="received")
        row.created_at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC) + timedelta(minutes=minutes)
        db.add(row)
        db.commit()


def test_sms_after_a_long_pause_is_a_new_dialogue(admin_client, svc):
    """An SMS exchange with one phone is one entry while the session would
    live (30 min between messages); after a longer pause a new one starts."""
    for minutes, direction in ((0, "in"), (1, "out"), (10, "in"), (11, "out"), (120, "in")):
        add_sms(svc, minutes, direction)
    found = entries(admin_client.get("/console/admin/messages").text)
    assert [e.count('<span class="text">') for e in found] == [1, 4]


def test_messages_only_sent_to_a_phone_are_entries_of_their_own(admin_client, svc):
    """Alerts sent to a team member minutes apart, who never wrote, are not
    one dialogue: each is an entry."""
    for minutes in (0, 5, 10):
        add_sms(svc, minutes, "out", text=f"ALERT {minutes}")
    found = entries(admin_client.get("/console/admin/messages").text)
    assert len(found) == 3 and all("1 message (0 in, 1 out)" in e for e in found)


def test_filtering_by_report_reference_shows_its_messages_linked(admin_client, svc):
    """The reference filter keeps the messages of that report; the entry links to it."""
    reference = make_report(svc, route=True)
    add_sms(svc, 0, "out", text="Unrelated")
    with svc.db() as db:
        report_id = db.scalar(select(Report.id).where(Report.reference == reference))
        db.add(ledger.outbound(channel="sms", provider="console", to=PHONE, text="Received",
                               status="sent", protector=svc.protector, report_id=report_id))
        db.commit()
    page = admin_client.get(f"/console/admin/messages?reference={reference}").text
    found = entries(page)
    assert found and all(f'/console/reports/{reference}"' in e for e in found)
    assert "Unrelated" not in page


def older_link(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">Older</a>', page)
    return found.group(1).replace("&amp;", "&") if found else None


def newer_link(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="prev">Newer</a>', page)
    return found.group(1).replace("&amp;", "&") if found else None


def add_alerts(svc, count: int, start: int = 0) -> None:
    """``count`` alerts to distinct team phones: an entry each, "ALERT 00"... oldest first."""
    with svc.db() as db:
        for n in range(start, start + count):
            db.add(ledger.outbound(channel="sms", provider="console", to=f"+2547110000{n:02d}",
                                   text=f"ALERT {n:02d}", status="sent", protector=svc.protector))
            db.flush()
        db.commit()


def alerts_on(page: str) -> list[str]:
    return re.findall(r"ALERT \d\d", "".join(re.findall(r'<span class="text">[^<]*</span>', page)))


def test_the_ledger_pages_by_older_links_showing_each_dialogue_once(admin_client, svc):
    """60 dialogues: 25, 25 and 10 newest first through "Older" links, each once;
    the first page has no "Newer" link, the last no "Older" one."""
    add_alerts(svc, 60)
    seen, url, pages = [], "/console/admin/messages", []
    while url:
        page = admin_client.get(url).text
        pages.append(page)
        seen.extend(alerts_on(page))
        url = older_link(page)
    assert [len(alerts_on(p)) for p in pages] == [25, 25, 10]
    assert seen == [f"ALERT {n:02d}" for n in range(59, -1, -1)]
    assert newer_link(pages[0]) is None and older_link(pages[-1]) is None
    assert "before=" in older_link(pages[0]) and "page=" not in older_link(pages[0])


def test_the_newer_link_leads_back_to_the_same_dialogues(admin_client, svc):
    add_alerts(svc, 60)
    first = admin_client.get("/console/admin/messages").text
    second = admin_client.get(older_link(first)).text
    third = admin_client.get(older_link(second)).text
    assert alerts_on(admin_client.get(newer_link(third)).text) == alerts_on(second)
    assert alerts_on(admin_client.get(newer_link(second)).text) == alerts_on(first)


def test_the_ledger_pages_keep_the_filters(admin_client, svc):
    """The "Older" link carries the filters; the next page holds only matching rows."""
    add_alerts(svc, 30)
    add_sms(svc, 0, "in", text="Inbound words")
    page = admin_client.get("/console/admin/messages?direction=out").text
    link = older_link(page)
    assert "direction=out" in link
    assert "Inbound words" not in admin_client.get(link).text


def test_a_dialogue_across_a_page_edge_shows_once_and_whole(admin_client, svc):
    """A USSD session whose screens straddle the edge of a page (another
    dialogue between its rows) is on the page of its newest row, whole, and
    its older row does not show again on the next page."""
    protector = svc.protector

    def session_row(text):
        return Message(direction="in", channel="ussd", provider="africastalking",
                       provider_message_id="ATUid_edge", sender=protector.encrypt(PHONE),
                       recipient="*384#", phone_hash=protector.phone_hash(PHONE), text=text,
                       status="received")
    with svc.db() as db:
        db.add(session_row("first input"))
        db.flush()
        db.add(ledger.outbound(channel="sms", provider="console", to="+254711999000",
                               text="ALERT between", status="sent", protector=protector))
        db.flush()
        db.add(session_row("second input"))
        db.commit()
    add_alerts(svc, 24)  # with the session: the first page's 25 dialogues
    first = admin_client.get("/console/admin/messages").text
    session = [e for e in entries(first) if "second input" in e]
    assert len(session) == 1 and "first input" in session[0]
    second = admin_client.get(older_link(first)).text
    assert "ALERT between" in second
    assert "first input" not in second and len(entries(second)) == 1


def test_an_unknown_reference_shows_no_messages(admin_client, svc):
    add_alerts(svc, 3)
    page = admin_client.get("/console/admin/messages?reference=R-ZZZZZZ").text
    assert entries(page) == [] and "No messages." in page
