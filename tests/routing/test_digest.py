"""The weekly digest: its figures, an SMS of at most two GSM-7 segments, the
job that queues it to every team (a real RQ worker), and the printable page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway import tasks
from gateway.dialogue import gsm
from gateway.routing import digest
from gateway.store.models import Incident, Message, Report
from workers import jobs

#: Monday 30 Nov 2026 06:00 EAT: the digest covers Monday 23 to Sunday 29 Nov.
MONDAY = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
WEEK = date(2026, 11, 23)
_n = iter(range(1, 1000))


def add_report(svc, at, *, county="turkana", category="armed_attack", ack_minutes=None,
               status="routed"):
    with svc.db() as db:
        db.add(Report(
            reference=f"R-DG{next(_n):04d}", channel="ussd", language="eng", category=category,
            county=county, sub_county=None, severity="high", status=status,
            script_id="report", script_version="1", answers={}, created_at=at, routed_at=at,
            description="Armed men, call +254712345678",
            acknowledged_at=at + timedelta(minutes=ack_minutes) if ack_minutes else None))
        db.commit()


@pytest.fixture
def week_of_reports(svc):
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    add_report(svc, tuesday, ack_minutes=10)
    add_report(svc, tuesday, ack_minutes=30)
    add_report(svc, tuesday, category="cattle_theft")
    add_report(svc, tuesday, status="held")  # held: not counted
    add_report(svc, tuesday, county="mandera")
    add_report(svc, datetime(2026, 11, 17, 9, 0, tzinfo=UTC))  # the week before
    # Sunday 29 Nov 22:00 EAT is still in the week; Monday 00:30 EAT is not.
    add_report(svc, datetime(2026, 11, 29, 19, 0, tzinfo=UTC))
    add_report(svc, datetime(2026, 11, 29, 21, 30, tzinfo=UTC))
    with svc.db() as db:
        kept = Incident(category="armed_attack", county="turkana", status="open",
                        report_count=3, reporter_count=3, first_report_at=tuesday,
                        last_report_at=tuesday)
        db.add(kept)
        db.flush()
        # Not incidents as the console lists them: a single report, one merged away.
        db.add(Incident(category="cattle_theft", county="turkana", status="open",
                        report_count=1, reporter_count=1, first_report_at=tuesday,
                        last_report_at=tuesday))
        db.add(Incident(category="armed_attack", county="turkana", status="closed",
                        report_count=0, reporter_count=0, first_report_at=tuesday,
                        last_report_at=tuesday, merged_into_id=kept.id,
                        close_reason=f"Merged into incident {kept.id}"))
        db.commit()


def test_last_week_is_the_full_eat_week_before():
    assert digest.last_week(MONDAY) == WEEK
    # Sunday 23:30 EAT is still in the week after WEEK: its last full week is WEEK.
    assert digest.last_week(datetime(2026, 12, 6, 20, 30, tzinfo=UTC)) == WEEK


def test_county_figures(svc, week_of_reports):
    with svc.db() as db:
        figures = digest.build(db, ["turkana"], WEEK)
        assert (figures.reports, figures.previous, figures.trend) == (4, 1, 3)
        assert figures.categories == [("armed_attack", 3), ("cattle_theft", 1)]
        assert len(figures.incidents) == 1
        assert (figures.acknowledged, figures.median_minutes, figures.awaiting) == (2, 20, 2)


def test_national_figures_cover_every_county(svc, week_of_reports):
    with svc.db() as db:
        assert digest.build(db, [], WEEK).reports == 5


def test_sms_names_the_figures(svc, week_of_reports):
    with svc.db() as db:
        figures = digest.build(db, ["turkana"], WEEK)
    text = digest.sms_text(figures, {"turkana": "Turkana", "armed_attack": "Armed attack",
                                     "cattle_theft": "Cattle theft"}, "eng")
    assert text.startswith("MPAKA WEEK 23-29 Nov Turkana: 4 reports (+3 on 1 the week before)")
    assert "1 incidents" in text and "Armed attack 3, Cattle theft 1." in text
    assert "median 20 min" in text and "awaiting ACK 2" in text


def test_sms_fits_two_gsm7_segments_however_long_the_names(svc, week_of_reports):
    with svc.db() as db:
        figures = digest.build(db, [], WEEK)
    figures.categories = [(f"c{i}", 9) for i in range(12)]
    figures.counties = tuple(f"county{i}" for i in range(47))
    labels = {f"c{i}": "A very long category label " * 3 for i in range(12)}
    text = digest.sms_text(figures, labels, "eng")
    assert gsm.is_gsm7(text) and gsm.sms_segments(text) <= 2
    assert "47 counties" in text


def test_sms_carries_no_report_words_or_numbers(svc, week_of_reports):
    with svc.db() as db:
        text = digest.sms_text(digest.build(db, ["turkana"], WEEK), {}, "eng")
    assert "+2547" not in text and "Armed men" not in text and "R-DG" not in text


def test_digest_job_queues_one_sms_per_team_member(svc, clock, week_of_reports, run_worker):
    """The periodic job, run by a real RQ worker, sends every active member
    of every active team their team's digest through the outbox."""
    clock.set(MONDAY)
    tasks.periodic(svc, "weekly_digest", at=datetime.now(UTC) - timedelta(seconds=1),
                   job_id="mpaka-digest-test", result_ttl=60)
    run_worker()
    with svc.db() as db:
        sent = db.scalars(select(Message).where(Message.direction == "out")).all()
        texts = {svc.protector.decrypt(m.recipient) if m.recipient else None: m.text
                 for m in sent}
    assert all(m.status in ("sent", "delivered") for m in sent), [m.status for m in sent]
    turkana = [t for t in texts.values() if " Turkana: " in t]
    assert len(turkana) == 2 and "4 reports" in turkana[0]
    assert any("all counties: 5 reports" in t for t in texts.values())


