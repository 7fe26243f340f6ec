"""The ``/metrics`` endpoint: what ``gateway.ops.metrics`` recorded in Redis
and this process, plus queue depths, RQ workers and overdue alerts read at
scrape time, behind the ``METRICS_TOKEN`` / ``METRICS_ALLOW`` check."""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from rq import Worker
from sqlalchemy import func, select

from gateway.core import keys
from gateway.core.services import QUEUE_NAMES, Services, current_services
from gateway.ops.metrics import COUNTERS, FIRST_ACK, FIRST_ACK_BUCKETS, SEPARATOR, WEBHOOK_DURATION
from gateway.store import ledger_stream
from gateway.store.models import Alert, Message
from gateway.vocab import AlertStatus, Direction, MessageStatus
from gateway.web.proxies import address_allowed

log = logging.getLogger(__name__)


class ClusterCollector:
    """Counters from Redis, queue depths and overdue alerts, at scrape time."""

    def __init__(self, svc: Services):
        self.svc = svc

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("mpaka_dependency_up", "1 when the dependency answered the scrape",
                               labels=["dependency"])
        try:
            yield from self._counters()
            yield from self._queues()
            up.add_metric(["redis"], 1)
        except Exception as exc:  # noqa: BLE001 - export what we can
            log.warning("metrics: redis unavailable: %s", type(exc).__name__)
            up.add_metric(["redis"], 0)
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except Exception as exc:  # noqa: BLE001
            log.warning("metrics: database unavailable: %s", type(exc).__name__)
            up.add_metric(["database"], 0)
        yield up

    def _counters(self) -> Iterator[Metric]:
        r = self.svc.redis
        pipe = r.pipeline()
        for name in COUNTERS:
            pipe.hgetall(keys.metric(name))
        pipe.hgetall(keys.metric(FIRST_ACK))
        *counts, ack = pipe.execute()
        for (name, (help_text, names)), values in zip(COUNTERS.items(), counts, strict=True):
            family = CounterMetricFamily(name, help_text, labels=list(names))
            for field, value in sorted(values.items()):
                parts = field.decode().split(SEPARATOR)
                if len(parts) == len(names):
                    family.add_metric(parts, float(value))
            yield family
        yield self._first_ack(ack)

    def _first_ack(self, values: dict[bytes, bytes]) -> HistogramMetricFamily:
        family = HistogramMetricFamily(
            FIRST_ACK, "Seconds from a report's arrival to its first acknowledgement",
            labels=["severity"],
        )
        by_severity: dict[str, dict[str, float]] = {}
        for field, value in values.items():
            severity, bucket = field.decode().split(SEPARATOR, 1)
            by_severity.setdefault(severity, {})[bucket] = float(value)
        for severity, data in sorted(by_severity.items()):
            cumulative, buckets = 0.0, []
            for bound in [*map(str, FIRST_ACK_BUCKETS), "+Inf"]:
                cumulative += data.get(bound, 0.0)
                buckets.append((bound, cumulative))
            family.add_metric([severity], buckets, data.get("sum", 0.0))
        return family

    def _queues(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("mpaka_queue_jobs", "RQ jobs by queue and state",
                                  labels=["queue", "state"])
        for name in QUEUE_NAMES:
            q = self.svc.queue(name)
            depth.add_metric([name, "queued"], q.count)
            depth.add_metric([name, "scheduled"], q.scheduled_job_registry.count)
            depth.add_metric([name, "started"], q.started_job_registry.count)
            depth.add_metric([name, "failed"], q.failed_job_registry.count)
        yield depth
        stream = ledger_stream.backlog(self.svc.redis)
        ledger = GaugeMetricFamily(
            "mpaka_ledger_stream_entries",
            "Ledger stream entries not yet written to SQL (waiting: all of them; "
            "pending: read by a worker, not yet acknowledged)", labels=["state"])
        ledger.add_metric(["waiting"], stream["waiting"])
        ledger.add_metric(["pending"], stream["pending"])
        yield ledger
        oldest = GaugeMetricFamily("mpaka_ledger_stream_oldest_seconds",
                                   "Age of the oldest ledger stream entry not yet written to SQL")
        oldest.add_metric([], ledger_stream.oldest_age(self.svc.redis, self.svc.clock.time()))
        yield oldest
        workers = GaugeMetricFamily("mpaka_workers", "RQ workers registered in Redis")
        workers.add_metric([], Worker.count(connection=self.svc.redis))
        yield workers

    def _database(self) -> Iterator[Metric]:
        now = self.svc.clock.now()
        with self.svc.db() as db:
            overdue = db.scalar(select(func.count(Alert.id)).where(
                Alert.status == AlertStatus.PENDING, Alert.deadline_at < now))
            waiting = dict(db.execute(
                select(Message.status, func.count(Message.id))
                .where(Message.direction == Direction.OUT,
                       Message.status.in_(MessageStatus.pending()))
                .group_by(Message.status)
            ).all())
        family = GaugeMetricFamily("mpaka_alerts_overdue",
                                   "Alerts past their acknowledgement deadline, still pending")
        family.add_metric([], overdue or 0)
        yield family
        outbox = GaugeMetricFamily("mpaka_outbox_messages", "Outbound messages not yet sent",
                                   labels=["status"])
        for status in MessageStatus.pending():
            outbox.add_metric([status], waiting.get(status, 0))
        yield outbox


class _ProcessCollector:
    """This process's own prometheus_client metrics (outside multiprocess mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition(svc: Services) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ProcessCollector())
    registry.register(ClusterCollector(svc))
    return generate_latest(registry)




def allowed(config: Mapping[str, Any], remote_addr: str | None,
            authorization: str | None) -> bool:
    """With ``METRICS_TOKEN`` and/or ``METRICS_ALLOW`` set, a scrape must match one."""
    token = config.get("METRICS_TOKEN")
    allow = config.get("METRICS_ALLOW") or []
    if not token and not allow:
        return True
    if token and authorization:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    return bool(allow) and address_allowed(remote_addr, allow)


def init_app(app: Flask) -> None:
    @app.get("/metrics")
    def metrics() -> Response:
        if not allowed(app.config, request.remote_addr, request.headers.get("Authorization")):
            abort(403)
        return Response(exposition(current_services()), mimetype=CONTENT_TYPE_LATEST)

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe_webhook(response: Response) -> Response:
        if request.blueprint == "webhooks" and "metrics_started" in g:
            endpoint = (request.endpoint or "unknown").rsplit(".", 1)[-1]
            WEBHOOK_DURATION.labels(endpoint, str(response.status_code)).observe(
                time.perf_counter() - g.metrics_started
            )
        return response
