"""/api/v1/shared with partner tokens at each level: each receives exactly
its level, every answer is recorded as a share, and tokens stay in their lane."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.privacy import sharing
from gateway.routing import incidents
from gateway.store.models import Report, Share
from tests.api.conftest import bearer, make_report

from .conftest import add_partner


@pytest.fixture
def shared_data(svc):
    """Three Wajir reports forming an incident, one Turkana report, one held."""
    for i in range(3):
        make_report(svc, reference=f"R-WAJ00{i}", county="wajir", route=True, contact=True)
    make_report(svc, reference="R-TURK01", county="turkana")
    make_report(svc, reference="R-HELD01", county="turkana", held=True)
    with svc.db() as db:
        ids = list(db.scalars(select(Report.id).where(Report.county == "wajir")))
    for report_id in ids:
        incidents.observe(svc, report_id)


@pytest.mark.parametrize(("level", "path", "status"), [
    ("aggregate", "/api/v1/shared/aggregates", 200),
    ("aggregate", "/api/v1/shared/incidents", 403),
    ("aggregate", "/api/v1/shared/reports", 403),
    ("incident", "/api/v1/shared/aggregates", 200),
    ("incident", "/api/v1/shared/incidents", 200),
    ("incident", "/api/v1/shared/reports", 403),
    ("report", "/api/v1/shared/aggregates", 200),
    ("report", "/api/v1/shared/incidents", 200),
    ("report", "/api/v1/shared/reports", 200),
])
def test_partner_token_reaches_only_its_level(client, partner_tokens, level, path, status):
    _id, token = partner_tokens[level]
    response = client.get(path, headers=bearer(token))
    assert response.status_code == status, response.json


def test_shared_reports_carry_exactly_the_report_fields(client, partner_tokens, shared_data):
    """Every field of the table, nothing else; never the held report."""
    _id, token = partner_tokens["report"]
    data = client.get("/api/v1/shared/reports", headers=bearer(token)).json["data"]
    assert {r["reference"] for r in data} == {"R-WAJ000", "R-WAJ001", "R-WAJ002", "R-TURK01"}
    assert all(set(r) == set(sharing.REPORT_FIELDS) for r in data)
    assert {r["county_code"] for r in data} == {"008", "023"}


def test_shared_incidents_carry_no_references(client, partner_tokens, shared_data):
    _id, token = partner_tokens["incident"]
    (row,) = client.get("/api/v1/shared/incidents", headers=bearer(token)).json["data"]
    assert set(row) == set(sharing.INCIDENT_FIELDS)
    assert row["county"] == "wajir" and row["report_count"] == 3
    assert "R-WAJ" not in repr(row)


def test_shared_aggregates_count_per_county_and_category(client, partner_tokens, shared_data):
    _id, token = partner_tokens["aggregate"]
    data = client.get("/api/v1/shared/aggregates", headers=bearer(token)).json["data"]
    counts = {(r["county"], r["category"]): (r["reports"], r["incidents"]) for r in data}
    assert counts == {("wajir", "terrorism"): (3, 1), ("turkana", "terrorism"): (1, 0)}


def test_partner_limited_to_counties_sees_only_them(svc, client, shared_data):
    _id, token = add_partner(svc, "Wajir neighbours", "report", ["wajir"])
    data = client.get("/api/v1/shared/reports", headers=bearer(token)).json["data"]
    assert {r["county"] for r in data} == {"wajir"}


def test_every_answer_is_recorded_as_a_share(svc, client, partner_tokens, shared_data):
    partner_id, token = partner_tokens["report"]
    client.get("/api/v1/shared/reports", headers=bearer(token))
    with svc.db() as db:
        (share,) = db.scalars(select(Share).where(Share.partner_id == partner_id))
        assert (share.channel, share.kind, share.level, share.count) == ("api", "report",
                                                                         "report", 4)
        assert set(share.ids) == {"R-WAJ000", "R-WAJ001", "R-WAJ002", "R-TURK01"}


def test_partner_token_is_refused_on_user_endpoints(client, partner_tokens):
    _id, token = partner_tokens["report"]
    response = client.get("/api/v1/reports", headers=bearer(token))
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_user_token_is_refused_on_shared_endpoints(client, admin_token):
    response = client.get("/api/v1/shared/reports", headers=bearer(admin_token))
    assert response.status_code == 403


def test_inactive_partner_token_is_unauthorized(svc, client, partner_tokens):
    partner_id, token = partner_tokens["report"]
    with svc.db() as db:
        from gateway.store.models import Partner
        db.get(Partner, partner_id).active = False
        db.commit()
    assert client.get("/api/v1/shared/partner", headers=bearer(token)).status_code == 401


def test_shared_partner_names_level_and_counties(client, partner_tokens):
    _id, token = partner_tokens["incident"]
    body = client.get("/api/v1/shared/partner", headers=bearer(token)).json
    assert body == {"name": "Partner incident", "level": "incident", "counties": []}


def test_bad_since_is_a_400(client, partner_tokens):
    _id, token = partner_tokens["aggregate"]
    response = client.get("/api/v1/shared/aggregates?since=yesterday", headers=bearer(token))
    assert response.status_code == 400
