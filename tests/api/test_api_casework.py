"""The REST API's report filters (the console's, read by the same code), notes
and assignment: scoped, validated and audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from gateway.store.models import AuditEntry, Report
from tests.api.conftest import add_user, bearer, make_report, token_for


def refs(client, token, query: str) -> list[str]:
    response = client.get(f"/api/v1/reports?{query}", headers=bearer(token))
    assert response.status_code == 200, response.json
    return sorted(r["reference"] for r in response.json["data"])


def set_columns(svc, reference: str, **values) -> None:
    with svc.db() as db:
        db.execute(update(Report).where(Report.reference == reference).values(**values))
        db.commit()


@pytest.fixture
def places(svc):
    """A Turkana West SMS report in English, a Turkana North USSD one in Kiswahili."""
    west = make_report(svc, reference="R-WEST01")
    north = make_report(svc, reference="R-NRTH01")
    set_columns(svc, west, sub_county="turkana_west", channel="sms", language="eng")
    return {"west": west, "north": north}


@pytest.mark.parametrize("query, expected", [
    pytest.param("sub_county=turkana_west", ["R-WEST01"], id="sub-county"),
    pytest.param("q=Turkana%20West", ["R-WEST01"], id="free text over a sub-county label"),
    pytest.param("q=turkana%20north", ["R-NRTH01"], id="free text, any case"),
    pytest.param("channel=sms", ["R-WEST01"], id="channel"),
    pytest.param("language=swa", ["R-NRTH01"], id="language"),
    pytest.param("county=turkana&sub_county=turkana_north", ["R-NRTH01"], id="combined"),
])
def test_report_filters(client, places, admin_token, query, expected):
    """The API narrows reports by the console's filters."""
    assert refs(client, admin_token, query) == expected


@pytest.mark.parametrize("query", ["sub_county=atlantis", "channel=pigeon", "language=xx",
                                   "assigned=" + "x" * 65])
def test_a_bad_filter_value_is_a_400(client, admin_token, query):
    """An unknown sub-county, channel or language is refused, naming the parameter."""
    response = client.get(f"/api/v1/reports?{query}", headers=bearer(admin_token))
    assert response.status_code == 400
    assert query.split("=")[0] in response.json["error"]["message"]


def test_day_filters_are_eat_days_at_the_boundary(client, svc, admin_token):
    """A report at 22:30 UTC on 30 Nov is found on 1 Dec (EAT), not on 30 Nov; an
    explicit offset is honoured."""
    late = make_report(svc, reference="R-LATE01")
    set_columns(svc, late, created_at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    assert refs(client, admin_token, "since=2026-12-01&until=2026-12-01") == [late]
    assert refs(client, admin_token, "since=2026-11-30&until=2026-11-30") == []
    assert refs(client, admin_token, "since=2026-11-30T22:00Z&until=2026-11-30T23:00%2B00:00") == [late]


def test_assign_and_filter_assigned_to_me(client, svc, places, officer_token):
    """An officer assigns a report to themselves ("me"): the report says so, the
    timeline names them, the audit log records it; ?assigned=me finds it."""
    response = client.post(f"/api/v1/reports/{places['west']}/assign", json={"user": "me"},
                           headers=bearer(officer_token))
    assert response.status_code == 200 and response.json["changed"] is True
    report = response.json["report"]
    assert report["assigned_to"] == "turkana-officer"
    assert report["timeline"][-1]["kind"] == "assigned"
    assert report["timeline"][-1]["who"] == "turkana-officer"
    assert refs(client, officer_token, "assigned=me") == [places["west"]]
    assert refs(client, officer_token, "assigned=turkana-officer") == [places["west"]]
    assert refs(client, officer_token, "assigned=none") == [places["north"]]
    again = client.post(f"/api/v1/reports/{places['west']}/assign", json={"user": "me"},
                        headers=bearer(officer_token))
    assert again.json["changed"] is False
    with svc.db() as db:
        entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "report.assigned")).all()
        assert [(e.actor, e.target, e.detail["via"]) for e in entries] == [
            ("turkana-officer", places["west"], "api")]


@pytest.mark.parametrize("body", [
    pytest.param({"user": "mandera-officer"}, id="an officer of another county"),
    pytest.param({"user": "nobody-here"}, id="an unknown user"),
    pytest.param({"user": 7}, id="not a string"),
    pytest.param({"who": "me"}, id="an unknown key"),
])
def test_assign_refuses_who_cannot_take_the_report(client, svc, places, admin_token, body):
    """Only an active officer of the report's county or an admin can be assigned."""
    add_user(svc, "mandera-officer", counties=("mandera",))
    response = client.post(f"/api/v1/reports/{places['west']}/assign", json=body,
                           headers=bearer(admin_token))
    assert response.status_code == 400
    with svc.db() as db:
        assert db.scalar(select(Report.assigned_to).where(Report.reference == places["west"])) is None


def test_notes_are_added_and_listed(client, svc, places, officer_token):
    """POST adds a note (201, audited), GET lists the notes with their author's name."""
    url = f"/api/v1/reports/{places['west']}/notes"
    created = client.post(url, json={"text": "Patrol sent to Lokichoggio"}, headers=bearer(officer_token))
    assert created.status_code == 201
    assert created.json["by"] == "turkana-officer" and created.json["text"] == "Patrol sent to Lokichoggio"
    listed = client.get(url, headers=bearer(officer_token)).json["data"]
    assert [(n["by"], n["text"]) for n in listed] == [("turkana-officer", "Patrol sent to Lokichoggio")]
    with svc.db() as db:
        assert db.scalar(select(AuditEntry.target).where(AuditEntry.action == "report.note")) \
            == places["west"]


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "   "}, {"text": "x" * 2001}, {"note": "x"},
                                  {"text": 5}])
def test_a_bad_note_is_a_400(client, places, admin_token, body):
    """An empty, too long or malformed note is refused with the error shape."""
    response = client.post(f"/api/v1/reports/{places['west']}/notes", json=body,
                           headers=bearer(admin_token))
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_body"


def test_notes_of_another_county_are_404(client, svc, places):
    """A Mandera officer can neither read nor add notes on a Turkana report."""
    add_user(svc, "mandera-officer", counties=("mandera",))
    token = token_for(svc, "mandera-officer")
    url = f"/api/v1/reports/{places['west']}/notes"
    assert client.get(url, headers=bearer(token)).status_code == 404
    assert client.post(url, json={"text": "x"}, headers=bearer(token)).status_code == 404


def test_openapi_documents_the_new_filters_and_endpoints(client):
    """The OpenAPI document lists sub_county (with the gazetteer's values), the
    other filters, and the notes and assign operations."""
    doc = client.get("/api/v1/openapi.json").json
    names = {p["name"]: p for p in doc["paths"]["/reports"]["get"]["parameters"]}
    assert {"sub_county", "channel", "language", "assigned", "q", "since", "until"} <= set(names)
    assert "turkana_west" in names["sub_county"]["schema"]["enum"]
    assert "East Africa Time" in names["since"]["description"]
    assert {"get", "post"} <= set(doc["paths"]["/reports/{reference}/notes"])
    assert "post" in doc["paths"]["/reports/{reference}/assign"]
