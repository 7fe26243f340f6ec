"""The jobs.  The periodic sweep reschedules itself for the next time slot
under that slot's job id (``mpaka-sweep-<slot>``): however many workers start,
one job per slot waits in RQ's scheduled registry, and a restarted worker loses
none.  No cron and no polling loop."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from rq import get_current_job

from gateway import tasks
from gateway.delivery import outbox
from gateway.intake import callback, media, reports
from gateway.ops import logs
from gateway.privacy import retention
from gateway.routing import digest, escalation
from gateway.routing import dispatch as routing
from gateway.store import funnel, ledger_stream
from workers.context import worker_services

log = logging.getLogger(__name__)

@logs.job
def route_report(report_id: int) -> dict:
    """Match the rules, create alerts and deliveries, enqueue their sending."""
    return routing.route(worker_services(), report_id)


@logs.job
def fetch_attachment(attachment_id: int, sealed_url: str, provider: str = "twilio") -> dict:
    """Download a reporter's media from Twilio (or a call's recording from
    Africa's Talking), check it, strip an image's metadata, store it; the
    provider unreachable is tried again (``tasks``).  The URL comes encrypted
    (it leads to the sender's number at the provider)."""
    job = get_current_job()
    last_try = job is None or not job.retries_left
    svc = worker_services()
    url = svc.protector.decrypt(sealed_url) or ""
    return media.fetch(svc, attachment_id, url, last_try=last_try, provider=provider)


@logs.job
def place_callback(message_id: int) -> dict:
    """Call back a resident who gave a missed call (``gateway.intake.callback``)."""
    return callback.place(worker_services(), message_id)


@logs.job
def send_messages(message_ids: list[int], attempt: int = 1) -> dict:
    """Send queued ledger messages; transient failures come back with backoff."""
    svc = worker_services()
    retry = outbox.send(svc, message_ids)
    if retry:
        if attempt >= svc.config["DELIVERY_MAX_ATTEMPTS"]:
            outbox.give_up(svc, retry)
        else:
            delay = outbox.backoff_seconds(
                attempt, base=svc.config["DELIVERY_BACKOFF_BASE"],
                cap=svc.config["DELIVERY_BACKOFF_CAP"],
            )
            tasks.send_messages(svc, retry, attempt=attempt + 1, delay_seconds=delay)
    return {"sent": len(message_ids) - len(retry), "retry": retry, "attempt": attempt}


@logs.job
def sweep() -> dict:
    """Write parked reports, funnel counts and the ledger stream (the
    workers' writer threads do that within a second; this is the fallback),
    route unrouted reports, resend stuck messages; reschedule."""
    svc = worker_services()
    schedule_periodic(svc, "sweep")
    stored = reports.flush_pending(svc)
    funnel.flush(svc)
    ledger_stream.drain_quietly(svc, ledger_stream.consumer_name())
    rerouted = routing.enqueue_unrouted(svc)
    stuck = outbox.stuck(svc)
    if stuck:
        tasks.send_messages(svc, stuck)
    return {"stored": stored, "rerouted": rerouted, "resent": stuck}


@logs.job
def purge_expired() -> dict:
    """Daily: strip reporters' numbers and descriptions past the retention period."""
    svc = worker_services()
    schedule_periodic(svc, "purge")
    return retention.purge_expired(svc)


@logs.job
def weekly_digest() -> dict:
    """Mondays 06:00 EAT: last week's summary to every team (an SMS each)."""
    svc = worker_services()
    schedule_periodic(svc, "digest")
    if not svc.config["WEEKLY_DIGEST"]:
        return {"skipped": "WEEKLY_DIGEST is off"}
    return digest.send_weekly(svc)


WEEK = 7 * 86400
#: Unix time 0 was a Thursday 00:00 UTC; Monday 06:00 EAT (03:00 UTC) is 4 days 3 hours later.
MONDAY_0600_EAT = 4 * 86400 + 3 * 3600

#: Periodic jobs: name -> (function, interval setting or seconds, offset of the slots).
PERIODIC = {
    "sweep": (sweep, "SWEEP_INTERVAL_SECONDS", 0),
    "purge": (purge_expired, 86400, 0),
    "digest": (weekly_digest, WEEK, MONDAY_0600_EAT),
}


def schedule_periodic(svc, name: str) -> str:
    """Schedule job ``name`` for its next slot; idempotent within a slot."""
    func, interval, offset = PERIODIC[name]
    if isinstance(interval, str):
        interval = svc.config[interval]
    slot = int((svc.clock.time() - offset) // interval) + 1
    job_id = f"mpaka-{name}-{slot}"
    tasks.periodic(svc, func.__name__, at=datetime.fromtimestamp(slot * interval + offset, UTC),
                   job_id=job_id, result_ttl=interval * 2)
    return job_id


def schedule_all(svc) -> list[str]:
    """Called when a worker starts: every periodic job has its next run waiting."""
    return [schedule_periodic(svc, name) for name in PERIODIC]


@logs.job
def check_escalation(alert_id: int) -> dict:
    """At an alert's deadline: alert the next tier unless acknowledged."""
    return escalation.check(worker_services(), alert_id)
