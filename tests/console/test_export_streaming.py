"""Large exports: the CSV streams (header first, then the reports in batches,
no Content-Length), every report once in the list's order whatever the size;
the XLSX, built in memory, is refused beyond its cap with a pointer to the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from gateway.ops import heartbeat
from gateway.store.models import Report
from gateway.web.console.reports import CSV_COLUMNS, EXPORT_BATCH

from .conftest import make_report

START = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def bulk_reports(svc, count: int, county="turkana") -> list[str]:
    """``count`` reports, ten to a second (ties in time, as on a busy day),
    inserted in one statement; their references, newest first as listed."""
    rows = [{"reference": f"R-B{n:05d}", "channel": "sms", "language": "eng",
             "category": "terrorism", "county": county, "sub_county": f"{county}_north",
             "when": "now", "description": f"Seen at the well {n}", "contact_allowed": False,
             "severity": "high", "status": "received", "priority": "normal",
             "script_id": "report", "script_version": "1", "answers": {},
             "created_at": START + timedelta(seconds=n // 10)} for n in range(count)]
    with svc.db() as db:
        db.execute(insert(Report), rows)
        db.commit()
    # Newest first; among reports of the same second, the highest id first.
    return [r["reference"] for r in reversed(rows)]


def test_the_csv_export_streams_without_a_content_length(admin_client, svc):
    """The response is a stream: no Content-Length, the header row in the first chunk."""
    make_report(svc)
    response = admin_client.get("/console/reports.csv", buffered=False)
    assert response.is_streamed and "Content-Length" not in response.headers
    first = next(iter(response.response))
    assert first.decode().splitlines()[0] == ",".join(CSV_COLUMNS)
    response.close()


def test_a_csv_export_of_several_batches_holds_every_report_once_in_list_order(
        admin_client, svc):
    """More reports than a batch, many in the same second: each exactly once, newest first."""
    expected = bulk_reports(svc, EXPORT_BATCH * 2 + 7)
    rows = list(csv.DictReader(io.StringIO(admin_client.get("/console/reports.csv").text)))
    assert [r["reference"] for r in rows] == expected


def test_a_streamed_csv_export_keeps_the_filters_and_the_scope(officer_client, svc):
    """A Turkana officer's export over several batches holds Turkana's reports only."""
    expected = bulk_reports(svc, EXPORT_BATCH + 5)
    make_report(svc, county="marsabit", reference="R-MARS01")
    rows = list(csv.DictReader(io.StringIO(
        officer_client.get("/console/reports.csv?category=terrorism").text)))
    assert [r["reference"] for r in rows] == expected


def test_an_xlsx_export_beyond_its_cap_is_refused_pointing_to_the_csv(app, admin_client, svc):
    """Over the cap: a 422 that says so and names the CSV; the CSV of the same list works."""
    app.config["XLSX_MAX_ROWS"] = 2
    for _ in range(3):
        make_report(svc)
    response = admin_client.get("/console/reports.xlsx")
    assert response.status_code == 422
    assert "at most 2 reports" in response.text and "CSV" in response.text
    assert admin_client.get("/console/reports.csv").status_code == 200


def test_an_xlsx_export_within_its_cap_is_served(app, admin_client, svc):
    app.config["XLSX_MAX_ROWS"] = 3
    for _ in range(3):
        make_report(svc)
    response = admin_client.get("/console/reports.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")


def test_a_streaming_export_tells_its_worker_it_is_alive_between_batches(admin_client, svc):
    """Under gunicorn (``post_fork`` installs the worker's notify) a sync worker
    sending a long export is not killed at its timeout: a beat per batch."""
    bulk_reports(svc, EXPORT_BATCH * 2 + 1)
    beats = []
    heartbeat.install(lambda: beats.append(1))
    try:
        assert admin_client.get("/console/reports.csv").data
    finally:
        heartbeat.install(None)
    assert len(beats) == 3
