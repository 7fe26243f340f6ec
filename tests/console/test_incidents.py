"""Incidents in the console: the list shows groups of two or more reports,
the detail page its reports on a timeline, and an officer links, unlinks,
merges, monitors, closes and notes, each audited and scoped by county."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.routing import incidents
from gateway.store.models import AuditEntry, Incident, IncidentReport, Report

from .conftest import make_report, post


def grouped(svc, count, **kwargs) -> tuple[int, list[str]]:
    """``count`` reports of one category and sub-county, grouped by the routing
    job's incident step; returns the incident's id and the references."""
    references = [make_report(svc, created_at=datetime.now(UTC) - timedelta(minutes=10 * n),
                              phone=f"+2547123456{n:02d}", **kwargs) for n in range(count)]
    with svc.db() as db:
        ids = [db.scalar(select(Report.id).where(Report.reference == r)) for r in references]
    incident_ids = {incidents.observe(svc, report_id) for report_id in ids}
    assert len(incident_ids) == 1
    return incident_ids.pop(), references


def audit_actions(svc) -> list[tuple[str, str]]:
    with svc.db() as db:
        return [(a.action, a.target) for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))
                if a.action.startswith("incident.")]


def get_incident(svc, incident_id) -> Incident:
    with svc.db() as db:
        incident = db.get(Incident, incident_id)
        db.expunge(incident)
        return incident


def test_the_list_shows_incidents_of_two_reports_or_more_not_single_reports(officer_client, svc):
    """A single report is not an incident: only the group of two is listed."""
    pair, _ = grouped(svc, 2)
    single, _ = grouped(svc, 1, category="trafficking")
    page = officer_client.get("/console/incidents").text
    assert f"/console/incidents/{pair}\"" in page
    assert f"/console/incidents/{single}\"" not in page


def test_the_overview_links_incidents_and_leaves_single_reports_out(officer_client, svc):
    """The overview's open incidents are links, and a single report is none of them."""
    pair, _ = grouped(svc, 2)
    grouped(svc, 1, category="trafficking")
    page = officer_client.get("/console/overview").text
    assert f'href="/console/incidents/{pair}"' in page
    assert '<strong id="overview-incidents">1</strong>' in page


def test_the_detail_shows_reports_on_a_timeline_with_distinct_reporters(officer_client, svc):
    """The detail lists each report (EAT), the distinct reporters, the place and category."""
    incident_id, references = grouped(svc, 3, contact=True)
    page = officer_client.get(f"/console/incidents/{incident_id}").text
    for reference in references:
        assert f'href="/console/reports/{reference}"' in page
    assert '<dd id="reporter-count">3</dd>' in page
    assert "Turkana north" in page or "Turkana North" in page
    assert "Terrorism" in page or "terror" in page.lower()


def test_an_officer_of_another_county_gets_not_found(other_officer_client, svc):
    """A Mandera officer cannot see or act on a Turkana incident."""
    incident_id, _ = grouped(svc, 2)
    assert other_officer_client.get(f"/console/incidents/{incident_id}").status_code == 404
    response = post(other_officer_client, f"/console/incidents/{incident_id}/close",
                    {"reason": "Not ours at all"})
    assert response.status_code == 404
    assert get_incident(svc, incident_id).status == "open"


def test_link_moves_a_report_into_the_incident_and_is_audited(officer_client, svc):
    """Linking a report adds it (recounted), records it on the timeline and in the audit log."""
    incident_id, _ = grouped(svc, 2)
    other = make_report(svc, category="trafficking")
    response = post(officer_client, f"/console/incidents/{incident_id}/link", {"reference": other})
    assert response.status_code == 302
    assert get_incident(svc, incident_id).report_count == 3
    assert ("incident.linked", f"incident {incident_id}") in audit_actions(svc)
    page = officer_client.get(f"/console/incidents/{incident_id}").text
    assert f"turkana-officer linked {other}" in page


def test_a_report_of_another_county_cannot_be_linked(officer_client, svc):
    """The report must be one the officer may see (else Not found, nothing changed)."""
    incident_id, _ = grouped(svc, 2)
    foreign = make_report(svc, county="mandera")
    response = post(officer_client, f"/console/incidents/{incident_id}/link", {"reference": foreign})
    assert response.status_code == 404
    assert get_incident(svc, incident_id).report_count == 2


def test_unlink_takes_a_report_out_and_is_audited(officer_client, svc):
    """Unlinking removes the report from the incident (recounted) and is audited."""
    incident_id, references = grouped(svc, 3)
    post(officer_client, f"/console/incidents/{incident_id}/unlink", {"reference": references[0]})
    assert get_incident(svc, incident_id).report_count == 2
    with svc.db() as db:
        assert db.scalar(select(IncidentReport).join(Report, Report.id == IncidentReport.report_id)
                         .where(Report.reference == references[0])) is None
    assert ("incident.unlinked", f"incident {incident_id}") in audit_actions(svc)


