"""The console in a real browser (Debian's Chromium through Playwright): what
a county officer and an admin do every day."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers import add_attachment

from ..conftest import ADMIN_PASSWORD, PASSWORD, make_report
from .conftest import log_in, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_officer_logs_in_and_filters_reports(page, live_server, svc, users):
    """A county officer logs in, sees the overview, filters the list by category."""
    boat = make_report(svc, category="trafficking", description="Boat with young women")
    lorry = make_report(svc, category="goods_smuggling", description="Sugar lorry at night")
    log_in(page, live_server, "turkana-officer", PASSWORD)
    expect(page.get_by_role("heading", name="Needs action")).to_be_visible()
    page.get_by_role("link", name="Overview", exact=True).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    screenshot(page, "overview")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_text(boat)).to_be_visible()
    page.get_by_label("Category").select_option("trafficking")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text(boat)).to_be_visible()
    expect(page.get_by_text(lorry)).to_have_count(0)
    screenshot(page, "reports")


def test_officer_opens_a_report_and_acknowledges_it(page, live_server, svc, users):
    """The report page shows the escaped description; Acknowledge marks it acknowledged."""
    reference = make_report(svc, description="<script>alert(1)</script>", route=True)
    log_in(page, live_server, "turkana-officer", PASSWORD)
    page.goto(f"{live_server}/console/reports/{reference}")
    expect(page.locator(".description")).to_have_text("<script>alert(1)</script>")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_have_text("Acknowledged.")
    expect(page.locator("#report-status")).to_have_text("Acknowledged")
    expect(page.locator(".timeline")).to_contain_text("by turkana-officer")
    screenshot(page, "report")


def test_officer_sees_the_photo_sent_with_a_report(page, live_server, svc, users):
    """A photo sent with a report shows on its page: the browser loads it from the
    scoped route under the console's Content-Security-Policy."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 40)).save(out, "PNG")
    reference = make_report(svc, description="Gunmen at the well")
    add_attachment(svc, reference, out.getvalue())
    log_in(page, live_server, "turkana-officer", PASSWORD)
    page.goto(f"{live_server}/console/reports/{reference}")
    photo = page.get_by_role("img", name="Photo 1 sent with the report")
    expect(photo).to_be_visible()
    page.wait_for_function("() => document.querySelector('img.attachment').naturalWidth === 32")
    screenshot(page, "report-photo")


def test_officer_of_another_county_is_refused_by_url(page, live_server, svc, users):
    """A Mandera officer typing a Turkana report's URL sees "Not found", exactly as
    for a reference that does not exist, and nothing of the report."""
    reference = make_report(svc, county="turkana", description="Secret details")
    log_in(page, live_server, "mandera-officer", PASSWORD)
    response = page.goto(f"{live_server}/console/reports/{reference}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("Secret details")).to_have_count(0)
    screenshot(page, "refused")


def test_admin_edits_lints_simulates_and_publishes_a_script(page, live_server, client):
    """An admin rewords a Kiswahili prompt, sees a lint error appear and go, walks the
    draft in the simulator, publishes it, and a new USSD session uses it."""
    log_in(page, live_server, "admin", ADMIN_PASSWORD)
    page.goto(f"{live_server}/console/scripts/report")
    editor = page.get_by_label(re.compile("Script YAML"))
    original = editor.input_value()
    reworded = original.replace("prompt: Nini kinatokea?", "prompt: Kuna nini?", 1)
    assert reworded != original
    broken = reworded.replace("filter_by: county", "filter_by: kaunti", 1)
    editor.fill(broken)
    expect(page.locator("#lint-summary")).to_contain_text("1 error(s)")
    expect(page.locator(".issue-error")).to_contain_text("line")
    screenshot(page, "script-lint-error")
    editor.fill(reworded)
    expect(page.locator("#lint-summary")).to_contain_text("No errors")
    page.get_by_role("button", name="Save as new draft").click()
    expect(page.get_by_role("heading", name=re.compile("version 2"))).to_be_visible()

    page.get_by_label("Channel").select_option("ussd")
    page.get_by_label("Language", exact=True).select_option("swa")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#sim-screen")).to_contain_text("Kuna nini?")
    page.get_by_label("Reply").fill("1")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#sim-screen")).to_contain_text("Kaunti gani?")
    screenshot(page, "script-editor")

    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish report version 2?")
    page.get_by_role("button", name="Yes, publish version 2").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 is live")
    ussd = {"sessionId": "ATUid_browser", "phoneNumber": "+254739495441",
            "networkCode": "99999", "serviceCode": "*384*44135#"}
    page.request.post(f"{live_server}/webhooks/africastalking/ussd", form={**ussd, "text": ""})
    screen = page.request.post(f"{live_server}/webhooks/africastalking/ussd",
                               form={**ussd, "text": "2"}).text()
    assert "Kuna nini?" in screen


def test_main_admin_pages_render(page, live_server, svc, users):
    """Every main admin page opens in the browser (screenshots for review)."""
    make_report(svc, route=True)
    log_in(page, live_server, "admin", ADMIN_PASSWORD)
    for name, path, heading in [
        ("scripts", "/console/scripts", "Dialogue scripts"),
        ("funnel", "/console/scripts/report/funnel", "Funnel"),
        ("diff", "/console/scripts/report/diff", "Compare"),
        ("teams", "/console/admin/teams", "Teams"),
        ("team", "/console/admin/teams/1", "county team"),
        ("rules", "/console/admin/rules", "Routing rules"),
        ("escalation", "/console/admin/escalation", "Escalation policy"),
        ("users", "/console/admin/users", "Users"),
        ("messages", "/console/admin/messages", "Message ledger"),
        ("audit", "/console/admin/audit", "Audit log"),
        ("partners", "/console/admin/partners", "Partners"),
        ("digest", "/console/digest", "Weekly summary"),
    ]:
        page.goto(live_server + path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        screenshot(page, name)


def test_console_is_usable_on_a_phone(phone_page, live_server, svc, users):
    """At 360 pixels the pages do not scroll sideways; wide tables scroll in their box."""
    reference = make_report(svc, route=True)
    log_in(phone_page, live_server, "turkana-officer", PASSWORD)
    for name, path in [("phone-overview", "/console/overview"),
                       ("phone-reports", "/console/reports"),
                       ("phone-digest", "/console/digest"),
                       ("phone-report", f"/console/reports/{reference}")]:
        phone_page.goto(live_server + path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide"
        screenshot(phone_page, name)
    phone_page.get_by_role("button", name="Acknowledge").click()
    expect(phone_page.get_by_role("status")).to_have_text("Acknowledged.")


def test_weekly_summary_prints_without_navigation_or_forms(page, live_server, svc, users):
    """Printed (print media), the summary keeps its figures and drops the
    navigation and the week picker."""
    log_in(page, live_server, "turkana-officer", PASSWORD)
    page.goto(live_server + "/console/digest")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Weekly summary")
    expect(page.locator("#digest-sms")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Show")).to_be_hidden()
    screenshot(page, "digest-print")
