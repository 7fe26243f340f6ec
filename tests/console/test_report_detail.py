"""The report page as an officer works on it: the current status is the one
selected, answers read as the script labels them, the acknowledgement is shown
once, every actor is named alike, and a revealed number can be called."""

from __future__ import annotations

import re

from sqlalchemy import select

from gateway.store.models import Report
from tests.console.conftest import make_report, post


def page(client, reference):
    response = client.get(f"/console/reports/{reference}")
    assert response.status_code == 200
    return response.text


def selected_option(html):
    select_html = re.search(r'<select id="status".*?</select>', html, re.S).group(0)
    return re.search(r"<option[^>]*selected[^>]*>([^<]*)</option>", select_html).group(1)


def test_status_selector_shows_the_current_status(admin_client, svc):
    """A routed report's selector shows "Routed (current)", not "Investigating"."""
    reference = make_report(svc, route=True)
    with svc.db() as db:
        assert db.scalar(select(Report.status).where(Report.reference == reference)) == "routed"
    assert selected_option(page(admin_client, reference)) == "Routed (current)"
    post(admin_client, f"/console/reports/{reference}/status", {"status": "resolved"})
    assert selected_option(page(admin_client, reference)) == "Resolved (current)"


def test_every_answer_shows_the_scripts_labels_not_ids(admin_client, svc):
    """``armed_attack`` reads "Armed attack or raid", ``turkana_west`` "Turkana West"."""
    reference = make_report(svc, category="armed_attack")
    with svc.db() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        report.sub_county = "turkana_west"
        report.answers = {"language": "swa", "category": "armed_attack", "county": "turkana",
                          "sub_county": "turkana_west", "when": "now", "description": "x y z"}
        db.commit()
    html = page(admin_client, reference)
    answers = html[html.index("Every answer"):html.index('id="actions-h"')]
    for shown in ("Armed attack or raid", "Turkana West", "Happening now", "Kiswahili"):
        assert shown in answers
    for raw in ("armed_attack", "turkana_west", ">now<", ">swa<"):
        assert raw not in answers
    assert "Turkana west" not in html


def test_acknowledged_state_is_shown_once_without_acknowledge_again(admin_client, svc):
    """Before: an Acknowledge button.  After: who and when, and no button at all."""
    reference = make_report(svc, route=True)
    assert 'id="acknowledge"' in page(admin_client, reference)
    post(admin_client, f"/console/reports/{reference}/acknowledge")
    html = page(admin_client, reference)
    assert 'id="acknowledge"' not in html and "Acknowledge again" not in html
    assert re.search(r'id="acknowledged">\d{2} \w{3} \d{4} \d{2}:\d{2} EAT by admin<', html)


def test_the_actor_is_named_alike_everywhere(admin_client, svc):
    """Notes, status changes and acknowledgements say "admin", never "user:admin"."""
    reference = make_report(svc, route=True)
    post(admin_client, f"/console/reports/{reference}/acknowledge")
    post(admin_client, f"/console/reports/{reference}/status", {"status": "investigating"})
    post(admin_client, f"/console/reports/{reference}/note", {"note": "Called the chief"})
    html = page(admin_client, reference)
    assert "user:admin" not in html
    assert html.count("by admin") >= 3


def test_revealed_number_is_a_tel_link(admin_client, svc):
    """The number an admin reveals can be dialled with one tap."""
    reference = make_report(svc, contact=True, phone="+254712345678")
    shown = post(admin_client, f"/console/reports/{reference}/reveal",
                 {"reason": "Calling back about the location"})
    assert '<a id="reporter-number" href="tel:+254712345678">' in shown.text
