"""The map and incidents in a real browser (Debian's Chromium through
Playwright), on a 390 x 844 phone and a 1280 x 900 screen: an officer reads
the counts on the map and taps through to the reports; merges two incidents
and closes one with a reason.  Each page passes axe-core's critical checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from gateway.routing import incidents
from gateway.store.models import Incident, Report

from ..conftest import PASSWORD, make_report
from .a11y import assert_no_critical
from .conftest import DEADLINE_MS, log_in, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(params=list(VIEWPORTS))
def sized(browser, request):
    """A page at each size (the phone one a mobile viewport), and the size's name."""
    context = browser.new_context(viewport=VIEWPORTS[request.param],
                                  is_mobile=request.param == "phone")
    page = context.new_page()
    page.set_default_timeout(DEADLINE_MS)
    yield page, request.param
    context.close()


def report_at(svc, sub_county, minutes_ago=0, **kwargs) -> str:
    reference = make_report(svc, created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
                            **kwargs)
    with svc.db() as db:
        db.scalar(select(Report).where(Report.reference == reference)).sub_county = sub_county
        db.commit()
    return reference


def grouped(svc, category, count=2) -> int:
    ids = []
    for n in range(count):
        reference = make_report(svc, category=category, phone=f"+2547123400{n:02d}",
                                created_at=datetime.now(UTC) - timedelta(minutes=5 * n))
        with svc.db() as db:
            ids.append(db.scalar(select(Report.id).where(Report.reference == reference)))
    found = {incidents.observe(svc, report_id) for report_id in ids}
    assert len(found) == 1
    return found.pop()


def test_officer_reads_the_map_and_taps_through_to_the_reports(sized, live_server, svc, users):
    """The map shows Turkana West's two reports (high); its tile opens the list of
    that sub-county; the table lists the same counts."""
    page, size = sized
    west = [report_at(svc, "turkana_west", minutes_ago=m, severity=s)
            for m, s in ((5, "high"), (50, "low"))]
    report_at(svc, "loima", severity="medium")
    log_in(page, live_server, "turkana-officer", PASSWORD)
    page.goto(f"{live_server}/console/overview")  # officers land on the queue
    expect(page.locator("#overview-incidents")).to_be_visible()
    expect(page.locator(".map-small svg.map")).to_be_visible()
    page.goto(f"{live_server}/console/map")
    expect(page.get_by_role("heading", name="Map")).to_be_visible()
    tile = page.locator('svg.map a[href*="sub_county=turkana_west"]')
    expect(tile.locator("title")).to_contain_text("Turkana West, Turkana: 2 reports, "
                                                  "highest severity High")
    expect(tile.locator("text").first).to_have_text("2")
    row = page.locator("#map-table tbody tr").first
    expect(row).to_contain_text("Turkana West")
    expect(row.locator("td").first).to_have_text("2")
    assert_no_critical(page, "map")
    screenshot(page, f"map-{size}")
    tile.scroll_into_view_if_needed()
    tile.click()
    page.wait_for_url("**/console/reports?*sub_county=turkana_west*")
    assert "county=turkana" in page.url
    expect(page.get_by_text(west[0])).to_be_visible()
    screenshot(page, f"map-click-through-{size}")


def test_officer_merges_two_incidents_and_closes_one(sized, live_server, svc, users):
    """Merging moves the other incident's reports here (it is closed as merged);
    closing with a reason shows the status and the reason."""
    page, size = sized
    kept = grouped(svc, "terrorism")
    other = grouped(svc, "trafficking")
    log_in(page, live_server, "turkana-officer", PASSWORD)
    page.goto(f"{live_server}/console/incidents")
    expect(page.get_by_role("link", name=f"#{kept} ")).to_be_visible()
    assert_no_critical(page, "incidents")
    screenshot(page, f"incidents-{size}")
    page.get_by_role("link", name=f"#{kept} ").click()
    expect(page.locator("#report-count")).to_have_text("2")
    page.get_by_label("Merge another incident into this one").select_option(str(other))
    page.get_by_role("button", name="Merge").click()
    expect(page.get_by_role("status")).to_contain_text(f"Incident {other} was merged into this one")
    expect(page.locator("#report-count")).to_have_text("4")
    assert_no_critical(page, "incident")
    screenshot(page, f"incident-merged-{size}")
    page.get_by_label("Close with a reason").fill("Herders moved on; chiefs informed")
    page.get_by_role("button", name="Close incident").click()
    expect(page.locator("#incident-status")).to_have_text("Closed")
    expect(page.locator("#close-reason")).to_contain_text("Herders moved on; chiefs informed")
    screenshot(page, f"incident-closed-{size}")
    with svc.db() as db:
        assert db.get(Incident, other).merged_into_id == kept
        assert db.get(Incident, kept).status == "closed"
