"""The REST API: bearer tokens, county scope, pagination, actions, error shape."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.store.models import Alert, AuditEntry, Message, Report, ReportEvent
from tests.api.conftest import add_user, bearer, make_report, token_for
from tests.helpers import add_attachment

PATHS = ["/api/v1/reports", "/api/v1/reports/R-TURK01", "/api/v1/incidents", "/api/v1/teams",
         "/api/v1/messages", "/api/v1/me", "/api/v1/reports/R-TURK01/attachments/" + "0" * 32]


@pytest.mark.parametrize("headers", [
    pytest.param({}, id="no header"),
    pytest.param({"Authorization": "Basic YWRtaW46eA=="}, id="basic auth"),
    pytest.param({"Authorization": "Bearer mpk_not-a-real-token"}, id="unknown token"),
    pytest.param({"Authorization": "Bearer "}, id="empty token"),
])
@pytest.mark.parametrize("path", PATHS)
def test_requests_without_a_valid_token_get_401(client, reports, path, headers):
    """Every endpoint but the OpenAPI document needs a live bearer token."""
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"]["code"] == "unauthorized"


def test_openapi_document_is_public(client):
    """The OpenAPI document is served without a token."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"].startswith("3.")
    assert "/reports/{reference}/acknowledge" in response.json["paths"]


def test_revoked_token_and_inactive_user_stop_working(client, svc, officer_token):
    """Revoking a token, or deactivating its user, takes effect on the next request."""
    from gateway.accounts import tokens
    from gateway.store.models import ApiToken, User

    assert client.get("/api/v1/me", headers=bearer(officer_token)).status_code == 200
    with svc.db() as db:
        user = db.scalar(select(User).where(User.username == "turkana-officer"))
        user.active = False
        db.commit()
    assert client.get("/api/v1/me", headers=bearer(officer_token)).status_code == 401
    admin = token_for(svc, "admin")
    with svc.db() as db:
        row = db.scalar(select(ApiToken).where(ApiToken.prefix == admin[:12]))
        assert row.token_hash != admin  # only the hash is stored
        tokens.revoke(db, row)
        db.commit()
    assert client.get("/api/v1/me", headers=bearer(admin)).status_code == 401


def test_officer_token_sees_only_their_counties(client, reports, officer_token, admin_token):
    """A Turkana officer's token lists Turkana reports only, and gets 404 for Mandera's."""
    listed = client.get("/api/v1/reports", headers=bearer(officer_token)).json["data"]
    assert {r["reference"] for r in listed} == {"R-TURK01", "R-TURK02"}
    assert client.get("/api/v1/reports/R-MAND01", headers=bearer(officer_token)).status_code == 404
    response = client.post("/api/v1/reports/R-MAND01/acknowledge", headers=bearer(officer_token))
    assert response.status_code == 404
    response = client.get("/api/v1/reports", query_string={"county": "mandera"},
                          headers=bearer(officer_token))
    assert response.json["data"] == []
    everything = client.get("/api/v1/reports", headers=bearer(admin_token)).json["data"]
    assert {r["reference"] for r in everything} == {"R-TURK01", "R-TURK02", "R-MAND01"}


def test_officer_sees_only_messages_and_teams_of_their_counties(client, svc, reports,
                                                                officer_token):
    """The ledger and the team list are scoped too; member numbers are masked."""
    with svc.db() as db:
        ids = dict(db.execute(select(Report.reference, Report.id)).all())
    messages = client.get("/api/v1/messages", headers=bearer(officer_token)).json["data"]
    assert messages and {m["report_id"] for m in messages} <= {ids["R-TURK01"], ids["R-TURK02"]}
    teams = client.get("/api/v1/teams", headers=bearer(officer_token)).json["data"]
    names = {t["name"] for t in teams}
    assert "Turkana county team" in names and "Mandera county team" not in names
    for team in teams:
        for member in team["members"]:
            assert "*" in member["phone"] or "•" in member["phone"] or member["phone"].count("X")


def test_reporter_number_is_masked_and_for_admins_only(client, reports, officer_token,
                                                       admin_token):
    """A consenting reporter's number appears masked to admins, never to officers."""
    admin_view = client.get("/api/v1/reports/R-TURK01", headers=bearer(admin_token)).json
    assert admin_view["reporter"] and "712345678" not in admin_view["reporter"]
    officer_view = client.get("/api/v1/reports/R-TURK01", headers=bearer(officer_token)).json
    assert officer_view["reporter"] is None


