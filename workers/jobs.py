"""The jobs.  The periodic sweep reschedules itself for the next time slot
under that slot's job id (``mpaka-sweep-<slot>``): however many workers start,
one job per slot waits in RQ's scheduled registry, and a restarted worker loses
none.  No cron and no polling loop."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from rq import Retry

from gateway import escalation, logs, outbox, reports, routing
from workers.context import services

log = logging.getLogger(__name__)

ROUTE_RETRY = Retry(max=5, interval=[2, 10, 30, 60, 120])
SWEEP_JOB_PREFIX = "mpaka-sweep-"


@logs.job
def route_report(report_id: int) -> dict:
    """Match the rules, create alerts and deliveries, enqueue their sending."""
    return routing.route(services(), report_id)


@logs.job
def send_messages(message_ids: list[int], attempt: int = 1) -> dict:
    """Send queued ledger messages; transient failures come back with backoff."""
    svc = services()
    retry = outbox.send(svc, message_ids)
    if retry:
        if attempt >= svc.config["DELIVERY_MAX_ATTEMPTS"]:
            outbox.give_up(svc, retry)
        else:
            delay = outbox.backoff_seconds(
                attempt, base=svc.config["DELIVERY_BACKOFF_BASE"],
                cap=svc.config["DELIVERY_BACKOFF_CAP"],
            )
            svc.queue("alerts").enqueue_in(
                timedelta(seconds=delay), send_messages, retry, attempt + 1,
                meta=logs.job_meta(),
            )
    return {"sent": len(message_ids) - len(retry), "retry": retry, "attempt": attempt}


@logs.job
def sweep() -> dict:
    """Write parked reports, route unrouted ones, resend stuck messages; reschedule."""
    svc = services()
    schedule_sweep(svc)
    stored = reports.flush_pending(svc)
    rerouted = routing.enqueue_unrouted(svc)
    stuck = outbox.stuck(svc)
    if stuck:
        svc.queue("alerts").enqueue(send_messages, stuck, meta=logs.job_meta())
    return {"stored": stored, "rerouted": rerouted, "resent": stuck}


def schedule_sweep(svc, now: float | None = None) -> str:
    """Schedule the sweep for the next slot; idempotent within a slot."""
    interval = svc.config["SWEEP_INTERVAL_SECONDS"]
    slot = int((now if now is not None else time.time()) // interval) + 1
    job_id = f"{SWEEP_JOB_PREFIX}{slot}"
    svc.queue("maintenance").enqueue_at(
        datetime.fromtimestamp(slot * interval, UTC), sweep, job_id=job_id,
        result_ttl=interval * 2, failure_ttl=86400,
    )
    return job_id


@logs.job
def check_escalation(alert_id: int) -> dict:
    """At an alert's deadline: alert the next tier unless acknowledged."""
    return escalation.check(services(), alert_id)
