"""The county team's view: the list and its filters, a report and its actions,
CSV export, the overview."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from gateway.store.models import Alert, AuditEntry, Message, Report, ReportEvent

from .conftest import make_report, post

XSS = "<script>alert(1)</script>"


def test_officer_lists_only_their_county(officer_client, turkana_report, mandera_report):
    """A Turkana officer's list holds Turkana reports and no Mandera one."""
    page = officer_client.get("/console/reports").text
    assert turkana_report in page
    assert mandera_report not in page


def test_officer_cannot_widen_the_list_with_a_filter(officer_client, mandera_report):
    """Asking for another county's reports by filter returns nothing."""
    page = officer_client.get("/console/reports?county=mandera").text
    assert mandera_report not in page
    assert "No reports match" in page


def test_filters_narrow_the_list(admin_client, svc):
    """Category, severity and text filters each narrow the list."""
    a = make_report(svc, category="trafficking", severity="high", description="boat at night")
    b = make_report(svc, category="goods_smuggling", severity="medium", description="sugar lorry")
    page = admin_client.get("/console/reports?category=trafficking").text
    assert a in page and b not in page
    page = admin_client.get("/console/reports?severity=medium").text
    assert b in page and a not in page
    page = admin_client.get("/console/reports?q=lorry").text
    assert b in page and a not in page


def test_date_range_filter(admin_client, svc):
    """A report older than the range's start is left out."""
    old = make_report(svc, created_at=datetime.now(UTC) - timedelta(days=10))
    new = make_report(svc)
    since = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    page = admin_client.get(f"/console/reports?since={since}").text
    assert new in page and old not in page


def test_list_is_paginated_newest_first(admin_client, svc):
    """Fifty reports a page, newest first; the second page has the rest."""
    start = datetime.now(UTC) - timedelta(hours=2)
    refs = [make_report(svc, created_at=start + timedelta(minutes=i)) for i in range(52)]
    first = admin_client.get("/console/reports").text
    assert first.index(refs[-1]) < first.index(refs[-2])
    assert refs[0] not in first and "Page 1 of 2" in first
    assert refs[0] in admin_client.get("/console/reports?page=2").text


def test_overdue_reports_stand_out(admin_client, svc, turkana_report):
    """A report whose alert deadline passed without acknowledgement is marked overdue."""
    with svc.db() as db:
        db.execute(update(Alert).values(deadline_at=datetime.now(UTC) - timedelta(minutes=5)))
        db.commit()
    page = admin_client.get("/console/reports").text
    assert 'class="overdue"' in page and "Overdue" in page
    assert turkana_report in admin_client.get("/console/reports?overdue=1").text


def test_report_text_is_shown_escaped(admin_client, svc):
    """A description holding a script tag is displayed as text on the report and in the list."""
    reference = make_report(svc, description=XSS)
    detail = admin_client.get(f"/console/reports/{reference}").text
    assert XSS not in detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert XSS not in admin_client.get(f"/console/reports?q={reference}").text


def test_report_page_shows_answers_and_timeline(officer_client, turkana_report):
    """The report page lists the answers, language, channel and the routing in its timeline."""
    page = officer_client.get(f"/console/reports/{turkana_report}").text
    for text in ("Armed men near the borehole", "Kiswahili", "USSD", "Received", "Routed",
                 "Turkana county team"):
        assert text in page


def test_another_countys_report_answers_as_a_missing_one(other_officer_client, turkana_report):
    """A Mandera officer opening a Turkana report by URL gets exactly the answer of a
    reference that does not exist, so the reference's existence does not leak."""
    other = other_officer_client.get(f"/console/reports/{turkana_report}")
    missing = other_officer_client.get("/console/reports/R-ZZZZZZ")
    assert other.status_code == missing.status_code == 404
    # the CSRF token is signed with the time: equal but for it
    token = re.compile(r'(content|value)="[\w.-]+\.[\w-]+\.[\w-]+"')
    assert token.sub("", other.text) == token.sub("", missing.text)


