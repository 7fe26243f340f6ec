"""Anonymity holds in the ledger: when a dialogue ends as an anonymous report,
or is abandoned with STOP, 99 or Cancel, its ledger rows no longer lead to the
phone (no number, no hash, no report beside a number); what STOP promises
deleted is deleted."""

from __future__ import annotations

import responses
from sqlalchemy import select

from gateway.store.models import Message, Report
from handlers.phones import mask_phone
from tests.api.conftest import add_user, bearer, token_for
from tests.console.conftest import login_as
from tests.gateway.test_intake_messages import send
from tests.gateway.test_intake_ussd import INPUTS, PHONE, post_ussd, walk
from tests.helpers import land_ledger

ANONYMOUS = [*INPUTS[:6], "2", "1"]  # ... description, "No, stay anonymous", send
AT_URL = "https://api.africastalking.com/version1/messaging"


def rows(svc) -> list[Message]:
    land_ledger(svc)
    with svc.db() as db:
        return db.scalars(select(Message).order_by(Message.id)).all()


def linked(svc, row: Message) -> bool:
    """Whether the row leads to the reporter's phone (team members' rows do not count)."""
    return row.phone_hash == svc.protector.phone_hash(PHONE) or any(
        n and svc.protector.decrypt(n) == PHONE for n in (row.sender, row.recipient))


def test_anonymous_ussd_report_leaves_no_link_in_the_ledger(svc, client):
    """Every row of an anonymous USSD dialogue, the final "Sent. Reference" included,
    has no number and no hash; the report stores neither."""
    assert walk(client, ANONYMOUS)[-1].text.startswith("END ")
    with svc.db() as db:
        report = db.scalar(select(Report))
    assert report.reporter_phone is None and report.reporter_hash is None
    ledger = rows(svc)
    assert len(ledger) == 2 * (len(ANONYMOUS) + 1)  # counts are kept
    assert not [r for r in ledger if linked(svc, r)]


def test_anonymous_report_shows_no_sender_in_api_console_or_cli(app, svc, client):
    """The API, the console ledger and the CLI show nothing about the sender."""
    walk(client, ANONYMOUS)
    with svc.db() as db:
        reference = db.scalar(select(Report.reference))
    add_user(svc, "turkana-officer")
    api = client.get(f"/api/v1/messages?report={reference}",
                     headers=bearer(token_for(svc, "admin"))).get_json()
    assert all(m["from"] is None or not m["from"].startswith("+") for m in api["data"])
    assert all(m["to"] is None or not m["to"].startswith("+") for m in api["data"])
    masked = mask_phone(PHONE)  # not even the masked number
    page = login_as(app.test_client(), svc, "admin").get("/console/admin/messages").text
    assert masked not in page
    from gateway.cli.main import main

    assert masked not in app.test_cli_runner().invoke(main, ["messages", "list", "--json"]).output


def test_consenting_report_keeps_its_link(svc, client):
    """A reporter who agreed to be called back stays reachable: the rows keep the hash."""
    walk(client, INPUTS)
    assert [r for r in rows(svc) if linked(svc, r)]


