"""Delivery callbacks for both providers; ACK from a member, from a stranger,
for an unknown reference, twice; STATUS checks."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from gateway.routing import dispatch as routing
from gateway.store.models import Alert, Message, Report
from tests.routing.conftest import REPORTER

MEMBER = "+254700000101"
STRANGER = "+254722333444"
_sids = itertools.count(1)


def sms(client, phone, body):
    """A Twilio SMS from ``phone``; returns the reply text (TwiML body)."""
    form = {"MessageSid": f"SM{next(_sids):032d}", "AccountSid": "AC1", "From": phone,
            "To": "+15005550006", "Body": body, "NumMedia": "0"}
    response = client.post("/webhooks/twilio/messages", data=form)
    assert response.status_code == 200
    return response.text


def reference(svc, report_id):
    with svc.db() as db:
        return db.get(Report, report_id).reference


def set_provider_id(svc, message_id, provider, provider_id):
    with svc.db() as db:
        row = db.get(Message, message_id)
        row.provider, row.provider_message_id, row.status = provider, provider_id, "sent"
        db.commit()


@pytest.mark.parametrize(
    ("path", "form", "status", "error"),
    [
        pytest.param("/webhooks/africastalking/delivery",
                     {"id": "ATXid_1", "status": "Success", "phoneNumber": MEMBER, "networkCode": "63902"},
                     "delivered", None, id="AT success"),
        pytest.param("/webhooks/africastalking/delivery",
                     {"id": "ATXid_1", "status": "Failed", "phoneNumber": MEMBER,
                      "failureReason": "UserInBlackList", "retryCount": "0"},
                     "failed", "UserInBlackList", id="AT failed with reason"),
        pytest.param("/webhooks/twilio/status",
                     {"MessageSid": "SM1", "MessageStatus": "delivered", "AccountSid": "AC1"},
                     "delivered", None, id="Twilio delivered"),
        pytest.param("/webhooks/twilio/status",
                     {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"},
                     "failed", "30003", id="Twilio undelivered"),
    ],
)
def test_delivery_callback_updates_ledger(client, svc, make_report, outbound, path, form, status, error):
    """A delivery report moves the message to delivered or failed with the provider's reason."""
    routing.route(svc, make_report())
    first = outbound()[0]
    provider = "africastalking" if "africastalking" in path else "twilio"
    set_provider_id(svc, first.id, provider, "ATXid_1" if provider == "africastalking" else "SM1")
    response = client.post(path, data=form)
    assert response.status_code == 200
    again = client.post(path, data=form)  # callbacks repeat: idempotent
    assert again.status_code == 200
    row = outbound()[0]
    assert row.status == status
    assert (row.error or None) == error


def test_delivery_callback_for_unknown_id_is_200(client):
    """An id we never sent is answered 200 (and logged), so the provider stops retrying."""
    response = client.post("/webhooks/africastalking/delivery", data={"id": "ATXid_unknown", "status": "Success"})
    assert response.status_code == 200


def test_late_sent_callback_does_not_undo_delivered(client, svc, make_report, outbound):
    """Callbacks arrive out of order: 'sent' after 'delivered' leaves it delivered."""
    routing.route(svc, make_report())
    set_provider_id(svc, outbound()[0].id, "twilio", "SM1")
    client.post("/webhooks/twilio/status", data={"MessageSid": "SM1", "MessageStatus": "delivered"})
    client.post("/webhooks/twilio/status", data={"MessageSid": "SM1", "MessageStatus": "sent"})
    assert outbound()[0].status == "delivered"


def test_member_ack_acknowledges_and_stops_escalation(client, svc, make_report, report_of):
    """ACK <reference> from an alerted member acknowledges every pending alert of the report."""
    report_id = make_report()
    routing.route(svc, report_id)
    reply = sms(client, MEMBER, f"ack {reference(svc, report_id).lower()}")
    assert "Acknowledged" in reply
    report = report_of(report_id)
    assert report.status == "acknowledged" and report.acknowledged_at is not None
    assert report.events[-1].kind == "acknowledged"
    assert report.events[-1].detail["by"] == "Turkana officer A"
    with svc.db() as db:
        assert {a.status for a in db.scalars(select(Alert))} == {"acknowledged"}


def test_kiswahili_pokea_works(client, svc, make_report, report_of):
    """POKEA <reference> is the Kiswahili ACK, answered in Kiswahili."""
    report_id = make_report()
    routing.route(svc, report_id)
    reply = sms(client, MEMBER, f"POKEA {reference(svc, report_id)}")
    assert "Asante" in reply
    assert report_of(report_id).acknowledged_at is not None


