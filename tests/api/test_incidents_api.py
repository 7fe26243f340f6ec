"""Incidents in the REST API: listed from two reports, the detail with its
reports and timeline, and link, unlink, merge, close, status and notes,
audited (``via: api``) and scoped by county like the console."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.routing import incidents
from gateway.store.models import AuditEntry, Report

from .conftest import add_user, bearer, make_report, token_for


def grouped(svc, prefix, count, **kwargs) -> int:
    references = [make_report(svc, reference=f"R-{prefix}{n:03d}", minutes_ago=10 * n, **kwargs)
                  for n in range(count)]
    with svc.db() as db:
        ids = [db.scalar(select(Report.id).where(Report.reference == r)) for r in references]
    found = {incidents.observe(svc, report_id) for report_id in ids}
    assert len(found) == 1
    return found.pop()


def audited(svc) -> list[tuple[str, str, dict]]:
    with svc.db() as db:
        return [(a.action, a.target, a.detail) for a in db.scalars(select(AuditEntry)
                                                                   .order_by(AuditEntry.id))]


def test_the_list_leaves_single_reports_out(client, svc, admin_token):
    """Only groups of two or more reports are incidents."""
    pair = grouped(svc, "PAI", 2)
    single = grouped(svc, "SIN", 1, category="trafficking")
    listed = [i["id"] for i in client.get("/api/v1/incidents", headers=bearer(admin_token)).json["data"]]
    assert pair in listed and single not in listed


def test_the_status_filter_takes_only_incident_statuses(client, svc, admin_token):
    """?status=closed lists closed ones; an unknown status is a 400."""
    grouped(svc, "PAI", 2)
    assert client.get("/api/v1/incidents?status=closed",
                      headers=bearer(admin_token)).json["data"] == []
    response = client.get("/api/v1/incidents?status=nope", headers=bearer(admin_token))
    assert response.status_code == 400


def test_the_detail_has_reports_and_timeline(client, svc, admin_token):
    """The detail names each report (oldest first) and the incident's timeline."""
    incident_id = grouped(svc, "DET", 2)
    body = client.get(f"/api/v1/incidents/{incident_id}", headers=bearer(admin_token)).json
    assert [r["reference"] for r in body["reports"]] == ["R-DET001", "R-DET000"]
    assert body["timeline"] == [] and body["status"] == "open" and body["report_count"] == 2


def test_link_and_unlink_are_audited(client, svc, officer_token):
    """An officer links a report, then unlinks it; both audited via the API."""
    incident_id = grouped(svc, "LNK", 2)
    extra = make_report(svc, reference="R-LNK999", category="trafficking")
    headers = bearer(officer_token)
    linked = client.post(f"/api/v1/incidents/{incident_id}/link", json={"reference": extra},
                         headers=headers)
    assert linked.status_code == 200 and linked.json["report_count"] == 3
    assert linked.json["timeline"][-1]["kind"] == "linked"
    unlinked = client.post(f"/api/v1/incidents/{incident_id}/unlink",
                           json={"reference": extra}, headers=headers)
    assert unlinked.status_code == 200 and unlinked.json["report_count"] == 2
    actions = [(a, t, d.get("via")) for a, t, d in audited(svc)]
    assert actions == [("incident.linked", f"incident {incident_id}", "api"),
                       ("incident.unlinked", f"incident {incident_id}", "api")]


def test_unlinking_a_report_not_in_the_incident_is_a_conflict(client, svc, admin_token):
    """409, nothing audited."""
    incident_id = grouped(svc, "UNL", 2)
    other = make_report(svc, reference="R-UNL999")
    response = client.post(f"/api/v1/incidents/{incident_id}/unlink", json={"reference": other},
                           headers=bearer(admin_token))
    assert response.status_code == 409 and audited(svc) == []


def test_merge_moves_reports_and_closes_the_other(client, svc, admin_token):
    """Merging B into A: A has all reports, B is closed and points at A."""
    a = grouped(svc, "MGA", 2)
    b = grouped(svc, "MGB", 2, category="trafficking")
    response = client.post(f"/api/v1/incidents/{a}/merge", json={"incident_id": b},
                           headers=bearer(admin_token))
    assert response.status_code == 200 and response.json["report_count"] == 4
    other = client.get(f"/api/v1/incidents/{b}", headers=bearer(admin_token)).json
    assert other["status"] == "closed" and other["merged_into_id"] == a
    assert audited(svc)[0][:2] == ("incident.merged", f"incident {a}")
    again = client.post(f"/api/v1/incidents/{a}/merge", json={"incident_id": b},
                        headers=bearer(admin_token))
    assert again.status_code == 409


