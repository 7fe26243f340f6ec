"""A USSD dialogue through the Flask test client against real Redis ends with a
stored report and a queued routing job."""

from __future__ import annotations

import json

from sqlalchemy import select

from gateway.core import keys
from gateway.store.models import Message, Report
from tests.helpers import land_ledger

PHONE = "+254739495441"
# Kiswahili, terrorism, Turkana, Turkana North, happening now, description, contact yes, send
INPUTS = ["2", "1", "1", "1", "1", "Watu * wenye silaha karibu na kisima", "1", "1"]


def post_ussd(client, text, session_id="ATUid_7c898d72eb11f723ed8ea05ef232f279", phone=PHONE):
    return client.post(
        "/webhooks/africastalking/ussd",
        data={
            "sessionId": session_id,
            "phoneNumber": phone,
            "networkCode": "99999",
            "serviceCode": "*384*44135#",
            "text": text,
        },
    )


def walk(client, inputs, session_id="ATUid_7c898d72eb11f723ed8ea05ef232f279", phone=PHONE):
    """Post the inputs as Africa's Talking does: cumulative text joined with '*'."""
    screens = [post_ussd(client, "", session_id, phone)]
    text = ""
    for value in inputs:
        text = value if not text else f"{text}*{value}"
        screens.append(post_ussd(client, text, session_id, phone))
    return screens


def test_ussd_dialogue_stores_report_and_queues_routing(client, svc):
    """Walking the default script in Kiswahili stores one report and queues its routing."""
    screens = walk(client, INPUTS)
    assert all(r.status_code == 200 for r in screens)
    assert all(r.mimetype == "text/plain" for r in screens)
    assert all(r.text.startswith("CON ") for r in screens[:-1])
    last = screens[-1].text
    assert last.startswith("END ")
    with svc.db() as db:
        report = db.scalar(select(Report))
    assert report.reference in last
    assert "999" in last and "112" in last
    assert (report.category, report.county, report.sub_county) == ("terrorism", "turkana", "turkana_north")
    assert report.language == "swa"
    assert report.severity == "high"
    assert report.description == "Watu * wenye silaha karibu na kisima"
    assert report.contact_allowed is True
    job_ids = svc.queue("alerts").job_ids
    assert f"route-{report.id}" in job_ids


def test_free_text_with_star_survives(client, svc):
    """A '*' typed in the description is kept, not taken as a separator."""
    walk(client, INPUTS[:5] + ["a*b**c"] + INPUTS[6:])
    with svc.db() as db:
        assert db.scalar(select(Report.description)) == "a*b**c"


def test_reporter_number_is_encrypted_and_redis_holds_no_number(client, svc, redis_conn):
    """The number is stored encrypted on the report; no Redis key or value holds it."""
    screens = walk(client, INPUTS[:4])
    assert screens[-1].text.startswith("CON ")
    for key in redis_conn.keys("*"):
        assert PHONE.encode() not in key
        if redis_conn.type(key) == b"string":
            assert PHONE.encode() not in redis_conn.get(key)
    other = "+254711000111"
    walk(client, INPUTS, session_id="ATUid_second", phone=other)
    with svc.db() as db:
        report = db.scalar(select(Report))
        assert report.reporter_phone != other
        assert svc.protector.decrypt(report.reporter_phone) == other


def test_anonymous_report_keeps_no_number(client, svc):
    """A reporter who chose to stay anonymous has no number or hash on the report."""
    walk(client, INPUTS[:6] + ["2", "1"])
    with svc.db() as db:
        report = db.scalar(select(Report))
    assert report.contact_allowed is False
    assert report.reporter_phone is None and report.reporter_hash is None


def test_repeated_request_gets_the_same_screen(client):
    """The same cumulative text twice (a network retry) answers the same screen, not an error."""
    post_ussd(client, "")
    first = post_ussd(client, "2")
    again = post_ussd(client, "2")
    assert first.text == again.text


def test_extended_dial_string_prefills_inputs(client):
    """A first request with text '2*1' (dialled *384*44135*2*1#) lands on the county question."""
    response = post_ussd(client, "2*1")
    assert response.text.startswith("CON ")
    assert "Kaunti gani?" in response.text


def test_dropped_session_offers_resume(client, svc):
    """A new USSD session from the same number within the window offers to continue."""
    walk(client, INPUTS[:4], session_id="ATUid_first")
    response = post_ussd(client, "", session_id="ATUid_second")
    assert response.text.startswith("CON ")
    with svc.db() as db:
        assert db.scalar(select(Report)) is None
    # Continue: the next question is the one the reporter had reached.
    resumed = post_ussd(client, "1", session_id="ATUid_second")
    assert "Lini?" in resumed.text


