"""Agency endpoints receive signed JSON; the sweeper resends messages stuck in
'sending'."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import responses
from sqlalchemy import select

from gateway.delivery import outbox
from gateway.routing import dispatch as routing
from gateway.store.models import AgencyEndpoint, Message, Team
from handlers.webhook import verify_signature
from workers import jobs

ENDPOINT = "https://agency.example.org/mpaka"


def add_endpoint(svc, secret="s3cret"):
    with svc.db() as db:
        team = db.scalar(select(Team).where(Team.name == "Turkana county team"))
        db.add(AgencyEndpoint(team_id=team.id, name="County EOC", url=ENDPOINT, secret=secret))
        db.commit()


def test_agency_endpoint_gets_signed_report(svc, make_report, run_worker, outbound):
    """The endpoint receives the report as JSON, signed with HMAC-SHA256 and a fresh timestamp."""
    add_endpoint(svc)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(ENDPOINT, status=204)
        routing.route(svc, make_report(contact="yes"))
        run_worker()
        request = mock.calls[0].request
    payload = json.loads(request.body)
    assert payload["event"] == "report.created" and payload["county"] == "turkana"
    assert "reporter_phone" not in payload and "+2547" not in request.body.decode()
    assert verify_signature("s3cret", request.headers["X-Mpaka-Timestamp"], request.body,
                            request.headers["X-Mpaka-Signature"], now=time.time())
    assert outbound(channel="webhook")[0].status == "delivered"


def test_agency_endpoint_5xx_is_retried(app, svc, make_report, run_worker, outbound):
    """An endpoint answering 503 is tried again with backoff, then delivered."""
    app.config["DELIVERY_BACKOFF_BASE"] = 0
    add_endpoint(svc)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(ENDPOINT, status=503)
        mock.post(ENDPOINT, status=200)
        routing.route(svc, make_report())
        run_worker()
        run_worker()
    row = outbound(channel="webhook")[0]
    assert row.status == "delivered" and row.attempts == 2


def test_message_stuck_in_sending_is_resent_by_the_sweeper(svc, clock, make_report, run_worker,
                                                            outbound):
    """A worker killed mid-send leaves 'sending'; past the timeout the sweeper sends it again."""
    routing.route(svc, make_report())
    with svc.db() as db:
        for row in db.scalars(select(Message).where(Message.direction == "out")):
            row.status = "sending"
            row.attempts = 1
        db.commit()
    clock.advance(seconds=svc.config["STUCK_DELIVERY_SECONDS"] + 1)
    ids = outbox.stuck(svc)
    assert len(ids) == 2
    svc.queue("alerts").enqueue(jobs.send_messages, ids)
    run_worker()
    assert all(r.status == "sent" and r.attempts == 2 for r in outbound())


def test_recent_sending_is_left_alone(svc, make_report):
    """A message being sent right now is not taken for stuck."""
    routing.route(svc, make_report())
    with svc.db() as db:
        for row in db.scalars(select(Message)):
            row.status = "sending"
        db.commit()
    assert outbox.stuck(svc) == []


def test_periodic_jobs_are_scheduled_once_per_slot(svc, clock):
    """Scheduling the sweep twice in one slot leaves one job waiting."""
    clock.set(datetime.fromtimestamp(1000.0, UTC))
    first = jobs.schedule_periodic(svc, "sweep")
    clock.advance(seconds=1)
    second = jobs.schedule_periodic(svc, "sweep")
    assert first == second
    assert svc.queue("maintenance").scheduled_job_registry.count == 1


def test_backoff_waits_at_least_half_the_exponential_delay():
    """Equal jitter: attempt n waits between half and all of min(cap, base * 2**n)."""
    assert outbox.backoff_seconds(3, base=5, cap=600, rng=lambda: 0.0) == 20
    assert outbox.backoff_seconds(3, base=5, cap=600, rng=lambda: 1.0) == 40
    assert outbox.backoff_seconds(20, base=5, cap=600, rng=lambda: 0.0) == 300
    minimum_before_sixth = sum(outbox.backoff_seconds(n, rng=lambda: 0.0) for n in range(1, 6))
    assert minimum_before_sixth > 60  # a one-minute outage cannot use up the attempts


def test_two_senders_on_the_same_messages_send_each_once(svc, make_report, outbound):
    """Two workers handed the same ids at once: the atomic claim lets one send each message."""
    import io
    import threading

    from handlers.console import ConsoleSender

    routing.route(svc, make_report())
    ids = [row.id for row in outbound()]
    stream = io.StringIO()
    sender = ConsoleSender(stream=stream)
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        outbox.send(svc, ids, senders={"console": sender})

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stream.getvalue().count("MPAKA HIGH") == len(ids)
    assert all(row.attempts == 1 for row in outbound())
