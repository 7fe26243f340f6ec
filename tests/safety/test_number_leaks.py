"""A reporter's number goes nowhere but the provider call that needs it.

A consenting reporter's number reaches the team that may call back, inside the
SMS the provider sends; every stored text (alerts, the ledger) and every read
path (API, console, CLI) holds the masked stand-in.  ``forget`` leaves nothing
anywhere, in clear, masked or decryptable to the number, in SQL or in Redis.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

import responses
from sqlalchemy import select

from gateway.core import texts
from gateway.privacy import retention
from gateway.store.models import Base, Report
from tests.api.conftest import add_user, bearer, token_for
from tests.console.conftest import login_as
from tests.gateway.test_intake_ussd import INPUTS, PHONE, walk

AT_URL = "https://api.africastalking.com/version1/messaging"
MEMBERS = ("+254700000101", "+254700000102")


def spellings(phone: str) -> list[str]:
    """The ways a number can be written: E.164, without +, national, subscriber."""
    return [phone, phone[1:], "0" + phone[4:], phone[4:]]


def table_values(svc) -> list[str]:
    """Every value of every row of every table, as text."""
    values = []
    with svc.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                values += [json.dumps(v) if isinstance(v, dict | list) else str(v) for v in row
                           if v is not None]
    return values


def redis_values(svc) -> list[str]:
    """Every key and every stored value in Redis, as text (RQ's own keys included)."""
    r, out = svc.redis, []
    for key in r.scan_iter(count=1000):
        out.append(key.decode(errors="replace"))
        kind = r.type(key).decode()
        if kind == "string":
            out.append(r.get(key).decode(errors="replace"))
        elif kind == "hash":
            out += [f"{k.decode(errors='replace')}={v.decode(errors='replace')}"
                    for k, v in r.hgetall(key).items()]
        elif kind in ("list",):
            out += [v.decode(errors="replace") for v in r.lrange(key, 0, -1)]
        elif kind in ("set",):
            out += [v.decode(errors="replace") for v in r.smembers(key)]
        elif kind == "zset":
            out += [v.decode(errors="replace") for v in r.zrange(key, 0, -1)]
    return out


def leaks(values: list[str], phone: str, protector) -> list[str]:
    found = [v for v in values if any(s in v for s in spellings(phone))]
    found += [v for v in values if v.startswith("gAAAA") and protector.decrypt(v) == phone]
    return found


def consenting_report(client, svc, run_worker) -> tuple[str, list[str]]:
    """Walk a report whose reporter agrees to be called back; route and send it.
    Returns its reference and the SMS bodies handed to Africa's Talking."""
    svc.config.update(SMS_PROVIDER="africastalking", AT_USERNAME="mpaka", AT_API_KEY="k")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(AT_URL, status=201, json={"SMSMessageData": {"Message": "Sent", "Recipients": [
            {"statusCode": 101, "number": n, "cost": "KES 0.8", "status": "Success",
             "messageId": f"ATXid_{n[-3:]}"} for n in MEMBERS]}})
        assert walk(client, INPUTS)[-1].text.startswith("END ")
        run_worker()
        bodies = [unquote_plus(call.request.body) for call in mock.calls]
    with svc.db() as db:
        report = db.scalar(select(Report))
        assert report.contact_allowed
        return report.reference, bodies


def test_the_team_gets_the_number_and_nothing_stores_it(app, client, svc, run_worker, capfd):
    """The SMS to the team names the number; alerts, ledger, API, console and CLI
    show only its masked stand-in."""
    reference, bodies = consenting_report(client, svc, run_worker)
    assert any(PHONE in body for body in bodies), "the team that may call back gets the number"
    values = table_values(svc)
    assert not [v for v in values if any(s in v for s in spellings(PHONE))]
    assert any(texts.contact_placeholder(PHONE) in v for v in values)  # the masked stand-in

    add_user(svc, "turkana-officer")
    officer = token_for(svc, "turkana-officer")
    api = client.get(f"/api/v1/messages?report={reference}", headers=bearer(officer)).text
    admin = login_as(app.test_client(), svc, "admin")
    console = admin.get("/console/admin/messages").text + admin.get(
        f"/console/reports/{reference}").text
    from gateway.cli.main import main

    cli = app.test_cli_runner().invoke(main, ["messages", "list", "--json"]).output
    for where, text in (("API", api), ("console", console), ("CLI", cli)):
        assert not [s for s in spellings(PHONE) if s in text], where


def test_forget_leaves_nothing_in_sql_or_redis(app, client, svc, run_worker):
    """After `forget`, no table and no Redis key or value holds the number: not in
    clear, not masked, not encrypted, not as its keyed hash."""
    consenting_report(client, svc, run_worker)
    walk(client, INPUTS[:3], session_id="ATUid_unfinished")  # an unfinished dialogue too
    retention.forget(svc, PHONE, actor="test")
    values = table_values(svc) + redis_values(svc)
    assert not leaks(values, PHONE, svc.protector)
    assert not [v for v in values if texts.contact_placeholder(PHONE) in v]
    assert not [v for v in values if svc.protector.phone_hash(PHONE) in v]


def test_retention_strips_alert_texts_with_the_report(app, client, svc, run_worker, clock):
    """Past the retention period the alerts composed from a report lose their text
    (its description, its masked number) with it."""
    consenting_report(client, svc, run_worker)
    clock.advance(days=svc.config["RETENTION_DAYS"] + 1)
    retention.purge_expired(svc)
    values = table_values(svc)
    assert not leaks(values, PHONE, svc.protector)
    assert not [v for v in values if texts.contact_placeholder(PHONE) in v]
    assert not [v for v in values if INPUTS[5] in v]


def test_logs_name_no_number_through_consent_anonymity_forget_and_retention(
        app, client, svc, run_worker, clock, capfd):
    """At DEBUG, a consenting report, an anonymous one, `forget` and the retention job
    log no spelling of the reporter's number and no description."""
    import logging

    from gateway.ops import logs

    logs.configure("json", "DEBUG")
    try:
        consenting_report(client, svc, run_worker)
        anonymous = [*INPUTS[:6], "2", "1"]
        walk(client, anonymous, session_id="ATUid_anonymous_leak", phone="+254722333444")
        run_worker()
        retention.forget(svc, PHONE, actor="test")
        clock.advance(days=svc.config["RETENTION_DAYS"] + 1)
        retention.purge_expired(svc)
        output = capfd.readouterr()
    finally:
        logs.configure("json", "INFO")
        logging.getLogger().setLevel(logging.WARNING)
    text = output.out + output.err
    assert "job done" in text  # the logs were captured
    for phone in (PHONE, "+254722333444"):
        assert not [s for s in spellings(phone) if s in text], phone
    assert INPUTS[5] not in text


def test_officers_read_the_ledger_without_any_number(app, client, svc, run_worker):
    """Through the API an officer sees what was sent and when, never a number:
    not the reporter's, not even masked, in a field or inside an alert text."""
    reference, _ = consenting_report(client, svc, run_worker)
    add_user(svc, "turkana-officer")
    rows = client.get(f"/api/v1/messages?report={reference}",
                      headers=bearer(token_for(svc, "turkana-officer"))).get_json()["data"]
    assert rows
    text = json.dumps(rows)
    assert texts.contact_placeholder(PHONE) not in text
    assert not [s for s in spellings(PHONE) if s in text]
    assert "+254 7" not in text and all(r["to"] is None or not r["to"].startswith("+") for r in rows)
