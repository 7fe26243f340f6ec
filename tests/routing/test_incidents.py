"""Early-warning incidents: threshold, window edge, no duplicate alert, doubling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gateway.routing import dispatch as routing
from gateway.store.models import Alert, Incident, IncidentPolicy


def incident_alerts(svc) -> list[tuple[str, int]]:
    with svc.db() as db:
        return [(a.team.name, a.level) for a in
                db.scalars(select(Alert).where(Alert.kind == "incident").order_by(Alert.id))]


def incidents(svc) -> list[Incident]:
    with svc.db() as db:
        return db.scalars(select(Incident).order_by(Incident.id)).all()


def route_many(svc, make_report, n, *, start=None, step=timedelta(minutes=10), **fields):
    start = start or datetime.now(UTC) - timedelta(hours=1)
    for i in range(n):
        routing.route(svc, make_report(created_at=start + i * step, **fields))


def test_threshold_raises_one_alert_to_county_and_national(svc, make_report):
    """The third report of one category in one sub-county within 6 h alerts the county team and the national desk."""
    route_many(svc, make_report, 2)
    assert incident_alerts(svc) == []
    route_many(svc, make_report, 1)
    assert incident_alerts(svc) == [("Turkana county team", 3), ("National desk", 3)]
    assert incidents(svc)[0].report_count == 3


def test_incident_alert_names_count_and_references(svc, make_report, outbound):
    """The incident alert carries the count and the references of its reports."""
    route_many(svc, make_report, 3)
    with svc.db() as db:
        text = db.scalar(select(Alert.text).where(Alert.kind == "incident"))
    assert text.startswith("MPAKA EARLY WARNING: 3 reports")
    assert text.count("R-") >= 3


def test_later_reports_update_count_without_new_alert_until_it_doubles(svc, make_report):
    """Reports 4 and 5 update the count silently; the sixth (double) alerts again."""
    route_many(svc, make_report, 5)
    assert len(incident_alerts(svc)) == 2
    assert incidents(svc)[0].report_count == 5
    route_many(svc, make_report, 1, start=datetime.now(UTC))
    assert [level for _, level in incident_alerts(svc)] == [3, 3, 6, 6]


def test_reports_outside_the_window_start_a_new_incident(svc, make_report):
    """A report more than the window after the last one opens a new incident."""
    start = datetime.now(UTC) - timedelta(hours=20)
    route_many(svc, make_report, 2, start=start)
    route_many(svc, make_report, 1, start=start + timedelta(hours=6, minutes=11))
    assert [i.report_count for i in incidents(svc)] == [2, 1]
    assert incident_alerts(svc) == []


def test_report_exactly_at_window_edge_joins(svc, make_report):
    """A report exactly 6 h after the previous one still belongs to its incident."""
    start = datetime.now(UTC) - timedelta(hours=20)
    route_many(svc, make_report, 2, start=start, step=timedelta(hours=6))
    assert [i.report_count for i in incidents(svc)] == [2]


def test_other_category_or_sub_county_is_another_incident(svc, make_report):
    """Grouping is per category and sub-county."""
    route_many(svc, make_report, 2)
    route_many(svc, make_report, 1, category="trafficking")
    route_many(svc, make_report, 1, sub_county="turkana_west")
    assert sorted(i.report_count for i in incidents(svc)) == [1, 1, 2]
    assert incident_alerts(svc) == []


def test_routing_again_does_not_count_twice(svc, make_report):
    """Observing the same report twice leaves the count unchanged."""
    start = datetime.now(UTC) - timedelta(hours=1)
    report_id = make_report(created_at=start)
    routing.route(svc, report_id)
    routing.route(svc, report_id)
    assert incidents(svc)[0].report_count == 1


def test_threshold_and_window_per_category(svc, make_report):
    """A category's own policy (threshold 2, window 1 h) overrides the defaults."""
    with svc.db() as db:
        db.add(IncidentPolicy(category="trafficking", window_hours=1, threshold=2))
        db.commit()
    route_many(svc, make_report, 2, category="trafficking")
    assert [level for _, level in incident_alerts(svc)] == [2, 2]


def test_one_phone_reporting_four_times_plus_two_others_is_three_reporters(svc, make_report):
    """Four reports from one phone and two from others: 6 reports from 3 reporters,
    one alert (at 3 reporters) naming both counts, and no '6 reports' doubling alert."""
    start = datetime.now(UTC) - timedelta(hours=2)
    route_many(svc, make_report, 4, start=start, contact="yes", phone="+254711000001")
    assert incident_alerts(svc) == []
    assert (incidents(svc)[0].report_count, incidents(svc)[0].reporter_count) == (4, 1)
    route_many(svc, make_report, 1, start=start + timedelta(minutes=50), contact="yes",
               phone="+254711000002")
    route_many(svc, make_report, 1, start=start + timedelta(minutes=60))  # anonymous
    incident = incidents(svc)[0]
    assert (incident.report_count, incident.reporter_count, incident.alerted_count) == (6, 3, 3)
    assert incident_alerts(svc) == [("Turkana county team", 3), ("National desk", 3)]
    with svc.db() as db:
        text = db.scalar(select(Alert.text).where(Alert.kind == "incident"))
    assert text.startswith("MPAKA EARLY WARNING: 6 reports of ") and "(3 reporters)" in text


def test_reporters_must_double_for_the_next_alert(svc, make_report):
    """After the alert at 3 reporters, more reports from those same numbers raise nothing."""
    start = datetime.now(UTC) - timedelta(hours=3)
    phones = ["+254711000001", "+254711000002", "+254711000003"]
    for i, phone in enumerate(phones * 4):
        route_many(svc, make_report, 1, start=start + i * timedelta(minutes=5), contact="yes",
                   phone=phone)
    incident = incidents(svc)[0]
    assert (incident.report_count, incident.reporter_count) == (12, 3)
    assert [level for _, level in incident_alerts(svc)] == [3, 3]


def test_incident_alert_with_both_counts_fits_two_segments(svc, make_report):
    """Even with the longest references list (8) and both counts, the alert fits two GSM-7 segments."""
    from gateway.dialogue import gsm

    route_many(svc, make_report, 12, category="migrant_smuggling", sub_county="turkana_central")
    with svc.db() as db:
        texts = db.scalars(select(Alert.text).where(Alert.kind == "incident")).all()
    assert texts and all(gsm.sms_segments(t) <= 2 and gsm.is_gsm7(t) for t in texts)
    assert any("(12 reporters)" in t for t in texts)
