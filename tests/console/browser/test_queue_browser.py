"""The operations room in a real browser, at 390x844 (a phone) and 1280x900:
the queue with the overdue report first, acknowledging from it, assigning,
filtering by sub-county, and a new report appearing without a reload.
Each page is checked with axe-core (no critical violation) and screenshotted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from gateway.store.models import Alert, Report

from ..conftest import PASSWORD, make_report
from .a11y import assert_no_critical
from .conftest import log_in, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def make_overdue(svc, reference: str) -> None:
    with svc.db() as db:
        report_id = db.scalar(select(Report.id).where(Report.reference == reference))
        db.execute(update(Alert).where(Alert.report_id == report_id)
                   .values(deadline_at=datetime.now(UTC) - timedelta(minutes=5)))
        db.commit()


def fits_the_width(page) -> bool:
    """Nothing scrolls sideways: the page is no wider than the viewport."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def within_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_queue_shows_the_overdue_report_first(sized_page, live_server, svc, users):
    """The officer lands on the queue; the overdue report is the first row, and its
    severity, status and Acknowledge button are on screen without sideways scrolling."""
    page = sized_page
    now = datetime.now(UTC)
    make_report(svc, severity="high", created_at=now - timedelta(minutes=2))
    make_report(svc, severity="low", created_at=now - timedelta(minutes=1))
    overdue = make_report(svc, severity="medium", route=True, sub_county="turkana_west",
                          place_name="Kakuma", created_at=now - timedelta(hours=2))
    make_overdue(svc, overdue)
    log_in(page, live_server, "turkana-officer", PASSWORD)
    expect(page).to_have_url(re.compile(r"/console/queue$"))
    first = page.locator(".q-row").first
    expect(first).to_have_attribute("data-ref", overdue)
    expect(first).to_contain_text("Overdue")
    expect(first).to_contain_text("Turkana West, Kakuma")
    for part in (first.locator(".sev"), first.locator(".q-status"),
                 first.get_by_role("button", name=f"Acknowledge {overdue}")):
        expect(part).to_be_visible()
        assert within_viewport(page, part)
    assert fits_the_width(page)
    assert_no_critical(page, "queue")
    screenshot(page, f"queue-{page.viewport_name}")


def test_acknowledge_from_the_queue(sized_page, live_server, svc, users):
    """One tap on a row's Acknowledge acknowledges it and comes back to the queue."""
    page = sized_page
    reference = make_report(svc, route=True)
    log_in(page, live_server, "turkana-officer", PASSWORD)
    page.get_by_role("button", name=f"Acknowledge {reference}").click()
    expect(page.get_by_role("status")).to_have_text(f"{reference} acknowledged.")
    expect(page).to_have_url(re.compile(r"/console/queue$"))
    expect(page.locator(f'.q-row[data-ref="{reference}"]')).to_have_count(0)
    with svc.db() as db:
        assert db.scalar(select(Report.acknowledged_at).where(Report.reference == reference))
    screenshot(page, f"queue-acknowledged-{page.viewport_name}")


def test_open_a_report_and_assign_it(sized_page, live_server, svc, users):
    """From the queue one tap opens the report; the officer assigns it to themselves,
    and the report and the "assigned to me" list say so."""
    page = sized_page
    reference = make_report(svc, route=True, category="armed_attack")
    log_in(page, live_server, "turkana-officer", PASSWORD)
    page.locator(f'.q-row[data-ref="{reference}"] .q-open').click()
    expect(page.get_by_role("heading", name=f"Report {reference}")).to_be_visible()
    assert_no_critical(page, "report detail")
    page.get_by_label("Assign to").select_option("turkana-officer")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Assigned to turkana-officer.")
    expect(page.locator("#assigned-to")).to_have_text("turkana-officer")
    expect(page.locator(".timeline")).to_contain_text("to turkana-officer by turkana-officer")
    screenshot(page, f"report-assigned-{page.viewport_name}")
    page.goto(f"{live_server}/console/reports?assigned=me")
    expect(page.get_by_role("link", name=reference)).to_be_visible()


def test_filter_reports_by_sub_county(sized_page, live_server, svc, users):
    """Choosing a sub-county and filtering keeps its reports only, in a shareable URL."""
    page = sized_page
    west = make_report(svc, sub_county="turkana_west", description="Cattle raid at dawn")
    north = make_report(svc, sub_county="turkana_north", description="Boat at night")
    log_in(page, live_server, "turkana-officer", PASSWORD)
    page.goto(f"{live_server}/console/reports")
    assert_no_critical(page, "report list")
    page.get_by_label("Sub-county").select_option(label="Turkana West")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"sub_county=turkana_west"))
    expect(page.get_by_role("link", name=west)).to_be_visible()
    expect(page.get_by_role("link", name=north)).to_have_count(0)
    screenshot(page, f"reports-sub-county-{page.viewport_name}")
    page.goto(f"{live_server}/console/reports?q=Turkana+West")
    expect(page.get_by_role("link", name=west)).to_be_visible()
    expect(page.get_by_role("link", name=north)).to_have_count(0)


def test_a_new_report_appears_without_a_reload(sized_page, live_server, svc, users):
    """With the queue open, a new high-severity report stored in the database shows
    up by itself (no navigation), with a visible cue and a tone; turned off, the
    sound stays off for the next one, and the choice is remembered."""
    page = sized_page
    make_report(svc, severity="low")
    log_in(page, live_server, "turkana-officer", PASSWORD)
    sound = page.locator("#queue-sound")
    expect(sound).to_have_text("Sound on")
    page.evaluate("() => { window.stillTheSamePage = true; }")
    page.locator("h1").click()  # a tap on the page lets the browser play sound
    fresh = make_report(svc, severity="high", description="Gunmen on the road",
                        sub_county="turkana_west")
    expect(page.locator(f'.q-row[data-ref="{fresh}"]')).to_be_visible()
    cue = page.locator("#queue-cue")
    expect(cue).to_have_text(f"New high-severity report: {fresh}")
    expect(cue).to_have_attribute("data-sound", "played")
    sound.click()
    expect(sound).to_have_text("Sound off")
    expect(sound).to_have_attribute("aria-pressed", "false")
    second = make_report(svc, severity="high", description="Second raid")
    expect(cue).to_have_text(f"New high-severity report: {second}")
    expect(cue).to_have_attribute("data-sound", "off")
    assert page.evaluate("() => window.stillTheSamePage === true")
    assert page.evaluate("() => localStorage.getItem('mpaka.queue.sound')") == "off"
    screenshot(page, f"queue-new-report-{page.viewport_name}")
    page.reload()
    expect(page.locator("#queue-sound")).to_have_text("Sound off")


def test_the_report_list_shows_severity_and_status_in_view(sized_page, live_server, svc, users):
    """On the report list each report's severity and status are on screen, with
    nothing scrolling sideways (on a phone each report is a card)."""
    page = sized_page
    reference = make_report(svc, severity="high", sub_county="turkana_west")
    log_in(page, live_server, "turkana-officer", PASSWORD)
    page.goto(f"{live_server}/console/reports")
    row = page.locator("table.list tbody tr").first
    expect(row).to_contain_text(reference)
    for cell in (row.locator(".sev"), row.locator("td[data-label=Status]")):
        expect(cell).to_be_visible()
        assert within_viewport(page, cell)
    assert fits_the_width(page)
    assert_no_critical(page, "report list")
    screenshot(page, f"report-list-{page.viewport_size['width']}")