def test_digest_is_scheduled_for_monday_0600_eat(svc, clock):
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    job_id = jobs.schedule_periodic(svc, "digest")
    registry = svc.queue("maintenance").scheduled_job_registry
    assert job_id in registry.get_job_ids()
    at = registry.get_scheduled_time(job_id)
    assert at == datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # Monday 7 Dec, 06:00 EAT


def test_digest_job_does_nothing_when_turned_off(app, svc, clock, week_of_reports, run_worker):
    app.config["WEEKLY_DIGEST"] = False
    svc.config["WEEKLY_DIGEST"] = False
    clock.set(MONDAY)
    tasks.periodic(svc, "weekly_digest", at=datetime.now(UTC) - timedelta(seconds=1),
                   job_id="mpaka-digest-off", result_ttl=60)
    run_worker()
    with svc.db() as db:
        assert db.scalars(select(Message)).all() == []


def test_printable_page_shows_the_week(svc, clock, week_of_reports, app):
    from tests.console.conftest import login_as

    clock.set(MONDAY)
    client = app.test_client()
    login_as(client, svc, "admin")
    page = client.get("/console/digest?county=turkana").text
    assert '<strong id="digest-reports">4</strong>' in page
    assert "MPAKA WEEK 23-29 Nov Turkana" in page and "@media print" not in page


def test_printable_page_takes_any_day_of_the_week(svc, week_of_reports, app):
    from tests.console.conftest import login_as

    client = app.test_client()
    login_as(client, svc, "admin")
    page = client.get("/console/digest?week=2026-11-26").text
    assert '<strong id="digest-reports">5</strong>' in page


def test_printable_page_refuses_a_bad_week(svc, app):
    from tests.console.conftest import login_as

    client = app.test_client()
    login_as(client, svc, "admin")
    assert client.get("/console/digest?week=last").status_code == 400


def test_digest_language_has_a_digest_text():
    """A Kiswahili team gets the English digest (no Kiswahili text yet) with
    English labels, never English sentences around Kiswahili labels."""
    assert digest.language_of("swa") == "eng" and digest.language_of("eng") == "eng"
