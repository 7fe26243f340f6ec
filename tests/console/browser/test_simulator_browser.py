"""The simulator in a real browser: each step is one fetch to the simulate URL
(never a 404 to ``[object HTMLInputElement]`` followed by a full reload), and
the whole walk stays on the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..conftest import ADMIN_PASSWORD
from .conftest import log_in, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_simulator_steps_by_fetch_without_a_404_and_keeps_its_history(page, live_server):
    """Start, then four replies: every request answers 200 at the form's own
    URL, the page is never reloaded, and every earlier screen is listed."""
    responses, navigations = [], []
    page.on("response", lambda r: responses.append((r.status, r.url, r.request.method)))
    log_in(page, live_server, "admin", ADMIN_PASSWORD)
    page.goto(f"{live_server}/console/scripts/report")
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    page.get_by_label("Channel").select_option("ussd")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#sim-screen")).to_contain_text("Language / Lugha")
    for reply, shown in (("1", "What is happening?"), ("5", "Which county?"),
                         ("1", "Which sub-county?"), ("2", "When?")):
        page.get_by_label("Reply").fill(reply)
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#sim-screen")).to_contain_text(shown)

    history = page.locator("#sim-history li")
    expect(history).to_have_count(4)
    expect(history.first).to_contain_text("Language / Lugha")
    expect(page.locator("#sim-history")).to_contain_text("Which county?")
    screenshot(page, "simulator-history")

    assert not [r for r in responses if r[0] == 404], responses
    assert not [r for r in responses if "[object" in r[1]], responses
    posts = [r for r in responses if r[2] == "POST" and "/scripts/" in r[1]]
    assert len(posts) == 5 and all(r[0] == 200 and r[1].endswith("/simulate") for r in posts)
    assert navigations == [], f"the page reloaded: {navigations}"
