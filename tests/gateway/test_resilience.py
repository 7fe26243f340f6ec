"""Nothing is lost when storage fails: the database down at completion (then
recovered), Redis down during a dialogue or at enqueue time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from gateway.core import keys
from gateway.core.db import make_engine
from gateway.core.services import connect_redis
from gateway.store.models import Report
from tests.gateway.test_intake_ussd import INPUTS, post_ussd, walk
from workers import jobs

UNREACHABLE_DB = "postgresql://nobody@127.0.0.1:9/nowhere"


def break_database(svc):
    healthy = (svc.__dict__["engine"], svc.__dict__["sessionmaker"])
    broken = make_engine(UNREACHABLE_DB)
    svc.__dict__["engine"] = broken
    svc.__dict__["sessionmaker"] = sessionmaker(broken, expire_on_commit=False)
    return healthy


def restore_database(svc, healthy):
    svc.__dict__["engine"].dispose()
    svc.__dict__["engine"], svc.__dict__["sessionmaker"] = healthy


def test_database_down_at_completion_keeps_report_with_its_reference(client, svc, run_worker):
    """The reporter gets a reference while the database is down; the sweeper
    writes the report with that same reference once it is back, and routes it."""
    walk(client, INPUTS[:-1])
    healthy = break_database(svc)
    try:
        text = "*".join(INPUTS)
        last = post_ussd(client, text)
    finally:
        restore_database(svc, healthy)
    assert last.status_code == 200 and last.text.startswith("END ")
    parked = svc.redis.hkeys(keys.PENDING_REPORTS)
    assert len(parked) == 1
    reference = parked[0].decode()
    assert reference in last.text

    jobs.sweep()
    run_worker()
    with svc.db() as db:
        report = db.scalar(select(Report))
    assert report.reference == reference
    assert report.routed_at is not None
    assert svc.redis.hlen(keys.PENDING_REPORTS) == 0


def test_sweep_is_idempotent_for_parked_reports(client, svc):
    """Flushing the same parked report twice stores it once."""
    walk(client, INPUTS[:-1])
    healthy = break_database(svc)
    try:
        post_ussd(client, "*".join(INPUTS))
    finally:
        restore_database(svc, healthy)
    payload = svc.redis.hgetall(keys.PENDING_REPORTS)
    jobs.sweep()
    svc.redis.hset(keys.PENDING_REPORTS, mapping=payload)  # as if the first flush died late
    jobs.sweep()
    with svc.db() as db:
        assert len(db.scalars(select(Report)).all()) == 1


def break_redis(svc):
    healthy = svc.redis
    svc.__dict__["redis"] = connect_redis({"REDIS_URL": "redis://127.0.0.1:9/0"})
    return healthy


def test_redis_down_ussd_gets_polite_end(client, svc):
    """With Redis unreachable a USSD request gets 200 and an END apology, never a 5xx."""
    healthy = break_redis(svc)
    try:
        response = post_ussd(client, "")
    finally:
        svc.__dict__["redis"] = healthy
    assert response.status_code == 200
    assert response.text.startswith("END ")
    assert len(response.text) <= 164


def test_redis_down_twilio_gets_apology_reply(client, svc):
    """SMS and WhatsApp get the same apology by reply."""
    from tests.gateway.test_webhooks import TWILIO_SMS

    healthy = break_redis(svc)
    try:
        response = client.post("/webhooks/twilio/messages", data=TWILIO_SMS)
    finally:
        svc.__dict__["redis"] = healthy
    assert response.status_code == 200
    assert "<Message>" in response.text


def test_redis_down_at_enqueue_report_is_routed_by_sweeper(client, svc, run_worker):
    """A report stored while Redis could not take the routing job is routed by the sweeper."""
    from gateway.intake import reports

    walk(client, INPUTS[:-1])
    original = reports.enqueue_routing
    calls = []

    def failing(svc_, report_id):
        calls.append(report_id)
        return False  # what enqueue_routing returns when Redis refuses the job

    reports.enqueue_routing = failing
    try:
        post_ussd(client, "*".join(INPUTS))
    finally:
        reports.enqueue_routing = original
    assert calls
    with svc.db() as db:
        assert db.scalar(select(Report.routed_at)) is None
    from gateway.core.clock import ManualClock
    from gateway.routing import dispatch as routing

    svc.clock = ManualClock()
    svc.clock.advance(minutes=5)
    routing.enqueue_unrouted(svc)
    run_worker()
    with svc.db() as db:
        assert db.scalar(select(Report.routed_at)) is not None
