"""Partners in the console (admins): create at a level, a token shown once,
and the list of what a partner has received."""

from __future__ import annotations

from sqlalchemy import select

from gateway.store.models import ApiToken, AuditEntry, Partner
from tests.api.conftest import make_report

from .conftest import post


def test_admin_creates_a_partner_and_it_is_audited(admin_client, svc):
    response = post(admin_client, "/console/admin/partners",
                    {"name": "NCTC", "level": "incident", "counties": ["wajir"]})
    assert response.status_code == 302
    with svc.db() as db:
        partner = db.scalar(select(Partner))
        assert (partner.name, partner.level, partner.counties) == ("NCTC", "incident", ["wajir"])
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "partner.created"))


def test_a_bad_level_is_refused_plainly(admin_client):
    response = post(admin_client, "/console/admin/partners", {"name": "NCTC", "level": "all"})
    assert response.status_code == 400 and "The level must be one of" in response.text


def test_token_is_shown_once_and_reads_the_shared_api(admin_client, client, svc):
    post(admin_client, "/console/admin/partners", {"name": "NCTC", "level": "report"})
    with svc.db() as db:
        partner_id = db.scalar(select(Partner.id))
    response = post(admin_client, f"/console/admin/partners/{partner_id}/tokens", {"name": "x"})
    token = response.text.split('<code id="new-token">')[1].split("<")[0]
    assert client.get("/api/v1/shared/partner",
                      headers={"Authorization": f"Bearer {token}"}).json["name"] == "NCTC"
    again = admin_client.get(f"/console/admin/partners/{partner_id}").text
    assert token not in again
    with svc.db() as db:
        assert db.scalar(select(ApiToken.partner_id)) == partner_id


def test_partner_page_lists_what_it_received(admin_client, client, svc):
    post(admin_client, "/console/admin/partners", {"name": "NCTC", "level": "report"})
    with svc.db() as db:
        partner_id = db.scalar(select(Partner.id))
    make_report(svc, reference="R-TURK01")
    response = post(admin_client, f"/console/admin/partners/{partner_id}/tokens", {"name": "x"})
    token = response.text.split('<code id="new-token">')[1].split("<")[0]
    client.get("/api/v1/shared/reports", headers={"Authorization": f"Bearer {token}"})
    page = admin_client.get(f"/console/admin/partners/{partner_id}").text
    assert "R-TURK01" in page and "api" in page


def test_admin_makes_an_endpoint_a_partners(admin_client, svc):
    """An agency endpoint can belong to a partner: its payloads are then redacted."""
    from gateway.store.models import AgencyEndpoint, Team

    post(admin_client, "/console/admin/partners", {"name": "NCTC", "level": "incident"})
    with svc.db() as db:
        partner_id = db.scalar(select(Partner.id))
        team_id = db.scalar(select(Team.id).where(Team.name == "Turkana county team"))
    response = post(admin_client, f"/console/admin/teams/{team_id}/endpoints", {
        "name": "NCTC feed", "url": "https://nctc.example.org/hook", "partner_id": str(partner_id)})
    assert response.status_code == 302
    with svc.db() as db:
        assert db.scalar(select(AgencyEndpoint.partner_id)) == partner_id


def test_an_unknown_partner_is_refused_for_an_endpoint(admin_client, svc):
    from gateway.store.models import Team

    with svc.db() as db:
        team_id = db.scalar(select(Team.id).where(Team.name == "Turkana county team"))
    response = post(admin_client, f"/console/admin/teams/{team_id}/endpoints", {
        "name": "X", "url": "https://nctc.example.org/hook", "partner_id": "999"})
    assert response.status_code == 400 and "Choose a partner from the list" in response.text
