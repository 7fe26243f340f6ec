"""Reports held for review through the API: listed with ``?status=held``,
released or dismissed by admins (audited, idempotent), refused to officers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.store.models import Alert, AuditEntry, Report
from gateway.web.api import openapi

from .conftest import bearer, make_report


def alerts_of(svc, reference) -> int:
    with svc.db() as db:
        return len(db.scalars(select(Alert).join(Report, Alert.report_id == Report.id)
                              .where(Report.reference == reference)).all())


def audited(svc, action) -> list[tuple[str, str, dict]]:
    with svc.db() as db:
        return [(a.actor, a.target, a.detail) for a in
                db.scalars(select(AuditEntry).where(AuditEntry.action == action)
                           .order_by(AuditEntry.id))]


def test_held_reports_are_listed_with_the_status_filter(client, svc, reports, admin_token,
                                                        officer_token):
    """?status=held lists the held reports the token may see."""
    make_report(svc, reference="R-HELD01", held=True)
    make_report(svc, reference="R-HELD02", county="mandera", held=True)
    data = client.get("/api/v1/reports?status=held", headers=bearer(admin_token)).json["data"]
    assert sorted(r["reference"] for r in data) == ["R-HELD01", "R-HELD02"]
    assert {(r["status"], r["priority"]) for r in data} == {("held", "low")}
    data = client.get("/api/v1/reports?status=held", headers=bearer(officer_token)).json["data"]
    assert [r["reference"] for r in data] == ["R-HELD01"]


def test_release_routes_the_report_once(client, svc, admin_token, run_worker):
    """Release answers changed=true and the report; the worker routes it; a second
    release answers changed=false and routes nothing again.  Both audited."""
    make_report(svc, reference="R-HELD01", held=True)
    response = client.post("/api/v1/reports/R-HELD01/release", headers=bearer(admin_token))
    assert response.status_code == 200
    body = response.json
    assert body["changed"] is True
    assert (body["report"]["status"], body["report"]["priority"]) == ("received", "normal")
    assert [e["kind"] for e in body["report"]["timeline"]][-1] == "released"
    assert body["report"]["timeline"][-1]["actor"] == "user:admin"
    run_worker()
    assert alerts_of(svc, "R-HELD01") >= 1
    alerts = alerts_of(svc, "R-HELD01")
    again = client.post("/api/v1/reports/R-HELD01/release", headers=bearer(admin_token))
    assert again.status_code == 200 and again.json["changed"] is False
    assert again.json["report"]["status"] == "routed"
    run_worker()
    assert alerts_of(svc, "R-HELD01") == alerts
    assert audited(svc, "report.released") == [
        ("admin", "R-HELD01", {"via": "api", "changed": True}),
        ("admin", "R-HELD01", {"via": "api", "changed": False}),
    ]


def test_dismiss_keeps_it_unrouted(client, svc, admin_token, run_worker):
    """Dismissed: status dismissed, no alert; dismissing again changes nothing."""
    make_report(svc, reference="R-HELD01", held=True)
    response = client.post("/api/v1/reports/R-HELD01/dismiss", headers=bearer(admin_token))
    assert response.status_code == 200 and response.json["changed"] is True
    assert response.json["report"]["status"] == "dismissed"
    run_worker()
    assert alerts_of(svc, "R-HELD01") == 0
    again = client.post("/api/v1/reports/R-HELD01/dismiss", headers=bearer(admin_token))
    assert again.json["changed"] is False
    assert [d["changed"] for *_, d in audited(svc, "report.dismissed")] == [True, False]
    listed = client.get("/api/v1/reports?status=dismissed", headers=bearer(admin_token)).json
    assert [r["reference"] for r in listed["data"]] == ["R-HELD01"]


@pytest.mark.parametrize("action", ["release", "dismiss"])
def test_officers_are_refused(client, svc, officer_token, action):
    """An officer's token gets 403, even for a held report of their own county."""
    make_report(svc, reference="R-HELD01", held=True)
    response = client.post(f"/api/v1/reports/R-HELD01/{action}", headers=bearer(officer_token))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    with svc.db() as db:
        assert db.scalar(select(Report.status).where(Report.reference == "R-HELD01")) == "held"
    assert audited(svc, {"release": "report.released", "dismiss": "report.dismissed"}[action]) == []


@pytest.mark.parametrize("action", ["release", "dismiss"])
def test_a_report_never_held_is_a_conflict(client, svc, reports, admin_token, action):
    """A routed report cannot be released or dismissed: 409, nothing audited."""
    response = client.post(f"/api/v1/reports/R-TURK01/{action}", headers=bearer(admin_token))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    with svc.db() as db:
        assert db.scalar(select(AuditEntry.id).where(AuditEntry.target == "R-TURK01")) is None


def test_unknown_reference_is_404(client, admin_token):
    response = client.post("/api/v1/reports/R-ZZZZZZ/release", headers=bearer(admin_token))
    assert response.status_code == 404


def test_the_actions_are_documented():
    """Both actions are in the OpenAPI document with their refusals."""
    paths = openapi.document()["paths"]
    for action in ("release", "dismiss"):
        responses = paths[f"/reports/{{reference}}/{action}"]["post"]["responses"]
        assert {"200", "401", "403", "404", "409"} <= set(responses)
    status = paths["/reports"]["get"]["parameters"]
    assert {"held", "dismissed"} <= set(next(p for p in status if p["name"] == "status")
                                        ["schema"]["enum"])