def test_console_acknowledgement_acts_like_an_sms_ack(officer_client, svc):
    """Acknowledging in the console acknowledges every alert, stops escalation and queues
    the one message a consenting reporter receives, exactly like an SMS ACK."""
    reference = make_report(svc, contact=True, route=True)
    response = post(officer_client, f"/console/reports/{reference}/acknowledge")
    assert response.status_code == 302
    with svc.db() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        assert report.acknowledged_at is not None and report.status == "acknowledged"
        alerts = db.scalars(select(Alert).where(Alert.report_id == report.id)).all()
        assert alerts and all(a.status == "acknowledged" for a in alerts)
        assert {a.acknowledged_by for a in alerts} == {"user:turkana-officer"}
        protector = svc.protector
        to_reporter = [m for m in db.scalars(select(Message).where(Message.direction == "out"))
                       if protector.decrypt(m.recipient) == "+254712345678"]
        assert len(to_reporter) == 1
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "report.acknowledged"))
    assert to_reporter[0].id in [j.args[0][0] for j in svc.queue("alerts").jobs
                                 if j.func_name.endswith("send_messages")]


def test_status_change_is_recorded(officer_client, svc, turkana_report):
    """Setting a status changes the report and adds a timeline event and an audit entry."""
    post(officer_client, f"/console/reports/{turkana_report}/status", {"status": "resolved"})
    with svc.db() as db:
        report = db.scalar(select(Report).where(Report.reference == turkana_report))
        assert report.status == "resolved"
        event = db.scalar(select(ReportEvent).where(ReportEvent.kind == "status"))
        assert event.detail == {"from": "routed", "to": "resolved"}
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "report.status"))


def test_an_unknown_status_is_refused_plainly(officer_client, svc, turkana_report):
    """A status outside the list changes nothing and the page says which are allowed."""
    response = post(officer_client, f"/console/reports/{turkana_report}/status",
                    {"status": "deleted"})
    page = officer_client.get(response.location).text
    assert "Choose a status" in page
    with svc.db() as db:
        assert db.scalar(select(Report.status).where(Report.reference == turkana_report)) \
            == "routed"


def test_notes_are_added_and_escaped(officer_client, turkana_report):
    """A note appears in the timeline, as text."""
    post(officer_client, f"/console/reports/{turkana_report}/note", {"note": XSS})
    page = officer_client.get(f"/console/reports/{turkana_report}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and XSS not in page


def test_csv_export_holds_only_what_the_user_may_see(officer_client, svc, turkana_report,
                                                     mandera_report):
    """The officer's CSV has their county's reports, no numbers, and is audited."""
    make_report(svc, description="=HYPERLINK(\"http://x\")")
    response = officer_client.get("/console/reports.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    references = {r["reference"] for r in rows}
    assert turkana_report in references and mandera_report not in references
    assert "reporter_phone" not in rows[0]
    assert all(not r["description"].startswith("=") for r in rows)
    with svc.db() as db:
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "reports.export"))


def test_report_page_and_csv_show_the_place_named_and_location(admin_client, svc):
    """The place the reporter named and a shared location are on the report page
    and in the CSV (coordinates as numbers, a negative one not taken for a formula)."""
    reference = make_report(svc, county="nakuru", place_name="Nakuru", latitude=-0.303,
                            longitude=36.08)
    page = admin_client.get(f"/console/reports/{reference}").text
    assert '<dd id="place-name">Nakuru</dd>' in page
    assert '<dd id="location">-0.303, 36.080</dd>' in page
    rows = list(csv.DictReader(io.StringIO(admin_client.get("/console/reports.csv").text)))
    row = next(r for r in rows if r["reference"] == reference)
    assert (row["place_name"], row["latitude"], row["longitude"]) == ("Nakuru", "-0.303", "36.08")


def test_report_list_names_the_place_before_the_county(admin_client, svc):
    """The list's "Where" starts with the place named, once."""
    make_report(svc, place_name="Kakuma")
    make_report(svc, county="nakuru", place_name="Nakuru")
    page = admin_client.get("/console/reports").text
    assert "<td data-label=\"Where\">Kakuma, Turkana, Turkana North</td>" in page
    assert "<td data-label=\"Where\">Nakuru, Nakuru north</td>" in page  # the county's name is not repeated


