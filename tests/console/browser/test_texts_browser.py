"""Script texts for people who do not write YAML, in a real browser at a
phone's and a desk's size: the texts table is edited in place with the linter
answering as the admin types, saved as a draft, and published only after a
confirmation page that sums up the changes.  The message ledger is read on a
phone.  Each page is checked with axe-core (no critical violation)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import land_ledger

from ..conftest import ADMIN_PASSWORD
from .a11y import assert_no_critical
from .conftest import DEADLINE_MS, log_in, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SIZES = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1280, "height": 900}}
KEY = "steps.category.prompt"


@pytest.fixture(params=list(SIZES))
def sized_page(request, browser):
    """A page at 390×844 (a phone, touch) and at 1280×900."""
    phone = request.param == "phone"
    context = browser.new_context(viewport=SIZES[request.param], is_mobile=phone,
                                  has_touch=phone)
    page = context.new_page()
    page.set_default_timeout(DEADLINE_MS)
    page.size_name = request.param
    yield page
    context.close()


def no_sideways_scroll(page) -> None:
    """Nothing of the page is off-screen to the right (wide tables scroll in their box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"


def test_texts_table_edit_lint_and_publish_with_confirmation(sized_page, live_server):
    """An admin types a Kiswahili translation that drops a placeholder-free
    rule (a stray {x}): the linter names the key as they type; corrected, it
    says no errors; saved, the table shows the new draft version; Publish
    opens a confirmation with the changed text listed, and only its Yes
    makes the version live."""
    page = sized_page
    errors = []
    page.on("response", lambda r: errors.append((r.status, r.url)) if r.status >= 400 else None)
    log_in(page, live_server, "admin", ADMIN_PASSWORD)
    page.goto(f"{live_server}/console/scripts/report/versions/1")
    page.get_by_role("link", name=re.compile("Texts in Kiswahili")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("in Kiswahili (swa)")
    box = page.get_by_role("textbox", name=KEY)
    expect(box).to_have_value("Nini kinatokea?")

    box.fill("Nini {x} kinatokea?")
    expect(page.locator("#lint-summary")).to_contain_text("1 text(s) refused")
    expect(page.locator("#lint-refused")).to_contain_text(KEY)
    box.fill("Kuna nini?")
    expect(page.locator("#lint-summary")).to_have_text(re.compile("^No errors"))
    no_sideways_scroll(page)
    assert_no_critical(page, "script texts")
    screenshot(page, f"script-texts-{page.size_name}")

    page.get_by_role("button", name="Save texts as new draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("v2 in Kiswahili")
    expect(page.get_by_role("status")).to_contain_text("draft version 2")
    expect(page.get_by_role("textbox", name=KEY)).to_have_value("Kuna nini?")

    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish report version 2?")
    expect(page.locator("#change-summary")).to_contain_text("Steps changed: none")
    page.locator("#change-summary details").first.locator("summary").click()
    expect(page.locator("#change-summary")).to_contain_text(KEY)
    no_sideways_scroll(page)
    assert_no_critical(page, "publish confirmation")
    screenshot(page, f"script-publish-confirm-{page.size_name}")
    page.get_by_role("button", name="Yes, publish version 2").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 is live")
    assert errors == [], errors


def test_simulator_has_no_failed_request_and_keeps_its_whole_history(sized_page,
                                                                      live_server):
    """Each simulator step is answered without a 4xx or 5xx (no 404 to a
    misread form action), and every screen exchanged stays listed."""
    page = sized_page
    failed = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    log_in(page, live_server, "admin", ADMIN_PASSWORD)
    page.goto(f"{live_server}/console/scripts/report")
    page.get_by_label("Channel").select_option("ussd")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#sim-screen")).to_contain_text("Language / Lugha")
    for reply, shown in (("1", "What is happening?"), ("5", "Which county?"),
                         ("1", "Which sub-county?")):
        page.get_by_label("Reply").fill(reply)
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#sim-screen")).to_contain_text(shown)
    history = page.locator("#sim-history li")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("Language / Lugha")
    expect(history.nth(1)).to_contain_text("What is happening?")
    expect(history.nth(2)).to_contain_text("Which county?")
    no_sideways_scroll(page)
    assert_no_critical(page, "script editor with simulator")
    screenshot(page, f"simulator-{page.size_name}")
    assert failed == [], failed


def test_ledger_shows_one_entry_per_dialogue_readable_on_a_phone(sized_page, live_server, svc):
    """A USSD session's screens are one ledger entry; its toggle opens every
    message; nothing runs off the side of a phone's screen."""
    page = sized_page
    ussd = {"sessionId": "ATUid_ledger", "phoneNumber": "+254739495441",
            "networkCode": "99999", "serviceCode": "*384*44135#"}
    for text in ("", "1", "1*1"):
        page.request.post(f"{live_server}/webhooks/africastalking/ussd",
                          form={**ussd, "text": text})
    land_ledger(svc)
    log_in(page, live_server, "admin", ADMIN_PASSWORD)
    page.goto(f"{live_server}/console/admin/messages")
    entries = page.locator("#ledger > li")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("6 messages (3 in, 3 out)")
    entries.first.locator("summary").click()
    expect(entries.first.locator(".messages li")).to_have_count(6)
    expect(entries.first.locator(".messages")).to_contain_text("What is happening?")
    expect(page.locator("body")).not_to_contain_text("+254739495441")
    no_sideways_scroll(page)
    assert_no_critical(page, "message ledger")
    screenshot(page, f"ledger-{page.size_name}")
