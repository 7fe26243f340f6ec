"""Fast on slow links: versioned static files cached for a year, compressed
pages, static files and API JSON (never a POST's answer or the CSV), and no
main console page over 50 KB before images, with a busy day's data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from gateway.web.bandwidth import IMMUTABLE
from tests.api.conftest import bearer, token_for
from tests.console.conftest import make_report, post

GZIP = {"Accept-Encoding": "gzip"}
LIMIT = 50 * 1024


def static_urls(html):
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def page_weight(client, path: str) -> tuple[int, int]:
    """(bytes a phone downloads for the page on a first visit: the HTML, its
    stylesheet and script as sent to a browser that accepts gzip, as every
    phone browser does; the HTML's own size uncompressed)."""
    page = client.get(path, headers=GZIP)
    assert page.status_code == 200, path
    html = client.get(path)
    assets = sum(len(client.get(url, headers=GZIP).data) for url in static_urls(html.text))
    return len(page.data) + assets, len(html.data)


def test_static_urls_carry_the_files_content_hash(admin_client):
    """The CSS and JS URLs end in ?v=<12 hex digits of the content's SHA-256>."""
    urls = static_urls(admin_client.get("/console/overview").text)
    assert len(urls) == 2
    assert all(re.search(r"\?v=[0-9a-f]{12}$", url) for url in urls)


def test_versioned_static_files_are_cached_for_a_year(admin_client):
    """Under its current versioned URL a file is public, immutable, a year."""
    for url in static_urls(admin_client.get("/console/overview").text):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("query", ["", "?v=0123456789ab"], ids=["no version", "an old version"])
def test_unversioned_or_stale_static_urls_are_revalidated(client, query):
    """Without the current hash a file is not cached for long (Flask's no-cache)."""
    response = client.get(f"/static/console.css{query}")
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/console/overview", "/console/reports"])
def test_console_pages_are_compressed(admin_client, svc, path):
    """HTML pages over 500 bytes are sent compressed to a browser accepting gzip."""
    make_report(svc, route=True)
    response = admin_client.get(path, headers=GZIP)
    assert response.headers.get("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]


def test_static_files_are_compressed(client):
    """The stylesheet is sent gzip-compressed."""
    response = client.get("/static/console.css", headers=GZIP)
    assert response.headers.get("Content-Encoding") == "gzip"


def test_api_json_is_compressed(app, svc):
    """The API (bearer tokens, no cookies) answers lists compressed."""
    for n in range(5):
        make_report(svc, description=f"Report number {n} near the borehole")
    response = app.test_client().get("/api/v1/reports",
                                     headers=bearer(token_for(svc, "admin")) | GZIP)
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == "gzip"


def test_a_post_answer_with_a_revealed_number_is_not_compressed(admin_client, svc):
    """The page showing a reporter's number (a POST's answer) is never compressed."""
    reference = make_report(svc, contact=True, phone="+254712345678")
    token_page = admin_client.get("/console/account/password").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', token_page).group(1)
    response = admin_client.post(f"/console/reports/{reference}/reveal", headers=GZIP,
                                 data={"reason": "Calling back", "csrf_token": token})
    assert response.status_code == 200 and "+254712345678" in response.text
    assert "Content-Encoding" not in response.headers


def test_the_csv_export_is_not_compressed(admin_client, svc):
    """The export of reporters' words stays uncompressed (docs/console.md)."""
    for _ in range(5):
        make_report(svc)
    response = admin_client.get("/console/reports.csv", headers=GZIP)
    assert "Content-Encoding" not in response.headers


@pytest.fixture
def busy_day(svc, admin_client):
    """A busy day: 60 routed reports (more than a page) with the longest
    descriptions, notes and an acknowledgement on the first."""
    start = datetime.now(UTC) - timedelta(hours=20)
    references = [
        make_report(svc, route=True, description=("Armed men with camels near the borehole, "
                                                  "heading west " * 12)[:300],
                    created_at=start + timedelta(minutes=20 * n))
        for n in range(60)
    ]
    post(admin_client, f"/console/reports/{references[0]}/acknowledge")
    for n in range(5):
        post(admin_client, f"/console/reports/{references[0]}/note",
             {"note": f"Note {n}: " + "called the chief, team on its way " * 10})
    return references


MAIN_PAGES = ["/console/queue", "/console/overview", "/console/reports", "/console/reports/held",
              "/console/reports/{first}", "/console/scripts", "/console/scripts/report/versions/1",
              "/console/scripts/report/funnel", "/console/scripts/report/diff",
              "/console/scripts/report/versions/1/texts/gax",
              "/console/admin/teams", "/console/admin/rules", "/console/admin/escalation",
              "/console/admin/users", "/console/admin/messages", "/console/admin/audit"]


def test_no_main_page_is_over_50_kb_before_images(admin_client, busy_day):
    """With a busy day's data, what a phone downloads for each main page on a
    first visit (HTML, stylesheet and script, compressed as sent) is under
    50 KB, and so is the HTML itself before compression."""
    sizes = {path: page_weight(admin_client, path.format(first=busy_day[0])) for path in MAIN_PAGES}
    print("page sizes (downloaded, HTML uncompressed; bytes):", sizes)
    over = {path: size for path, size in sizes.items() if max(size) > LIMIT}
    assert not over, f"pages over 50 KB: {over} (all: {sizes})"