def test_report_has_the_place_named_and_location(client, svc, admin_token):
    """The API gives the place the reporter named and a shared location (or nulls)."""
    make_report(svc, reference="R-PLACE1", place_name="Kakuma", latitude=3.72, longitude=34.861)
    make_report(svc, reference="R-PLACE2")
    body = client.get("/api/v1/reports/R-PLACE1", headers=bearer(admin_token)).json
    assert (body["place_name"], body["latitude"], body["longitude"]) == ("Kakuma", 3.72, 34.861)
    body = client.get("/api/v1/reports/R-PLACE2", headers=bearer(admin_token)).json
    assert (body["place_name"], body["latitude"], body["longitude"]) == (None, None, None)


def test_report_detail_has_timeline_and_alerts(client, reports, officer_token):
    """One report: its timeline events and the alerts with their deliveries."""
    body = client.get("/api/v1/reports/r turk01", headers=bearer(officer_token)).json
    assert body["reference"] == "R-TURK01"
    assert [e["kind"] for e in body["timeline"]][:2] == ["received", "routed"]
    assert body["alerts"] and body["alerts"][0]["deliveries"]


def test_cursor_pagination_walks_every_report_once(client, svc, admin_token):
    """Pages of two follow next_cursor to the end, newest first, without repeats."""
    for i in range(5):
        make_report(svc, reference=f"R-PAGE0{i}", minutes_ago=i)
    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/reports", query_string=query, headers=bearer(admin_token)).json
        seen += [r["reference"] for r in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"R-PAGE0{i}" for i in range(5)]


@pytest.mark.parametrize("query, code", [
    pytest.param({"county": "atlantis"}, "invalid_argument", id="unknown county"),
    pytest.param({"since": "yesterday"}, "invalid_argument", id="bad date"),
    pytest.param({"limit": "0"}, "invalid_argument", id="limit too small"),
    pytest.param({"limit": "1000"}, "invalid_argument", id="limit too large"),
    pytest.param({"overdue": "maybe"}, "invalid_argument", id="bad boolean"),
    pytest.param({"cursor": "not-a-cursor"}, "invalid_cursor", id="bad cursor"),
])
def test_bad_arguments_get_400_with_the_error_shape(client, admin_token, query, code):
    """Malformed arguments are refused with a stable JSON error, never ignored."""
    response = client.get("/api/v1/reports", query_string=query, headers=bearer(admin_token))
    assert response.status_code == 400
    error = response.json["error"]
    assert (error["status"], error["code"]) == (400, code)
    assert error["message"]


def test_unknown_api_paths_answer_json(client, admin_token):
    """404 and 405 under /api/v1 keep the error shape."""
    response = client.get("/api/v1/nothing-here", headers=bearer(admin_token))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    response = client.delete("/api/v1/reports", headers=bearer(admin_token))
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"


def test_acknowledge_stops_escalation_and_is_idempotent(client, svc, reports, officer_token):
    """Acknowledging marks the alerts acknowledged, records who, and a second call says so."""
    first = client.post("/api/v1/reports/R-TURK01/acknowledge", headers=bearer(officer_token))
    assert first.status_code == 200 and first.json["first"] is True
    assert first.json["report"]["status"] == "acknowledged"
    again = client.post("/api/v1/reports/R-TURK01/acknowledge", headers=bearer(officer_token))
    assert again.json["first"] is False
    with svc.db() as db:
        report = db.scalar(select(Report).where(Report.reference == "R-TURK01"))
        alerts = db.scalars(select(Alert).where(Alert.report_id == report.id)).all()
        assert all(a.status == "acknowledged" for a in alerts)
        assert {a.acknowledged_by for a in alerts} == {"user:turkana-officer"}
        # The consenting reporter's one message is queued for sending.
        assert db.scalar(select(Message).where(Message.report_id == report.id,
                                               Message.status == "queued",
                                               Message.text.contains("R-TURK01")))
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "report.acknowledged"))
    assert any(j for j in svc.queue("alerts").jobs if j.func_name.endswith("send_messages"))


@pytest.mark.parametrize("body, status", [
    pytest.param({"status": "investigating"}, 200, id="investigating"),
    pytest.param({"status": "resolved"}, 200, id="resolved"),
    pytest.param({"status": "received"}, 400, id="not an action status"),
    pytest.param({}, 400, id="no status"),
    pytest.param(None, 400, id="no body"),
    pytest.param({"status": "resolved", "note": "x"}, 400, id="an unknown key"),
])
def test_set_status(client, svc, reports, officer_token, body, status):
    """Only action statuses are accepted; a change adds a timeline event."""
    response = client.post("/api/v1/reports/R-TURK02/status", json=body,
                           headers=bearer(officer_token))
    assert response.status_code == status
    if status == 200:
        assert response.json["status"] == body["status"]
        assert response.json["timeline"][-1]["kind"] == "status"
        with svc.db() as db:
            event = db.scalars(select(ReportEvent).where(ReportEvent.kind == "status")).one()
            assert event.actor == "user:turkana-officer"