def test_anonymous_sms_report_reply_forgets_the_number_once_sent(app, svc, client, run_worker):
    """On AT SMS the last reply is queued: it keeps the number only until the provider
    has it, with no hash and no report beside it, then loses it."""
    app.config.update(SMS_PROVIDER="africastalking", AT_USERNAME="mpaka", AT_API_KEY="k")
    answers = ["RIPOTI", "1", "1", "1", "1", "Watu wenye silaha karibu na kisima", "2", "1"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(AT_URL, status=201, json={"SMSMessageData": {"Message": "Sent", "Recipients": [
            {"statusCode": 101, "number": PHONE, "cost": "KES 0.8", "status": "Success",
             "messageId": "ATXid_r"}]}})
        for i, text in enumerate(answers):
            client.post("/webhooks/africastalking/sms", data={
                "from": PHONE, "to": "28901", "text": text,
                "date": "2025-05-01T08:34:18.445Z", "id": f"ATXid_anon_{i}"})
        pending = [r for r in rows(svc) if r.direction == "out" and r.status == "queued"
                   and r.phone_hash is None]
        assert pending and all(r.report_id is None for r in pending)
        run_worker()
        assert any(PHONE.replace("+", "%2B") in (c.request.body or "") for c in mock.calls)
    assert not [r for r in rows(svc) if linked(svc, r)]


def test_stop_deletes_the_unsent_answers_from_the_ledger(svc, client):
    """STOP says the unsent answers were deleted: the dialogue's inbound rows keep
    no text and no number (the rows themselves remain, as counts)."""
    for text in ["REPORT", "1", "5", "Three men crossing with guns"]:
        send(client, text)
    assert "deleted" in send(client, "STOP")
    inbound = [r for r in rows(svc) if r.direction == "in"]
    assert len(inbound) == 5
    assert all(r.text is None and r.sender is None and r.phone_hash is None for r in inbound)


def test_quick_exit_deletes_the_answers_from_the_ledger(svc, client):
    """99 on USSD: the session's inbound rows lose their text and number."""
    walk(client, INPUTS[:6])
    assert post_ussd(client, "*".join([*INPUTS[:6], "99"])).text.startswith("END ")
    inbound = [r for r in rows(svc) if r.direction == "in"]
    assert inbound and all(r.sender is None and r.phone_hash is None for r in inbound)
    assert not [r for r in inbound if r.text]


def test_a_replayed_final_request_does_not_relink_an_anonymous_report(svc, client):
    """The provider retrying the last USSD request of an anonymous dialogue gets the
    same END; no row with the number, the hash or the walk is written again."""
    walk(client, ANONYMOUS)
    before = len(rows(svc))
    again = post_ussd(client, "*".join(ANONYMOUS))
    assert again.text.startswith("END ")
    assert len(rows(svc)) == before
    assert not [r for r in rows(svc) if linked(svc, r)]


def test_a_replayed_quick_exit_does_not_bring_the_answers_back(svc, client):
    """99 erased the answers; a replay of that request must not write them again."""
    walk(client, INPUTS[:6])
    post_ussd(client, "*".join([*INPUTS[:6], "99"]))
    post_ussd(client, "*".join([*INPUTS[:6], "99"]))
    assert not [r for r in rows(svc) if r.direction == "in" and r.text]
    assert not [r for r in rows(svc) if linked(svc, r)]


def test_status_checks_are_never_linked_to_the_phone(svc, client):
    """An anonymous reporter checking their report by SMS or by the USSD menu leaves
    no row that ties the reference to their number."""
    walk(client, ANONYMOUS)
    with svc.db() as db:
        reference = db.scalar(select(Report.reference))
    assert reference in send(client, f"STATUS {reference}")
    # The phone's language (Kiswahili) is remembered: the first screen is the category menu.
    assert "Nini kinatokea?" in post_ussd(client, "", session_id="ATUid_check").text
    post_ussd(client, "0", session_id="ATUid_check")  # 0: the first screen, with "Check a report"
    post_ussd(client, "0*6", session_id="ATUid_check")
    menu = post_ussd(client, f"0*6*{reference}", session_id="ATUid_check")
    assert reference in menu.text
    assert not [r for r in rows(svc) if linked(svc, r)]


def test_redis_keeps_no_precise_time_beside_the_phones_hash(svc, client):
    """The per-sender limits keep the minute of a report and the ten-second slot of a
    message, never a time precise enough to match an anonymous report's creation."""
    from gateway.core import keys, ratelimit

    walk(client, ANONYMOUS)
    phone_hash = svc.protector.phone_hash(PHONE)
    reports = svc.redis.zrange(keys.rate(ratelimit.REPORTS, phone_hash), 0, -1, withscores=True)
    inbound = svc.redis.zrange(keys.rate(ratelimit.INBOUND, phone_hash), 0, -1, withscores=True)
    assert reports and all(score % 60 == 0 for _m, score in reports)
    assert inbound and all(score % 10 == 0 for _m, score in inbound)
    assert all(b"." not in member for member, _s in reports + inbound)


def test_status_checks_silenced_or_limited_are_not_linked_either(app, svc, client):
    """STATUS repeated until the loop guard silences it, and a USSD "Check a report"
    walk cut off by the flood limit, leave no row tied to the phone."""
    walk(client, ANONYMOUS)
    with svc.db() as db:
        reference = db.scalar(select(Report.reference))
    for _ in range(6):
        send(client, f"STATUS {reference}")
    app.config["INBOUND_PER_10_MINUTES"] = 1
    for text in ("", "0", "0*6", f"0*6*{reference}"):  # the language is remembered
        post_ussd(client, text, session_id="ATUid_limited_check")
    assert not [r for r in rows(svc) if linked(svc, r)]


def test_a_last_reply_that_is_given_up_on_forgets_the_number(app, svc, client, run_worker):
    """When the provider keeps failing and the outbox gives up on an anonymous
    reporter's last reply, the row loses the number all the same."""
    app.config.update(SMS_PROVIDER="africastalking", AT_USERNAME="mpaka", AT_API_KEY="k",
                      DELIVERY_MAX_ATTEMPTS=1)
    answers = ["RIPOTI", "1", "1", "1", "1", "Watu wenye silaha karibu na kisima", "2", "1"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(AT_URL, status=500, body="gateway error")
        for i, text in enumerate(answers):
            client.post("/webhooks/africastalking/sms", data={
                "from": PHONE, "to": "28901", "text": text,
                "date": "2025-05-01T08:34:18.445Z", "id": f"ATXid_fail_{i}"})
        run_worker()
    assert [r for r in rows(svc) if r.status == "failed" and r.direction == "out"]
    assert not [r for r in rows(svc) if linked(svc, r)]


def test_quick_exit_on_the_resume_screen_erases_the_unfinished_dialogues_rows(svc, client):
    """99 on "You did not finish last time": the dropped session's rows,
    its description included, lose their text and number too."""
    walk(client, INPUTS[:6], session_id="ATUid_dropped")
    assert post_ussd(client, "", session_id="ATUid_offer").text.startswith("CON ")
    assert post_ussd(client, "99", session_id="ATUid_offer").text.startswith("END ")
    inbound = [r for r in rows(svc) if r.direction == "in"]
    assert len(inbound) == 9
    assert not [r for r in inbound if r.text or r.phone_hash or r.sender]