def test_every_request_is_in_the_ledger(client, svc):
    """Each USSD request and each screen are ledger rows, with the number encrypted."""
    walk(client, INPUTS[:2])
    land_ledger(svc)
    with svc.db() as db:
        rows = db.scalars(select(Message).order_by(Message.id)).all()
    assert [r.direction for r in rows] == ["in", "out"] * 3
    assert all(PHONE not in (r.sender or "") + (r.recipient or "") for r in rows)


def test_session_state_round_trips_through_json(client, svc, redis_conn):
    """The stored session is plain JSON well under 1 KB."""
    walk(client, INPUTS[:5])
    raw = redis_conn.get(keys.session("ussd", keys.live_conversation(
        "ATUid_7c898d72eb11f723ed8ea05ef232f279", svc.protector.phone_hash(PHONE))))
    state = json.loads(raw)
    assert len(raw) < 1024
    assert "session" in state


def test_ussd_status_check_menu(client, svc):
    """'Check a report' on USSD (the first screen's last option) answers the report's
    stage for a typed reference."""
    walk(client, INPUTS)
    with svc.db() as db:
        reference = db.scalar(select(Report.reference))
    screens = walk(client, ["6", reference.lower()], session_id="ATUid_status",
                   phone="+254722000999")
    assert screens[-1].text == f"END Report {reference}: received."
    with svc.db() as db:
        assert len(db.scalars(select(Report)).all()) == 1


def test_replayed_final_request_gets_the_same_end_and_no_new_report(client, svc):
    """A provider retry of an ended session's last request (same sessionId and text)
    answers the same END and stores, routes and counts nothing again."""
    screens = walk(client, INPUTS)
    final = "*".join(INPUTS)
    for _ in range(3):
        again = post_ussd(client, final)
        assert again.status_code == 200 and again.text == screens[-1].text
    with svc.db() as db:
        assert len(db.scalars(select(Report)).all()) == 1
    assert len([j for j in svc.queue("alerts").job_ids if j.startswith("route-")]) == 1


def test_new_session_with_a_full_walk_is_a_fresh_dial(client, svc):
    """A new sessionId whose text already holds a whole walk (free text included)
    is not replayed into a report: it is a fresh dial, the first screen."""
    response = post_ussd(client, "*".join(INPUTS), session_id="ATUid_replayed_walk")
    assert response.text.startswith("CON ") and "1. English" in response.text
    with svc.db() as db:
        assert db.scalars(select(Report)).all() == []


def test_dial_string_digits_stop_at_the_first_question_that_is_no_menu(client, svc):
    """An extended dial string of digits chooses from menus only: it never writes a
    description, confirms or sends, however long it is."""
    digits = "*".join(["2", "1", "1", "1", "1", "1", "1", "1", "1"])
    response = post_ussd(client, digits, session_id="ATUid_long_dial")
    assert response.text.startswith("CON ")
    with svc.db() as db:
        assert db.scalars(select(Report)).all() == []


def test_a_session_id_sent_by_another_phone_is_a_fresh_session(client, svc):
    """Another number sending a live session's id (and its inputs) gets a
    session of its own: the first caller's answers are neither shown to it
    nor sent with it, and the first caller goes on where they were."""
    other = "+254722000111"
    walk(client, INPUTS[:7])  # up to the confirm screen, in Kiswahili
    taken = "*".join(INPUTS[:8])
    screen = post_ussd(client, taken, phone=other).text
    assert "Watu" not in screen and "Tuma" not in screen
    with svc.db() as db:
        assert db.scalars(select(Report)).all() == []
    first = post_ussd(client, taken).text
    assert first.startswith("END")
    with svc.db() as db:
        [report] = db.scalars(select(Report)).all()
    assert report.description.startswith("Watu")


def test_a_dropped_session_is_counted_at_its_step_by_the_end_event(client, svc):
    """AT's end-of-session event (with the phone) finds the session it ends,
    tied to that phone, and counts the abandonment at its step."""
    walk(client, INPUTS[:2])  # at the county menu
    response = client.post("/webhooks/africastalking/ussd/events", data={
        "sessionId": "ATUid_7c898d72eb11f723ed8ea05ef232f279", "phoneNumber": PHONE,
        "status": "Incomplete", "serviceCode": "*384*44135#"})
    assert response.status_code == 200
    assert svc.redis.hget(keys.metric("mpaka_dialogue_abandonments"),
                          "ussd\x1fcounty\x1ftimeout") == b"1"