def test_close_with_a_reason(client, svc, admin_token):
    """Closing needs a reason (400 without); the reason is kept and audited."""
    incident_id = grouped(svc, "CLS", 2)
    url, headers = f"/api/v1/incidents/{incident_id}/close", bearer(admin_token)
    assert client.post(url, json={"reason": "no"}, headers=headers).status_code == 400
    assert client.post(url, json={}, headers=headers).status_code == 400
    response = client.post(url, json={"reason": "Resolved by the elders"}, headers=headers)
    assert response.status_code == 200
    assert response.json["status"] == "closed"
    assert response.json["close_reason"] == "Resolved by the elders"
    assert audited(svc)[0][0] == "incident.closed"
    assert client.post(url, json={"reason": "Again and again"}, headers=headers).status_code == 409


@pytest.mark.parametrize("status", ["monitoring", "open"])
def test_status_and_notes(client, svc, admin_token, status):
    """Status to monitoring (and back); a note lands on the timeline."""
    incident_id = grouped(svc, "STA", 2)
    headers = bearer(admin_token)
    client.post(f"/api/v1/incidents/{incident_id}/status", json={"status": "monitoring"},
                headers=headers)
    response = client.post(f"/api/v1/incidents/{incident_id}/status", json={"status": status},
                           headers=headers)
    assert response.json["status"] == status
    noted = client.post(f"/api/v1/incidents/{incident_id}/notes", json={"text": "Chief informed"},
                        headers=headers)
    assert noted.json["timeline"][-1]["detail"] == {"text": "Chief informed"}
    bad = client.post(f"/api/v1/incidents/{incident_id}/status", json={"status": "closed"},
                      headers=headers)
    assert bad.status_code == 400


def test_another_countys_incident_is_not_found(client, svc):
    """A Mandera officer's token gets 404 for a Turkana incident, on every endpoint."""
    incident_id = grouped(svc, "SCO", 2)
    add_user(svc, "mandera-officer", counties=("mandera",))
    headers = bearer(token_for(svc, "mandera-officer"))
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=headers).status_code == 404
    for path, body in (("close", {"reason": "Not ours at all"}), ("notes", {"text": "x"}),
                       ("status", {"status": "monitoring"}), ("merge", {"incident_id": 1}),
                       ("link", {"reference": "R-SCO000"}), ("unlink", {"reference": "R-SCO000"})):
        response = client.post(f"/api/v1/incidents/{incident_id}/{path}", json=body,
                               headers=headers)
        assert response.status_code == 404, path
    assert audited(svc) == []


# method, path, body, no token, officer of the county, officer of another county, admin
API_ROUTES = [
    ("GET", "/api/v1/incidents", None, 401, 200, 200, 200),
    ("GET", "/api/v1/incidents/{incident}", None, 401, 200, 404, 200),
    # Linking a report already there changes nothing: 200.
    ("POST", "/api/v1/incidents/{incident}/link", {"reference": "R-TAB000"}, 401, 200, 404, 200),
    ("POST", "/api/v1/incidents/{incident}/unlink", {"reference": "R-TAB999"}, 401, 409, 404,
     409),
    ("POST", "/api/v1/incidents/{incident}/merge", {"incident_id": "{incident}"}, 401, 409, 404,
     409),
    ("POST", "/api/v1/incidents/{incident}/close", {"reason": "no"}, 401, 400, 404, 400),
    ("POST", "/api/v1/incidents/{incident}/status", {"status": "monitoring"}, 401, 200, 404, 200),
    ("POST", "/api/v1/incidents/{incident}/notes", {"text": "Seen"}, 401, 200, 404, 200),
]
API_ROLES = ("no token", "turkana-officer", "mandera-officer", "admin")


@pytest.mark.parametrize("role", API_ROLES)
def test_every_incident_endpoint_checks_the_token_and_the_county(client, svc, role):
    """For this role, every incident endpoint answers the status in the table."""
    incident_id = grouped(svc, "TAB", 2)
    make_report(svc, reference="R-TAB999")
    add_user(svc, "turkana-officer", counties=("turkana",))
    add_user(svc, "mandera-officer", counties=("mandera",))
    headers = {} if role == "no token" else bearer(token_for(svc, role))
    wrong = []
    for method, path, body, *expected in API_ROUTES:
        url = path.format(incident=incident_id)
        if body and body.get("incident_id") == "{incident}":
            body = {"incident_id": incident_id}
        response = (client.get(url, headers=headers) if method == "GET"
                    else client.post(url, json=body, headers=headers))
        want = expected[API_ROLES.index(role)]
        if response.status_code != want:
            wrong.append(f"{method} {path}: expected {want}, got {response.status_code}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def test_every_incident_endpoint_is_in_the_table(app):
    """Every /api/v1/incidents URL rule and method has a row above."""
    covered = {(method, path.replace("{incident}", "<>")) for method, path, *_ in API_ROUTES}
    missing = [f"{method} {rule.rule}" for rule in app.url_map.iter_rules()
               if rule.rule.startswith("/api/v1/incidents")
               for method in rule.methods - {"HEAD", "OPTIONS"}
               if (method, rule.rule.replace("<int:incident_id>", "<>")) not in covered]
    assert not missing, f"incident endpoints missing from the table: {missing}"
