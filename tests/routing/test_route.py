"""route_report: alerts per team, deliveries per member, idempotent, and an
alert text that fits two GSM-7 segments without the reporter's number."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from gateway.core import texts
from gateway.dialogue import gsm
from gateway.routing import dispatch as routing
from gateway.store.models import Alert, Delivery, Report, ReportEvent
from tests.routing.conftest import REPORTER
from workers import jobs


def count(svc, model) -> int:
    with svc.db() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_route_creates_one_alert_and_one_delivery_per_member(svc, make_report, outbound):
    """A Turkana report alerts the Turkana team: one alert, one queued SMS per member."""
    report_id = make_report()
    result = routing.route(svc, report_id)
    assert len(result["alerts"]) == 1
    rows = outbound()
    assert len(rows) == 2
    assert all(r.status == "queued" and r.channel == "sms" for r in rows)
    assert count(svc, Delivery) == 2


def test_route_marks_report_routed_with_event(svc, make_report, report_of):
    """Routing sets routed_at, moves the status on and adds a 'routed' event naming the teams."""
    report_id = make_report()
    routing.route(svc, report_id)
    report = report_of(report_id)
    assert report.routed_at is not None and report.status == "routed"
    assert [e.kind for e in report.events] == ["received", "routed"]
    assert report.events[-1].detail["teams"] == ["Turkana county team"]


def test_route_twice_sends_nothing_twice(svc, make_report, outbound, run_worker):
    """Running the routing job twice creates and sends each delivery once."""
    report_id = make_report()
    svc.queue("alerts").enqueue(jobs.route_report, report_id)
    svc.queue("alerts").enqueue(jobs.route_report, report_id)
    run_worker()
    rows = outbound()
    assert len(rows) == 2
    assert all(r.status == "sent" and r.attempts == 1 for r in rows)
    assert count(svc, Alert) == 1


def test_route_concurrently_sends_nothing_twice(svc, make_report, outbound):
    """Two routing runs at the same moment: database uniqueness keeps one alert."""
    report_id = make_report()
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            routing.route(svc, report_id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert count(svc, Alert) == 1
    assert len(outbound()) == 2


def test_alert_text_fits_two_gsm7_segments(svc, make_report, outbound):
    """A long description with typographic punctuation and emoji still fits two GSM-7 segments."""
    long_text = "“Watu 40” walikuja — wakiwa na bunduki… 🐄 " * 20
    report_id = make_report(description=long_text)
    routing.route(svc, report_id)
    text = outbound()[0].text
    assert gsm.is_gsm7(text)
    assert gsm.sms_segments(text) <= 2
    assert "Reply ACK" in text and "R-" in text
    assert "HIGH" in text and "Armed attack" in text and "Loima, Turkana" in text


def test_alert_marks_a_language_not_yet_reviewed_for_an_interpreter(svc, make_report, outbound):
    """A Turkana report (drafts, not reviewed) tells the team to call back with
    an interpreter, and the longest alert still fits two GSM-7 segments."""
    report_id = make_report(language="tuv", contact="yes",
                            description="“Watu 40” walikuja — wakiwa na bunduki… " * 20)
    routing.route(svc, report_id)
    text = outbound()[0].text
    assert "Language: Ng'aturkana (interpreter)." in text
    assert gsm.is_gsm7(text) and gsm.sms_segments(text) <= 2


def test_alert_of_a_reviewed_language_names_no_interpreter(svc, make_report, outbound):
    """Kiswahili is fully reviewed: its alert carries no language line."""
    routing.route(svc, make_report(language="swa"))
    assert "interpreter" not in outbound()[0].text


def test_alert_never_carries_number_of_anonymous_reporter(svc, make_report, outbound):
    """An anonymous reporter's number appears in no alert."""
    report_id = make_report(contact="no")
    routing.route(svc, report_id)
    assert all(REPORTER not in r.text for r in outbound())


def test_alert_carries_number_only_for_teams_allowed_to_see_it(svc, make_report, outbound):
    """A consenting reporter's number is meant for the county team, not the national
    desk: the stored alert holds its masked stand-in, never the number itself."""
    report_id = make_report(contact="yes", category="terrorism")
    routing.route(svc, report_id)
    with svc.db() as db:
        alerts = {a.team.name: a.text for a in db.scalars(select(Alert))}
    assert texts.contact_placeholder(REPORTER) in alerts["Turkana county team"]
    assert REPORTER not in alerts["Turkana county team"]
    assert texts.contact_placeholder(REPORTER) not in alerts["National desk"]


def test_unmatched_report_goes_to_national_desk(svc, make_report):
    """A report from 'other county' alerts the national desk."""
    report_id = make_report(county="other", sub_county=None)
    routing.route(svc, report_id)
    with svc.db() as db:
        assert [a.team.name for a in db.scalars(select(Alert))] == ["National desk"]


def test_report_from_a_county_without_a_team_goes_to_national_desk(svc, make_report):
    """A report from Nakuru (named under "Other county"; no Nakuru team, no rule
    naming it) alerts the national desk only, never nobody."""
    report_id = make_report(county="nakuru", sub_county=None, category="armed_attack")
    result = routing.route(svc, report_id)
    assert len(result["alerts"]) == 1
    with svc.db() as db:
        alert = db.scalar(select(Alert))
        assert alert.team.name == "National desk"
        assert "Nakuru." in alert.text


def test_missing_report_is_a_no_op(svc):
    """Routing an id that does not exist does nothing and does not fail."""
    assert routing.route(svc, 999999) == {"report_id": 999999, "alerts": []}


def test_sweeper_routes_unrouted_reports_once(svc, clock, make_report, run_worker):
    """enqueue_unrouted finds reports never routed; routing them twice changes nothing."""
    report_id = make_report()
    clock.advance(minutes=5)
    assert routing.enqueue_unrouted(svc) == [report_id]
    run_worker()
    assert routing.enqueue_unrouted(svc) == []
    with svc.db() as db:
        assert db.scalar(select(func.count()).select_from(ReportEvent).where(ReportEvent.kind == "routed")) == 1
        assert db.get(Report, report_id).routed_at is not None
