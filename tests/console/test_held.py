"""Reports held for review in the console: the list (admins, and county
officers for their counties), Release and Dismiss (admins, audited), and the
count in the navigation and on the overview."""

from __future__ import annotations

from sqlalchemy import select

from gateway.store.models import Alert, AuditEntry, Report, ReportEvent

from .conftest import make_report, post


def report_row(svc, reference) -> Report:
    with svc.db() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        report.events  # noqa: B018
        return report


def audit_entries(svc, action) -> list[tuple[str, str, dict]]:
    with svc.db() as db:
        return [(a.actor, a.target, a.detail) for a in
                db.scalars(select(AuditEntry).where(AuditEntry.action == action))]


def alerts_of(svc, reference) -> int:
    with svc.db() as db:
        return len(db.scalars(select(Alert).join(Report, Alert.report_id == Report.id)
                              .where(Report.reference == reference)).all())


def test_admin_sees_held_reports_with_what_where_when_and_the_count(admin_client, svc):
    """The held view lists held reports only, with their details and both
    actions; the navigation and the overview count them."""
    held = make_report(svc, held=True, category="trafficking", description="Boat at night")
    other = make_report(svc)
    page = admin_client.get("/console/reports/held").text
    assert held in page and other not in page
    assert "Human trafficking" in page and "Boat at night" in page and "Turkana North" in page
    assert f"/console/reports/{held}/release" in page and f"/console/reports/{held}/dismiss" in page
    assert 'id="held-total">1<' in page
    assert "Held for review <span class=\"count\">1</span>" in page  # the navigation
    assert 'id="overview-held">1<' in admin_client.get("/console/overview").text


def test_officer_sees_held_reports_of_their_county_without_actions(officer_client, svc):
    """A county officer sees their county's held reports, not another's, and no buttons."""
    turkana = make_report(svc, held=True, county="turkana")
    mandera = make_report(svc, held=True, county="mandera")
    page = officer_client.get("/console/reports/held").text
    assert turkana in page and mandera not in page
    assert "/release" not in page and "/dismiss" not in page
    assert 'id="held-total">1<' in page


def test_release_routes_the_report_and_is_audited(admin_client, svc, run_worker):
    """Release: status received then routed by the worker, a 'released' event
    by the admin, an audit entry, and alerts to the teams."""
    reference = make_report(svc, held=True)
    response = post(admin_client, f"/console/reports/{reference}/release")
    assert response.status_code == 302 and response.location.endswith("/console/reports/held")
    report = report_row(svc, reference)
    assert (report.status, report.priority) == ("received", "normal")
    assert ("released", "user:admin") in [(e.kind, e.actor) for e in report.events]
    assert audit_entries(svc, "report.released") == [("admin", reference, {"changed": True})]
    run_worker()
    assert report_row(svc, reference).status == "routed"
    assert alerts_of(svc, reference) >= 1
    page = admin_client.get("/console/reports/held").text
    assert "No report is held for review" in page


def test_releasing_twice_is_idempotent(admin_client, svc, run_worker):
    """A second release (a double click, a second admin) changes nothing but is audited."""
    reference = make_report(svc, held=True)
    post(admin_client, f"/console/reports/{reference}/release")
    run_worker()
    alerts = alerts_of(svc, reference)
    response = post(admin_client, f"/console/reports/{reference}/release")
    assert response.status_code == 302
    assert "already released" in admin_client.get("/console/reports/held").text
    run_worker()
    assert alerts_of(svc, reference) == alerts
    report = report_row(svc, reference)
    assert [e.kind for e in report.events].count("released") == 1
    assert [d["changed"] for *_, d in audit_entries(svc, "report.released")] == [True, False]


def test_dismiss_keeps_it_unrouted_and_is_audited(admin_client, svc, run_worker):
    """Dismiss: status dismissed, no alert, an event and an audit entry; from the
    report page it returns to the report."""
    reference = make_report(svc, held=True)
    page = admin_client.get(f"/console/reports/{reference}").text
    assert 'id="release"' in page and 'id="dismiss"' in page
    response = post(admin_client, f"/console/reports/{reference}/dismiss", {"back": "report"})
    assert response.location.endswith(f"/console/reports/{reference}")
    run_worker()
    report = report_row(svc, reference)
    assert (report.status, report.priority, report.routed_at) == ("dismissed", "low", None)
    assert ("dismissed", "user:admin") in [(e.kind, e.actor) for e in report.events]
    assert audit_entries(svc, "report.dismissed") == [("admin", reference, {"changed": True})]
    assert alerts_of(svc, reference) == 0
    assert reference in admin_client.get("/console/reports?status=dismissed").text


def test_officers_may_not_release_or_dismiss(officer_client, svc):
    """A county officer of the report's own county is refused (403), nothing changes."""
    reference = make_report(svc, held=True, county="turkana")
    for action in ("release", "dismiss"):
        assert post(officer_client, f"/console/reports/{reference}/{action}").status_code == 403
    report = report_row(svc, reference)
    assert report.status == "held"
    with svc.db() as db:
        assert db.scalar(select(ReportEvent.id).where(ReportEvent.kind.in_(
            ["released", "dismissed"]))) is None
        assert db.scalar(select(AuditEntry.id).where(AuditEntry.action.like("report.%ed"))) is None


def test_release_needs_the_csrf_token(admin_client, svc):
    """Without the form's token the release is refused."""
    reference = make_report(svc, held=True)
    assert admin_client.post(f"/console/reports/{reference}/release").status_code == 400
    assert report_row(svc, reference).status == "held"


def test_a_report_never_held_is_not_released(admin_client, svc):
    """Releasing a routed report is refused with a message; nothing is audited."""
    reference = make_report(svc, route=True)
    response = post(admin_client, f"/console/reports/{reference}/release")
    assert response.location.endswith(f"/console/reports/{reference}")
    assert "not held for review" in admin_client.get(f"/console/reports/{reference}").text
    assert audit_entries(svc, "report.released") == []
