"""Logs never contain a full phone number, a report description or a secret:
the logs of a full dialogue, routing, delivery and acknowledgement are
captured at DEBUG level and checked."""

from __future__ import annotations

import logging

import responses
from sqlalchemy import select

from gateway.ops import logs
from gateway.store.models import Report
from tests.gateway.test_intake_ussd import PHONE

AT_URL = "https://api.africastalking.com/version1/messaging"
DESCRIPTION = "Watu kumi wenye bunduki karibu na kisima cha Lokichoggio"
SECRETS = {"AT_API_KEY": "at-key-4f9d2c1b", "TWILIO_AUTH_TOKEN": "tw-token-8e7a6b5c",
           "AT_WEBHOOK_SECRET": "at-hook-3c2b1a09"}
MEMBERS = ("+254700000101", "+254700000102")


def national(number: str) -> str:
    return "0" + number[4:]


def test_full_flow_logs_no_number_description_or_secret(app, client, svc, run_worker, capfd):
    """A whole report's life at DEBUG: no number (any format), no description, no secret."""
    app.config.update(SMS_PROVIDER="africastalking", AT_USERNAME="mpaka", **SECRETS)
    logs.configure("json", "DEBUG")
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
            mock.post(AT_URL, status=201, json={"SMSMessageData": {"Message": "Sent", "Recipients": [
                {"statusCode": 101, "number": n, "cost": "KES 0.8", "status": "Success",
                 "messageId": f"ATXid_{n[-3:]}"} for n in MEMBERS]}})
            secret = "?secret=" + SECRETS["AT_WEBHOOK_SECRET"]
            inputs = ["2", "1", "1", "1", "1", DESCRIPTION, "1", "1"]
            screens = [client.post("/webhooks/africastalking/ussd" + secret, data={
                "sessionId": "ATUid_leak", "phoneNumber": PHONE, "networkCode": "63902",
                "serviceCode": "*384*44135#", "text": "*".join(inputs[:i])}) for i in range(len(inputs) + 1)]
            assert screens[-1].text.startswith("END ")
            run_worker()
            with svc.db() as db:
                reference = db.scalar(select(Report.reference))
            client.post("/webhooks/africastalking/delivery" + secret, data={
                "id": "ATXid_101", "status": "Success", "phoneNumber": MEMBERS[0]})
            client.post("/webhooks/africastalking/sms" + secret, data={
                "from": MEMBERS[0], "to": "28901", "text": f"ACK {reference}",
                "date": "2026-01-01 10:00:00", "id": "ATXid_ack"})
            with responses.RequestsMock() as replies:  # the ACK reply goes out by SMS too
                replies.post(AT_URL, status=201, json={"SMSMessageData": {"Message": "Sent", "Recipients": [
                    {"statusCode": 101, "number": MEMBERS[0], "cost": "KES 0.8", "status": "Success",
                     "messageId": "ATXid_r"}]}})
                run_worker()
        captured = capfd.readouterr()
    finally:
        logs.configure("json", "INFO")
        logging.getLogger().setLevel(logging.WARNING)
    output = captured.out + captured.err
    assert "report routed" in output or "job done" in output  # the logs were captured
    forbidden = [PHONE, PHONE[1:], national(PHONE), *MEMBERS, *(national(m) for m in MEMBERS),
                 DESCRIPTION, DESCRIPTION[:20], *SECRETS.values()]
    for value in forbidden:
        assert value not in output, f"log output contains {value[:6]}..."
