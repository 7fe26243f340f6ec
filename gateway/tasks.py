"""The one seam through which the gateway queues work for the RQ workers.

Jobs are enqueued by their dotted path (``workers.jobs.<name>``), which the
worker resolves: no module of the gateway imports ``workers``, so the domain
never depends on the process that runs it.  Each function here owns its job's
queue, id (idempotency: RQ keeps one job per id), retry policy and the log
context (the enqueuing request's id travels in ``meta``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from rq import Retry

from gateway.core.services import Services
from gateway.ops.logs import job_meta

log = logging.getLogger(__name__)

JOBS = "workers.jobs"

#: Routing retries: a database blip must not leave a report unrouted (the
#: sweeper catches what these miss).
ROUTE_RETRY_INTERVALS = [2, 10, 30, 60, 120]


def job_path(name: str) -> str:
    return f"{JOBS}.{name}"


def route_report(svc: Services, report_id: int) -> bool:
    """Queue the routing of a stored report.  ``False`` when Redis does not
    answer: the report is in the database and the sweeper routes it later."""
    try:
        svc.queue("alerts").enqueue(
            job_path("route_report"), report_id, job_id=f"route-{report_id}",
            retry=Retry(max=len(ROUTE_RETRY_INTERVALS), interval=ROUTE_RETRY_INTERVALS),
            meta=job_meta(),
        )
        return True
    except RedisError:
        log.warning("redis unavailable, routing left to the sweeper", extra={"report_id": report_id})
        return False


#: Media downloads: Twilio unreachable or answering 5xx is tried again.
MEDIA_RETRY_INTERVALS = [10, 60, 300]


def fetch_attachment(svc: Services, attachment_id: int, url: str,
                     provider: str = "twilio") -> bool:
    """Queue the download of a reporter's media file (``url`` is the
    ``provider``'s: Twilio's media, Africa's Talking's call recording; the job
    checks it).  ``False`` when Redis does not answer: the row stays
    pending and the daily purge removes it if no report takes it.

    The URL names Twilio's message, which Twilio links to the sender's number:
    the job carries it encrypted, its description (logged by RQ) names only the
    attachment, and a failed job is kept a day, not RQ's year."""
    try:
        svc.queue("default").enqueue(
            job_path("fetch_attachment"), attachment_id, svc.protector.encrypt(url), provider,
            job_id=f"media-{attachment_id}", description=f"fetch_attachment({attachment_id})",
            retry=Retry(max=len(MEDIA_RETRY_INTERVALS), interval=MEDIA_RETRY_INTERVALS),
            meta=job_meta(), result_ttl=600, failure_ttl=86400,
        )
        return True
    except RedisError:
        log.warning("redis unavailable, media not fetched", extra={"attachment": attachment_id})
        return False


def send_messages(
    svc: Services, message_ids: list[int], *, job_id: str | None = None,
    attempt: int = 1, delay_seconds: float | None = None,
) -> None:
    """Queue the sending of ledger messages (one job: one provider call per team)."""
    if not message_ids:
        return
    queue = svc.queue("alerts")
    args: tuple[Any, ...] = (list(message_ids),) if attempt == 1 else (list(message_ids), attempt)
    if delay_seconds is not None:
        queue.enqueue_in(timedelta(seconds=delay_seconds), job_path("send_messages"), *args,
                         job_id=job_id, meta=job_meta())
    else:
        queue.enqueue(job_path("send_messages"), *args, job_id=job_id, meta=job_meta())


#: A missed-call callback that failed (busy, no answer, AT unreachable) is
#: placed once more after this many seconds, then dropped.
CALLBACK_RETRY_SECONDS = 60


def place_callback(svc: Services, message_id: int, *, retry: bool = False) -> bool:
    """Queue the outbound call of a missed-call callback (its ledger row
    ``message_id`` holds the number, encrypted: the job's arguments and
    description name only the row).  ``retry``: the second and last try,
    ``CALLBACK_RETRY_SECONDS`` from now.  ``False`` when Redis does not answer."""
    queue = svc.queue("alerts")
    options: dict[str, Any] = {
        "description": f"place_callback({message_id})", "meta": job_meta(),
        "result_ttl": 600, "failure_ttl": 86400,
    }
    try:
        if retry:
            queue.enqueue_in(timedelta(seconds=CALLBACK_RETRY_SECONDS), job_path("place_callback"),
                             message_id, job_id=f"callback-{message_id}-retry", **options)
        else:
            queue.enqueue(job_path("place_callback"), message_id, job_id=f"callback-{message_id}",
                          **options)
        return True
    except RedisError:
        log.warning("redis unavailable, callback not placed", extra={"message_id": message_id})
        return False


def check_escalation(svc: Services, alert_id: int, at: datetime) -> None:
    """Schedule the escalation check of an alert at its deadline."""
    svc.queue("alerts").enqueue_at(
        at, job_path("check_escalation"), alert_id, job_id=f"escalate-{alert_id}",
        meta=job_meta(),
    )


def periodic(svc: Services, name: str, *, at: datetime, job_id: str, result_ttl: int) -> None:
    """Schedule one run of a periodic maintenance job (``sweep``, ``purge_expired``)."""
    svc.queue("maintenance").enqueue_at(
        at, job_path(name), job_id=job_id, result_ttl=result_ttl, failure_ttl=86400,
    )