def test_report_page_without_a_place_shows_no_place_lines(admin_client, svc):
    """Reports that named no place show neither line."""
    page = admin_client.get(f"/console/reports/{make_report(svc)}").text
    assert 'id="place-name"' not in page and 'id="location"' not in page


def test_csv_export_follows_the_filters(admin_client, svc):
    """The export holds the filtered list, not everything."""
    a = make_report(svc, category="trafficking")
    b = make_report(svc, category="other")
    text = admin_client.get("/console/reports.csv?category=trafficking").text
    assert a in text and b not in text


def test_admin_sees_a_consenting_number_only_with_a_reason(admin_client, svc):
    """The number stays masked until an admin states why; the reveal is audited."""
    reference = make_report(svc, contact=True, phone="+254712345678")
    assert "+254712345678" not in admin_client.get(f"/console/reports/{reference}").text
    refused = post(admin_client, f"/console/reports/{reference}/reveal", {"reason": ""})
    assert "+254712345678" not in admin_client.get(refused.location).text
    shown = post(admin_client, f"/console/reports/{reference}/reveal",
                 {"reason": "Calling back about the location"})
    assert "+254712345678" in shown.text
    with svc.db() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "report.number_revealed"))
        assert entry.detail["reason"] == "Calling back about the location"


def test_anonymous_reporters_number_cannot_be_revealed(admin_client, svc):
    """Without the reporter's consent even an admin is refused."""
    reference = make_report(svc, contact=False)
    response = post(admin_client, f"/console/reports/{reference}/reveal", {"reason": "please"})
    assert response.status_code == 403


def test_overview_draws_charts_within_scope(officer_client, svc, turkana_report,
                                            mandera_report):
    """The overview has server-drawn SVG charts and counts only the officer's counties."""
    page = officer_client.get("/console/overview").text
    assert page.count("<svg") >= 5
    assert "Turkana" in page and "Mandera" not in page
    assert turkana_report in page  # waiting for acknowledgement
    assert mandera_report not in page


def test_reveal_says_which_key_is_missing_when_no_key_reads_the_number(app, admin_client, svc):
    """With only a newer key configured, the reveal says the number was encrypted with
    a key no longer in ENCRYPTION_KEYS, instead of showing nothing."""
    from cryptography.fernet import Fernet

    reference = make_report(svc, contact=True, phone="+254712345678")
    app.config["ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    del svc.protector  # as a restarted process would, read the keys again
    shown = post(admin_client, f"/console/reports/{reference}/reveal",
                 {"reason": "Calling back about the location"})
    assert "not in ENCRYPTION_KEYS" in shown.text and "mpaka keys rotate" in shown.text


def test_overview_shows_reports_and_reporters_of_incidents(admin_client, svc):
    """An open incident is shown with both counts: reports and distinct reporters."""
    for _ in range(3):
        make_report(svc, category="trafficking", route=True)
    page = admin_client.get("/console/overview").text
    assert "3 reports from 3 reporters" in page


def test_csv_export_carries_county_and_sub_county_codes(admin_client, svc):
    """Each row has the KNBS county code and IEBC constituency code beside the labels."""
    reference = make_report(svc)  # Turkana, Turkana North
    rows = list(csv.DictReader(io.StringIO(admin_client.get("/console/reports.csv").text)))
    row = next(r for r in rows if r["reference"] == reference)
    assert (row["county"], row["county_code"]) == ("Turkana", "023")
    assert (row["sub_county"], row["sub_county_code"]) == ("Turkana North", "123")


def test_report_page_shows_the_codes_beside_county_and_sub_county(admin_client, svc):
    """The report page shows the county and constituency codes beside their labels."""
    page = admin_client.get(f"/console/reports/{make_report(svc)}").text
    assert 'Turkana <span class="hint" title="KNBS/IEBC county code">(023)</span>' in page
    assert "(123)</span>" in page
