"""Places through the webhooks, on SQLite and PostgreSQL: a WhatsApp location
share (signed as Twilio signs it) becomes the report's sub-county and
coordinates; a typed town is kept as the place name; a county without a team
("Other county", Nakuru) is routed to the national desk."""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from gateway.store.models import Alert, Message, Report

TOKEN = "twilio-test-token"
URL = "http://localhost/webhooks/twilio/messages"
PHONE = "+254711000333"
_sids = itertools.count(1)


@pytest.fixture
def signed(app):
    app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    return app.test_client()


def post(client, body="", whatsapp=True, **extra):
    """One inbound Twilio message, signed with the real SDK's validator."""
    prefix = "whatsapp:" if whatsapp else ""
    form = {"MessageSid": f"SM{next(_sids):032d}", "AccountSid": "AC01",
            "From": prefix + PHONE, "To": prefix + "+14155238886", "Body": body,
            "NumMedia": "0", "ApiVersion": "2010-04-01", **extra}
    if whatsapp:
        form.update(WaId=PHONE.lstrip("+"), ProfileName="Reporter")
    signature = RequestValidator(TOKEN).compute_signature(URL, form)
    response = client.post("/webhooks/twilio/messages", data=form,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.text
    match = re.search(r"<Message>(.*)</Message>", response.text, re.S)
    return match.group(1) if match else ""


def location(lat: str, lon: str) -> dict[str, str]:
    """A WhatsApp location share as Twilio posts it: no body, Latitude/Longitude."""
    return {"Latitude": lat, "Longitude": lon, "Address": "", "Label": "",
            "MessageType": "location"}


def only_report(svc) -> Report:
    with svc.db() as db:
        return db.scalar(select(Report))


def test_whatsapp_location_sets_sub_county_and_coordinates(signed, svc, run_worker):
    """A location near Kakuma: one-line check, then a report in Turkana West with
    the coordinates (3 decimals), the place name, and an alert rounded to 2."""
    post(signed, "REPORT")
    post(signed, "5")
    check = post(signed, **location("3.7204912", "34.8607133"))
    assert check == "Kakuma, Turkana West?\n1. Yes\n2. No"
    for answer in ["1", "1", "Gunmen crossed near the camp", "2"]:
        post(signed, answer)
    assert "Sent." in post(signed, "1")
    report = only_report(svc)
    assert (report.county, report.sub_county) == ("turkana", "turkana_west")
    assert report.place_name == "Kakuma"
    assert (report.latitude, report.longitude) == (3.72, 34.861)
    run_worker()
    with svc.db() as db:
        texts = [a.text for a in db.scalars(select(Alert))]
        ledger = [m.text or "" for m in db.scalars(select(Message))]
    assert texts and all("Kakuma, Turkana West, Turkana (location shared: 3.72,34.86)" in t
                         for t in texts)
    assert not any("3.7204912" in t or "34.861" in t for t in ledger + texts)


def test_whatsapp_location_outside_the_area_is_kept_and_the_question_asked(signed, svc):
    """Far from every known place: "Location received." and the county question."""
    post(signed, "REPORT")
    post(signed, "5")
    reply = post(signed, **location("-1.2921", "36.8219"))
    assert reply.startswith("Location received.\nWhich county?")
    for answer in ["6", "Nairobi", "1", "Gunmen on the road", "2"]:
        post(signed, answer)
    post(signed, "1")
    report = only_report(svc)
    assert (report.county, report.sub_county, report.place_name) == ("nairobi", None, "Nairobi")
    assert (report.latitude, report.longitude) == (-1.292, 36.822)


def test_half_a_location_is_a_clear_400(signed, svc):
    """Latitude without Longitude is refused with 400, never a 500."""
    form = {"MessageSid": "SM" + "9" * 32, "From": "whatsapp:" + PHONE,
            "To": "whatsapp:+14155238886", "Body": "", "Latitude": "3.72"}
    signature = RequestValidator(TOKEN).compute_signature(URL, form)
    response = signed.post("/webhooks/twilio/messages", data=form,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 400


def test_sms_town_name_is_kept_with_the_report(signed, svc):
    """"Malaba" by SMS: Busia, Teso North, and the place name Malaba."""
    for answer in ["REPORT", "6", "malaba", "ndio", "2", "Lorries crossing at night", "2"]:
        post(signed, answer, whatsapp=False)
    post(signed, "1", whatsapp=False)
    report = only_report(svc)
    assert (report.county, report.sub_county, report.place_name) == ("busia", "teso_north",
                                                                     "Malaba")
    assert report.latitude is None and report.channel == "sms"


def test_other_county_report_goes_to_the_national_desk(signed, svc, run_worker):
    """"Other county" then "Nakuru": stored as Nakuru and alerted to the national
    desk, the team for counties without their own (not dropped)."""
    for answer in ["REPORT", "5", "6", "Nakuru", "1", "Cattle raiders with guns", "2"]:
        post(signed, answer, whatsapp=False)
    post(signed, "1", whatsapp=False)
    report = only_report(svc)
    assert (report.county, report.sub_county) == ("nakuru", None)
    run_worker()
    with svc.db() as db:
        alerts = db.scalars(select(Alert)).all()
        assert [a.team.name for a in alerts] == ["National desk"]
        assert "Nakuru." in alerts[0].text
