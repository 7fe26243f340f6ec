"""Partner webhook endpoints: what they are sent goes through the sharing
redaction (gateway.privacy.sharing) and is recorded as a share."""

from __future__ import annotations

import json

import responses
from sqlalchemy import select

from gateway.accounts import partners
from gateway.privacy import sharing
from gateway.routing import dispatch as routing
from gateway.store.models import AgencyEndpoint, Share, Team

ENDPOINT = "https://partner.example.org/mpaka"


def add_partner_endpoint(svc, level, counties=()) -> int:
    with svc.db() as db:
        partner = partners.create(db, f"Partner {level}", level, counties)
        team = db.scalar(select(Team).where(Team.name == "Turkana county team"))
        db.add(AgencyEndpoint(team_id=team.id, name="Partner EOC", url=ENDPOINT, secret="s3cret",
                              partner_id=partner.id))
        db.commit()
        return partner.id


def test_report_level_partner_gets_the_report_without_reporter_fields(
        svc, make_report, run_worker):
    partner_id = add_partner_endpoint(svc, "report")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(ENDPOINT, status=204)
        routing.route(svc, make_report(contact="yes"))
        run_worker()
        payload = json.loads(mock.calls[0].request.body)
    assert set(payload) == {"event", *sharing.REPORT_FIELDS}
    assert payload["county_code"] == "023" and payload["description"]
    with svc.db() as db:
        (share,) = db.scalars(select(Share).where(Share.partner_id == partner_id))
        assert (share.channel, share.kind, share.ids) == ("webhook", "report",
                                                         [payload["reference"]])


def test_incident_level_partner_gets_no_single_reports(svc, make_report, run_worker, outbound):
    partner_id = add_partner_endpoint(svc, "incident")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(ENDPOINT, status=204)
        routing.route(svc, make_report())
        run_worker()
        assert len(mock.calls) == 0
    assert outbound(channel="webhook") == []
    with svc.db() as db:
        assert db.scalars(select(Share).where(Share.partner_id == partner_id)).all() == []


def test_partner_of_other_counties_gets_nothing(svc, make_report, run_worker, outbound):
    add_partner_endpoint(svc, "report", counties=["wajir"])
    routing.route(svc, make_report())
    run_worker()
    assert outbound(channel="webhook") == []


def test_incident_level_partner_gets_the_incident_without_references(svc, make_report,
                                                                    outbound):
    """Three reports make an incident: the partner's endpoint is sent the
    incident's fields of the sharing table, and no report reference."""
    from datetime import UTC, datetime, timedelta

    partner_id = add_partner_endpoint(svc, "incident")
    start = datetime.now(UTC) - timedelta(hours=1)
    for i in range(3):
        routing.route(svc, make_report(created_at=start + i * timedelta(minutes=10)))
    (row,) = outbound(channel="webhook")
    payload = json.loads(row.text)
    assert payload["event"] == "incident.alert"
    assert set(payload) == {"event", *sharing.INCIDENT_FIELDS}
    assert payload["report_count"] == 3 and "R-" not in row.text
    with svc.db() as db:
        (share,) = db.scalars(select(Share).where(Share.partner_id == partner_id))
        assert (share.kind, share.ids) == ("incident", [payload["id"]])
