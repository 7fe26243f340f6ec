"""``/api/v1/messages?report=``: the ledger rows of one report (looked up by
its reference, then by the ledger's report index), within the token's scope."""

from __future__ import annotations

from sqlalchemy import select

from gateway.store.models import Message, Report
from tests.api.conftest import bearer


def test_messages_of_a_report_are_its_rows_only(client, svc, reports, admin_token):
    with svc.db() as db:
        report_id = db.scalar(select(Report.id).where(Report.reference == "R-TURK01"))
        expected = sorted(db.scalars(select(Message.id).where(Message.report_id == report_id)),
                          reverse=True)
    found = client.get("/api/v1/messages", query_string={"report": "r-turk01"},
                       headers=bearer(admin_token)).json["data"]
    assert expected and [m["id"] for m in found] == expected


def test_messages_of_an_unknown_report_are_none(client, reports, admin_token):
    response = client.get("/api/v1/messages", query_string={"report": "R-ZZZZZZ"},
                          headers=bearer(admin_token))
    assert response.status_code == 200 and response.json == {"data": [], "next_cursor": None}


def test_an_officer_gets_no_messages_of_another_countys_report(client, reports, officer_token):
    response = client.get("/api/v1/messages", query_string={"report": "R-MAND01"},
                          headers=bearer(officer_token))
    assert response.json["data"] == []
