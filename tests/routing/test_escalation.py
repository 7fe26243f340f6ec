"""Escalation through two tiers with a real RQ worker in burst mode and its
scheduler; an acknowledgement in between stops it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.routing import dispatch as routing
from gateway.store.models import Alert, EscalationPolicy, Report, Team, TeamMember


@pytest.fixture
def regional(svc):
    """A regional team over Turkana, between the county team and the national desk."""
    with svc.db() as db:
        team = Team(name="North rift regional team", tier="regional", counties=["turkana"])
        team.members = [TeamMember(name="Regional officer", phone="+254700000801")]
        db.add(team)
        db.commit()


def set_deadline(svc, severity: str, minutes: int) -> None:
    with svc.db() as db:
        db.get(EscalationPolicy, severity).deadline_minutes = minutes
        db.commit()


def alerted(svc) -> list[tuple[str, int]]:
    with svc.db() as db:
        return [(a.team.name, a.level) for a in db.scalars(select(Alert).order_by(Alert.id))]


@pytest.mark.parametrize(("severity", "minutes"), [("high", 10), ("medium", 60), ("low", 1440)])
def test_deadline_follows_the_severity_policy(svc, clock, make_report, severity, minutes):
    """Alerts get the acknowledgement deadline of their severity (defaults 10 min, 1 h, 24 h)."""
    now = clock.now()
    routing.route(svc, make_report(severity=severity))
    with svc.db() as db:
        alert = db.scalar(select(Alert))
    assert alert.deadline_at - now == timedelta(minutes=minutes)


def test_unacknowledged_alert_escalates_through_two_tiers(svc, make_report, regional, run_worker):
    """County → regional → national desk, one scheduled check after another, each a report event."""
    set_deadline(svc, "high", 0)  # every deadline is due at once: the clock, controlled
    report_id = make_report()
    routing.route(svc, report_id)
    assert alerted(svc) == [("Turkana county team", 0)]
    run_worker()
    assert alerted(svc)[-1] == ("North rift regional team", 1)
    run_worker()
    assert alerted(svc)[-1] == ("National desk", 2)
    run_worker()  # nothing above the national desk
    assert len(alerted(svc)) == 3
    with svc.db() as db:
        kinds = [e.kind for e in db.get(Report, report_id).events]
    assert kinds.count("escalated") == 2


def test_scheduled_check_waits_for_its_deadline(svc, make_report, run_worker):
    """Before the deadline the check stays in RQ's scheduled registry; nothing escalates."""
    routing.route(svc, make_report())
    run_worker()
    assert alerted(svc) == [("Turkana county team", 0)]
    assert svc.queue("alerts").scheduled_job_registry.count == 1


def test_acknowledgement_in_between_stops_escalation(svc, client, make_report, regional, run_worker):
    """After the regional tier is alerted, an ACK stops the climb to the national desk."""
    set_deadline(svc, "high", 0)
    report_id = make_report()
    routing.route(svc, report_id)
    run_worker()
    assert alerted(svc)[-1][0] == "North rift regional team"
    with svc.db() as db:
        ref = db.get(Report, report_id).reference
    client.post("/webhooks/twilio/messages", data={
        "MessageSid": "SMack", "From": "+254700000801", "To": "+1500", "Body": f"ACK {ref}"})
    run_worker()
    assert [name for name, _ in alerted(svc)] == ["Turkana county team", "North rift regional team"]


def test_escalation_skips_missing_tier(svc, make_report, run_worker):
    """With no regional team, the county tier escalates straight to the national desk."""
    set_deadline(svc, "high", 0)
    routing.route(svc, make_report())
    run_worker()
    assert alerted(svc)[-1] == ("National desk", 1)


def test_escalated_alert_says_so(svc, make_report, run_worker, outbound):
    """The next tier's SMS starts by saying nobody acknowledged it."""
    set_deadline(svc, "high", 0)
    routing.route(svc, make_report())
    run_worker()
    assert outbound()[-1].text.startswith("ESCALATED")