def test_merge_moves_the_reports_and_closes_the_other_as_merged(officer_client, svc):
    """Merging B into A moves B's reports to A; B is closed as merged; audited."""
    a, _ = grouped(svc, 2)
    b, b_refs = grouped(svc, 2, category="trafficking")
    response = post(officer_client, f"/console/incidents/{a}/merge", {"other": str(b)})
    assert response.status_code == 302
    into, other = get_incident(svc, a), get_incident(svc, b)
    assert into.report_count == 4 and other.report_count == 0
    assert other.status == "closed" and other.merged_into_id == a
    assert other.close_reason == f"Merged into incident {a}"
    assert ("incident.merged", f"incident {a}") in audit_actions(svc)
    page = officer_client.get(f"/console/incidents/{b}").text
    assert 'id="merged-into"' in page


def test_even_an_admin_cannot_link_or_merge_across_counties(admin_client, svc):
    """An incident holds its county's reports only: linking a Mandera report into a
    Turkana incident, or merging a Mandera incident into it, is refused; nothing moves
    (its county's officers would lose sight of it, another county's would see it)."""
    a, _ = grouped(svc, 2)
    foreign = make_report(svc, county="mandera")
    post(admin_client, f"/console/incidents/{a}/link", {"reference": foreign})
    assert "another county" in admin_client.get(f"/console/incidents/{a}").text
    b, _ = grouped(svc, 2, county="mandera")
    post(admin_client, f"/console/incidents/{a}/merge", {"other": str(b)})
    assert get_incident(svc, a).report_count == 2 and get_incident(svc, b).status == "open"
    assert "another county" in admin_client.get(f"/console/incidents/{a}").text


def test_an_incident_cannot_be_merged_into_itself(officer_client, svc):
    """Merging an incident into itself is refused with a message; nothing changes."""
    a, _ = grouped(svc, 2)
    response = post(officer_client, f"/console/incidents/{a}/merge", {"other": str(a)})
    assert response.status_code == 302
    assert get_incident(svc, a).status == "open"
    assert "cannot be merged into itself" in officer_client.get(f"/console/incidents/{a}").text
    assert audit_actions(svc) == []


def test_close_needs_a_reason_and_is_audited(officer_client, svc):
    """Closing without a reason is refused; with one it closes, keeps the reason, audits it."""
    incident_id, _ = grouped(svc, 2)
    post(officer_client, f"/console/incidents/{incident_id}/close", {"reason": " "})
    assert get_incident(svc, incident_id).status == "open"
    post(officer_client, f"/console/incidents/{incident_id}/close",
         {"reason": "Patrol found the herders; resolved by the chiefs"})
    incident = get_incident(svc, incident_id)
    assert incident.status == "closed"
    assert incident.close_reason == "Patrol found the herders; resolved by the chiefs"
    assert audit_actions(svc) == [("incident.closed", f"incident {incident_id}")]


def test_a_closed_incident_takes_no_new_report_from_routing(svc):
    """After closing, the next report of the same group opens a new incident."""
    incident_id, _ = grouped(svc, 2)
    with svc.db() as db:
        incidents.close(db, db.get(Incident, incident_id), "Dealt with", actor="user:x",
                        now=datetime.now(UTC))
        db.commit()
    new_id, _ = grouped(svc, 1)
    assert new_id != incident_id


@pytest.mark.parametrize("status", ["monitoring", "open"])
def test_status_monitoring_and_back_is_audited(officer_client, svc, status):
    """An officer sets monitoring (and back to open), audited when it changes."""
    incident_id, _ = grouped(svc, 2)
    post(officer_client, f"/console/incidents/{incident_id}/status", {"status": "monitoring"})
    if status == "open":
        post(officer_client, f"/console/incidents/{incident_id}/status", {"status": "open"})
    assert get_incident(svc, incident_id).status == status
    assert [a for a, _ in audit_actions(svc)] == ["incident.status"] * (1 if status == "monitoring" else 2)


def test_a_monitored_incident_still_groups_new_reports(officer_client, svc):
    """Monitoring is active: the routing job adds the next report of the group to it."""
    incident_id, _ = grouped(svc, 2)
    post(officer_client, f"/console/incidents/{incident_id}/status", {"status": "monitoring"})
    assert grouped(svc, 1)[0] == incident_id


def test_a_closed_incident_cannot_be_reopened(officer_client, svc):
    """Closed is final (its CAP cancellation is out): setting it open again is refused."""
    incident_id, _ = grouped(svc, 2)
    post(officer_client, f"/console/incidents/{incident_id}/close", {"reason": "Dealt with"})
    post(officer_client, f"/console/incidents/{incident_id}/status", {"status": "open"})
    assert get_incident(svc, incident_id).status == "closed"
    assert "closed for good" in officer_client.get(f"/console/incidents/{incident_id}").text


def test_notes_are_added_to_the_timeline_and_audited(officer_client, svc):
    """A note shows on the incident's timeline with its author; audited."""
    incident_id, _ = grouped(svc, 2)
    post(officer_client, f"/console/incidents/{incident_id}/note", {"note": "Chief informed"})
    page = officer_client.get(f"/console/incidents/{incident_id}").text
    assert "turkana-officer noted: Chief informed" in page
    assert audit_actions(svc) == [("incident.note", f"incident {incident_id}")]


@pytest.mark.parametrize("path", ["/console/incidents/0", "/console/incidents/99999999999"])
def test_unknown_incident_numbers_are_not_found(officer_client, path):
    """An id that cannot exist is a 404 page, never a 500."""
    assert officer_client.get(path).status_code == 404
