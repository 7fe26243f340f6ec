"""A live console on 127.0.0.1 (werkzeug in a thread) and Debian's Chromium
driven by Playwright.  Browser tests run on SQLite only: the same views run
on PostgreSQL in the non-browser suite."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

#: Playwright waits for readiness itself (auto-waiting); this is only the
#: deadline, generous so that a busy machine is slower, not failing.
DEADLINE_MS = 30_000
expect.set_options(timeout=DEADLINE_MS)  # its default is 5 s

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"


@pytest.fixture
def database_url(sqlite_url):
    from tests.conftest import empty_tables

    empty_tables(sqlite_url)
    return sqlite_url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):  # CI must run the browser tests, never skip them
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(DEADLINE_MS)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(DEADLINE_MS)
    yield page
    context.close()


#: The viewports every operations-room test runs at: a 390 px phone and a desktop.
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request, browser):
    """A page at 390x844 (a phone, touch) and, as a second run, at 1280x900."""
    phone = request.param == "phone"
    context = browser.new_context(viewport=VIEWPORTS[request.param], is_mobile=phone,
                                  has_touch=phone)
    page = context.new_page()
    page.set_default_timeout(DEADLINE_MS)
    page.viewport_name = request.param
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # Officers land on the queue (what needs action); older pages led to the overview.
    page.wait_for_url(re.compile(re.escape(base) + r"/console/(queue|overview)$"))