def test_incidents_are_scoped(client, svc, admin_token):
    """Incidents of other counties are not listed for an officer."""
    from gateway.routing import incidents

    for i in range(3):
        make_report(svc, reference=f"R-MINC0{i}", county="mandera", route=True)
    with svc.db() as db:
        ids = db.scalars(select(Report.id)).all()
    for report_id in ids:
        incidents.observe(svc, report_id)
    listed = client.get("/api/v1/incidents", headers=bearer(admin_token)).json["data"]
    assert listed and listed[0]["county"] == "mandera"
    # Anonymous reports: each is a reporter of its own.
    assert (listed[0]["report_count"], listed[0]["reporter_count"]) == (3, 3)
    one = client.get(f"/api/v1/incidents/{listed[0]['id']}", headers=bearer(admin_token))
    assert one.status_code == 200
    add_user(svc, "turkana-only")
    officer = token_for(svc, "turkana-only")
    assert client.get("/api/v1/incidents", headers=bearer(officer)).json["data"] == []
    assert client.get(f"/api/v1/incidents/{listed[0]['id']}",
                      headers=bearer(officer)).status_code == 404


def test_report_lists_its_attachments_and_the_token_downloads_them(client, svc, reports,
                                                                    officer_token):
    """The report lists its media (metadata and an authenticated URL); the file
    comes with private, no-store, nosniff and an attachment disposition."""
    key = add_attachment(svc, "R-TURK01", b"OggS-voice", content_type="audio/ogg", kind="voice")
    body = client.get("/api/v1/reports/R-TURK01", headers=bearer(officer_token)).json
    [listed] = body["attachments"]
    assert listed["id"] == key and listed["kind"] == "voice" and listed["size"] == 10
    assert listed["url"] == f"/api/v1/reports/R-TURK01/attachments/{key}"
    response = client.get(listed["url"], headers=bearer(officer_token))
    assert response.status_code == 200 and response.data == b"OggS-voice"
    assert response.mimetype == "audio/ogg"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == 'attachment; filename="R-TURK01-1.ogg"'
    assert client.get(listed["url"]).status_code == 401


def test_attachment_of_another_county_is_404(client, svc, reports, officer_token):
    """A Turkana officer's token gets 404 for a Mandera report's file, key known or not."""
    key = add_attachment(svc, "R-MAND01")
    response = client.get(f"/api/v1/reports/R-MAND01/attachments/{key}",
                          headers=bearer(officer_token))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    response = client.get(f"/api/v1/reports/R-TURK01/attachments/{key}",
                          headers=bearer(officer_token))
    assert response.status_code == 404


def test_reports_and_incidents_carry_county_and_sub_county_codes(client, svc, admin_token):
    """Reports and incidents carry the county code and, for a constituency of the
    county, the sub-county code; the OpenAPI document describes both fields."""
    from gateway.routing import incidents

    make_report(svc, reference="R-CODE01", county="mandera")  # sub-county mandera_north
    with svc.db() as db:
        report_id = db.scalar(select(Report.id).where(Report.reference == "R-CODE01"))
    incident_id = incidents.observe(svc, report_id)
    report = client.get("/api/v1/reports/R-CODE01", headers=bearer(admin_token)).json
    assert (report["county_code"], report["sub_county_code"]) == ("009", "041")
    # A single report's group is not listed as an incident; its detail still answers.
    incident = client.get(f"/api/v1/incidents/{incident_id}", headers=bearer(admin_token)).json
    assert (incident["county_code"], incident["sub_county_code"]) == ("009", "041")
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    for name in ("Report", "Incident"):
        assert {"county_code", "sub_county_code"} <= set(schemas[name]["properties"])


def test_a_cross_border_side_has_no_sub_county_code(client, svc, admin_token):
    """A report from "Uganda side" keeps its county code and has no sub-county code."""
    make_report(svc, reference="R-CODE02", county="busia")
    with svc.db() as db:
        report = db.scalar(select(Report).where(Report.reference == "R-CODE02"))
        report.sub_county = "uganda"
        db.commit()
    report = client.get("/api/v1/reports/R-CODE02", headers=bearer(admin_token)).json
    assert (report["county_code"], report["sub_county_code"]) == ("040", None)