def test_ack_twice_says_already(client, svc, make_report):
    """A second ACK is answered politely and records who acknowledged again."""
    report_id = make_report()
    routing.route(svc, report_id)
    sms(client, MEMBER, f"ACK {reference(svc, report_id)}")
    reply = sms(client, "+254700000102", f"ACK {reference(svc, report_id)}")
    assert "already acknowledged" in reply


def test_stranger_ack_changes_nothing(client, svc, make_report, report_of):
    """A number that is not an alerted member gets a neutral reply; the report is unchanged."""
    report_id = make_report()
    routing.route(svc, report_id)
    reply = sms(client, STRANGER, f"ACK {reference(svc, report_id)}")
    assert "cannot be acknowledged" in reply
    assert report_of(report_id).acknowledged_at is None


def test_member_of_another_team_cannot_ack(client, svc, make_report, report_of):
    """A Wajir officer cannot acknowledge a Turkana report."""
    report_id = make_report()
    routing.route(svc, report_id)
    sms(client, "+254700000401", f"ACK {reference(svc, report_id)}")
    assert report_of(report_id).acknowledged_at is None


def test_ack_unknown_reference_is_neutral(client):
    """ACK for a reference that does not exist gets the same neutral reply."""
    assert "cannot be acknowledged" in sms(client, MEMBER, "ACK R-ZZZZZZ")


def test_first_ack_tells_consenting_reporter_once(client, svc, make_report, outbound):
    """The reporter who agreed to contact gets one SMS in their language on the first ACK only."""
    report_id = make_report(contact="yes", language="swa")
    routing.route(svc, report_id)
    ref = reference(svc, report_id)
    sms(client, MEMBER, f"ACK {ref}")
    sms(client, "+254700000102", f"ACK {ref}")
    to_reporter = [m for m in outbound(report_id=report_id) if "Ripoti yako" in (m.text or "")]
    assert len(to_reporter) == 1
    assert ref in to_reporter[0].text


def test_anonymous_reporter_is_never_messaged(client, svc, make_report, outbound):
    """No message goes to a reporter who stayed anonymous."""
    report_id = make_report(contact="no")
    routing.route(svc, report_id)
    before = len(outbound())
    sms(client, MEMBER, f"ACK {reference(svc, report_id)}")
    assert len(outbound()) == before + 1  # only the member's inline reply
    assert outbound()[-1].text.startswith("Acknowledged")


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        pytest.param("none", "received", id="routed, not acknowledged"),
        pytest.param("ack", "with the county team", id="acknowledged"),
        pytest.param("resolved", "closed", id="resolved"),
        pytest.param("dismissed", "closed", id="dismissed after review"),
    ],
)
def test_status_check_discloses_only_the_stage(client, svc, make_report, setup, expected):
    """STATUS <reference> answers received / with the county team / closed, nothing else."""
    report_id = make_report()
    routing.route(svc, report_id)
    ref = reference(svc, report_id)
    if setup == "ack":
        sms(client, MEMBER, f"ACK {ref}")
    if setup in ("resolved", "dismissed"):
        with svc.db() as db:
            db.get(Report, report_id).status = setup
            db.commit()
    reply = sms(client, STRANGER, f"STATUS {ref}")
    assert expected in reply
    assert "borehole" not in reply and "Loima" not in reply and REPORTER not in reply


@pytest.mark.parametrize(("verb", "expected"), [
    pytest.param("HALI", "imepokelewa", id="Kiswahili"),
    pytest.param("XAALAD", "waa la helay", id="Somali"),
])
def test_status_keyword_of_each_language_answers_in_it(client, svc, make_report, verb, expected):
    """HALI and XAALAD are the STATUS keyword in Kiswahili and Somali."""
    report_id = make_report()
    routing.route(svc, report_id)
    assert expected in sms(client, STRANGER, f"{verb} {reference(svc, report_id)}")


@pytest.mark.parametrize(("verb", "expected"), [
    pytest.param("STATUS", "send STATUS and its reference", id="English"),
    pytest.param("hali", "tuma HALI na nambari yake", id="Kiswahili"),
    pytest.param("XAALAD", "dir XAALAD iyo lambarkeeda", id="Somali"),
])
def test_a_status_keyword_without_a_reference_says_how_to_ask(client, verb, expected):
    """HALI alone: how to ask, in the keyword's language (no empty reference)."""
    reply = sms(client, STRANGER, verb)
    assert expected in reply and "  " not in reply


def test_status_checks_are_rate_limited(client, svc, make_report):
    """More than ten STATUS checks an hour from one number are refused, against guessing
    (each a different reference, as a guesser sends them)."""
    for digit in "2345678923":
        sms(client, STRANGER, f"STATUS R-ZZZZZ{digit}")
    assert "Too many" in sms(client, STRANGER, "STATUS R-ZZZZZA")
