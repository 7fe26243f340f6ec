"""Exports people can use: CSV and XLSX with labels, county codes, EAT times
and, with ``?hxl=1``, an HXL hashtag row read by libhxl as humanitarian tools
read it; never a phone number."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import hxl
import openpyxl
import pytest
from sqlalchemy import select

from gateway.core import localtime
from gateway.store.models import AuditEntry, Report
from gateway.web.console.reports import CSV_COLUMNS, HXL_TAGS

from .conftest import make_report


@pytest.fixture
def exported(svc):
    make_report(svc, reference="R-TURK01", county="turkana", contact=True, route=True)
    with svc.db() as db:
        report = db.scalar(select(Report).where(Report.reference == "R-TURK01"))
        report.description = "=HYPERLINK(\"x\") call me on +254712345678 or 0712345679"
        db.commit()
    return "R-TURK01"


def read_hxl(body: bytes):
    """The export as libhxl reads it (CSV or XLSX, told apart by its content)."""
    return hxl.data(io.BytesIO(body))


def test_csv_with_hxl_is_read_by_libhxl(admin_client, exported):
    """libhxl finds the hashtag row and reads labels and codes under their tags."""
    response = admin_client.get("/console/reports.csv?hxl=1")
    (row,) = list(read_hxl(response.data))
    assert row.get("#adm1+name") == "Turkana" and row.get("#adm1+code") == "023"
    assert row.get("#event+id") == "R-TURK01" and row.get("#severity") == "High"
    assert row.get("#event+category") == "Terrorism or extremism"


def test_every_column_has_a_valid_hashtag(admin_client, exported):
    source = read_hxl(admin_client.get("/console/reports.csv?hxl=1").data)
    assert [c.display_tag for c in source.columns] == [
        hxl.model.Column.parse(tag).display_tag for tag in HXL_TAGS]


def test_csv_without_hxl_keeps_one_header_row(admin_client, exported):
    rows = list(csv.reader(io.StringIO(admin_client.get("/console/reports.csv").text)))
    assert rows[0] == list(CSV_COLUMNS) and rows[1][0] == "R-TURK01"


def test_xlsx_with_hxl_is_read_by_libhxl(admin_client, exported):
    response = admin_client.get("/console/reports.xlsx?hxl=1")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    (row,) = list(read_hxl(response.data))
    assert row.get("#adm1+code") == "023" and row.get("#event+id") == "R-TURK01"


def test_xlsx_times_are_eat_date_times_and_text_is_never_a_formula(admin_client, exported,
                                                                   svc):
    book = openpyxl.load_workbook(io.BytesIO(admin_client.get("/console/reports.xlsx").data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    with svc.db() as db:
        created = db.scalar(select(Report.created_at).where(Report.reference == "R-TURK01"))
    value = cells["received_eat"].value
    assert isinstance(value, datetime)
    assert abs((value - localtime.to_eat(created).replace(tzinfo=None)).total_seconds()) < 1
    assert cells["description"].data_type == "s"


@pytest.mark.parametrize("path", ["/console/reports.csv?hxl=1", "/console/reports.xlsx?hxl=1"])
def test_exports_never_carry_a_phone_number(admin_client, exported, path):
    """Not the reporter's (who consented to be called), not one typed in the description."""
    body = admin_client.get(path).data
    if ".xlsx" in path:
        book = openpyxl.load_workbook(io.BytesIO(body))
        body = repr([[c.value for c in row] for row in book.active.iter_rows()]).encode()
    assert b"712345678" not in body and b"712345679" not in body and b"[phone]" in body


def test_export_format_and_hxl_are_audited(admin_client, exported, svc):
    admin_client.get("/console/reports.xlsx?hxl=1")
    with svc.db() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "reports.export"))
        assert entry.detail["format"] == "xlsx" and entry.detail["hxl"] is True


def test_reports_page_offers_every_export(admin_client, exported):
    """The list links the CSV, the XLSX and the CSV with HXL, with the list's filters
    (even when the page's own URL carries hxl)."""
    page = admin_client.get("/console/reports?county=turkana&hxl=1").text
    assert "/console/reports.xlsx?county=turkana" in page
    assert "/console/reports.csv?county=turkana&amp;hxl=1" in page or \
        "/console/reports.csv?hxl=1&amp;county=turkana" in page
