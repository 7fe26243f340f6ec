"""Held reports under review: a release routes the report (through the real
routing job), a dismissal keeps it out of routing for good; both idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.routing import dispatch as routing
from gateway.routing import review
from gateway.store.models import Alert, Incident, Report, ReportEvent


def act(svc, action, report_id, actor="user:admin"):
    """Release or dismiss as the web layer does: act, commit, then queue."""
    with svc.db() as db:
        report = db.get(Report, report_id)
        result = getattr(review, action)(svc, db, report, actor=actor)
        db.commit()
    review.queue(svc, result)
    return result


def alerts_of(svc, report_id) -> int:
    with svc.db() as db:
        return db.scalar(select(func.count()).select_from(Alert).where(Alert.report_id == report_id))


def events_of(svc, report_id) -> list[tuple[str, str | None]]:
    with svc.db() as db:
        return [(e.kind, e.actor) for e in db.scalars(
            select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id))]


def test_a_held_report_is_not_routed_even_when_its_job_runs(svc, make_report, report_of):
    """A held report stays unrouted: the routing job refuses it, the sweeper skips it."""
    report_id = make_report(held=True)
    assert routing.route(svc, report_id) == {"report_id": report_id, "alerts": []}
    report = report_of(report_id)
    assert (report.status, report.priority, report.routed_at) == ("held", "low", None)
    assert alerts_of(svc, report_id) == 0


def test_release_routes_the_report_through_the_worker(svc, make_report, report_of, run_worker,
                                                      outbound):
    """Released: priority normal, a 'released' event with its actor, then the real
    routing job alerts the teams."""
    report_id = make_report(held=True)
    result = act(svc, "release", report_id)
    assert result.changed
    report = report_of(report_id)
    assert (report.status, report.priority) == ("received", "normal")
    assert f"route-{report_id}" in svc.queue("alerts").job_ids
    run_worker()
    report = report_of(report_id)
    assert report.status == "routed" and report.routed_at is not None
    assert alerts_of(svc, report_id) >= 1
    assert outbound()  # the team was messaged, through the outbox
    assert ("released", "user:admin") in events_of(svc, report_id)
    assert [k for k, _ in events_of(svc, report_id)][:4] == ["received", "held", "released", "routed"]


def test_releasing_twice_routes_once(svc, make_report, run_worker):
    """A second release changes nothing: one event, one routing job, one alert per team."""
    report_id = make_report(held=True)
    assert act(svc, "release", report_id).changed
    run_worker()
    alerts = alerts_of(svc, report_id)
    again = act(svc, "release", report_id, actor="user:other-admin")
    assert not again.changed
    assert f"route-{report_id}" not in svc.queue("alerts").job_ids
    run_worker()
    assert alerts_of(svc, report_id) == alerts
    assert [k for k, _ in events_of(svc, report_id)].count("released") == 1


def test_dismiss_keeps_the_report_out_of_routing(svc, clock, make_report, report_of, run_worker):
    """Dismissed: no job, no alert, the routing job and the sweeper leave it alone."""
    report_id = make_report(held=True)
    result = act(svc, "dismiss", report_id)
    assert result.changed and not review.queue(svc, result)
    run_worker()
    routing.route(svc, report_id)
    clock.advance(hours=1)
    assert routing.enqueue_unrouted(svc) == []
    report = report_of(report_id)
    assert (report.status, report.priority, report.routed_at) == ("dismissed", "low", None)
    assert alerts_of(svc, report_id) == 0
    assert ("dismissed", "user:admin") in events_of(svc, report_id)
    assert not act(svc, "dismiss", report_id).changed  # twice: idempotent
    assert [k for k, _ in events_of(svc, report_id)].count("dismissed") == 1


def test_a_dismissal_can_be_undone_by_a_release(svc, make_report, report_of, run_worker):
    """An admin who changes their mind releases a dismissed report: it is routed."""
    report_id = make_report(held=True)
    act(svc, "dismiss", report_id)
    assert act(svc, "release", report_id).changed
    run_worker()
    assert report_of(report_id).status == "routed"


def test_a_released_report_joins_its_incident(svc, make_report, run_worker):
    """Once released, the report is grouped like any other."""
    report_id = make_report(held=True)
    act(svc, "release", report_id)
    run_worker()
    with svc.db() as db:
        assert db.scalar(select(Incident.report_count)) == 1


@pytest.mark.parametrize("action", ["release", "dismiss"])
def test_a_report_never_held_is_refused(svc, make_report, action):
    """Releasing or dismissing a report that was never held is refused, changing nothing."""
    report_id = make_report()
    with pytest.raises(review.NotUnderReview):
        act(svc, action, report_id)
    assert [k for k, _ in events_of(svc, report_id)] == ["received"]


def test_a_released_report_cannot_be_dismissed(svc, make_report, report_of):
    """Once released it is in the teams' hands: a dismissal is refused."""
    report_id = make_report(held=True)
    act(svc, "release", report_id)
    with pytest.raises(review.NotUnderReview):
        act(svc, "dismiss", report_id)
    assert report_of(report_id).priority == "normal"
