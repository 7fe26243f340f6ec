"""The console on a slow mobile link: its landing page paints within 2 s on
an emulated 3G connection."""

from __future__ import annotations

import pytest

from ..conftest import PASSWORD
from .conftest import DEADLINE_MS, log_in, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: Chrome DevTools' "Regular 3G"-like profile: 300 ms of latency added to
#: every request, 750 kbit/s down, 250 kbit/s up.
THREE_G = {"offline": False, "latency": 300, "downloadThroughput": 750 * 1024 / 8,
           "uploadThroughput": 250 * 1024 / 8}
PAINT_BUDGET_MS = 2000
TRIES = 3


def first_contentful_paint(page, url: str) -> float:
    """Load ``url`` with an empty cache on the emulated 3G link; the page's
    first contentful paint, in ms after navigation start, from the browser's
    own performance timeline."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", THREE_G)
    try:
        page.goto(url, wait_until="load")
        page.wait_for_function(
            "() => performance.getEntriesByName('first-contentful-paint').length > 0",
            timeout=DEADLINE_MS)
        return page.evaluate(
            "() => performance.getEntriesByName('first-contentful-paint')[0].startTime")
    finally:
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        cdp.detach()


def test_landing_page_paints_within_two_seconds_on_3g(browser, live_server, users):
    """What it checks: a county officer, logged in, opens ``/console/`` (the
    page it lands on, redirect included) over a network emulated by Chromium
    itself (CDP ``Network.emulateNetworkConditions``: 300 ms latency per
    request, 750 kbit/s down, 250 kbit/s up) with the browser cache disabled,
    as on a first visit; the browser's own Paint Timing entry
    ``first-contentful-paint`` (measured from navigation start, so it counts
    the redirect, the page, and its render-blocking stylesheet) must be under
    2 s, with the page's main heading shown.

    Why this is not a test that needs a quiet machine: the time is the
    browser's, and the emulated network (about 1 s of latency and transfer
    for the redirect, the page and the stylesheet) dominates it; the server is
    warmed first (one unthrottled load, so templates are compiled), and the
    best of three cold loads counts, so a moment of CPU contention on a shared
    runner does not fail it, while a page grown too heavy or a new
    render-blocking request fails every load."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(DEADLINE_MS)
    try:
        log_in(page, live_server, "turkana-officer", PASSWORD)
        page.goto(f"{live_server}/console/")  # warm: templates compiled, connections open
        landing = page.url
        paints = []
        for _ in range(TRIES):
            paints.append(first_contentful_paint(page, f"{live_server}/console/"))
            assert page.url == landing
            assert page.locator("h1").first.is_visible()
            if paints[-1] < PAINT_BUDGET_MS:
                break
        screenshot(page, "landing-3g")
        assert min(paints) < PAINT_BUDGET_MS, (
            f"first contentful paint of {landing} on 3G: {paints} ms, budget "
            f"{PAINT_BUDGET_MS} ms")
    finally:
        context.close()
