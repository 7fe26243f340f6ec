"""Liveness and readiness.

* ``/healthz`` answers 200 whenever the process can serve a request (restart
  the process when it does not).
* ``/readyz`` answers 200 when this instance can do its work: Redis and the
  database answer, the schema is at the latest migration, no queue is
  deeper than ``READY_QUEUE_THRESHOLD`` and no ledger row has waited in the
  ledger stream longer than ``READY_LEDGER_SECONDS``; otherwise 503 naming what fails (take
  the instance out of the load balancer, page someone).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from flask import Blueprint, jsonify
from sqlalchemy import text

from gateway.core.services import QUEUE_NAMES, current_services
from gateway.store import ledger_stream, migrate

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@lru_cache(maxsize=8)
def _head(database_url: str) -> str | None:
    return migrate.head_revision(database_url)


def check_redis(svc) -> str | None:
    svc.redis.ping()
    return None


def check_database(svc) -> str | None:
    with svc.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return None


def check_migrations(svc) -> str | None:
    current = migrate.current_revision(svc.engine)
    head = _head(svc.config["DATABASE_URL"])
    if current != head:
        return f"database at revision {current or 'none'}, code expects {head}: run `mpaka db upgrade`"
    return None


def check_queues(svc) -> str | None:
    threshold = svc.config["READY_QUEUE_THRESHOLD"]
    deep = [f"{name}={svc.queue(name).count}" for name in QUEUE_NAMES
            if svc.queue(name).count > threshold]
    if deep:
        return f"queue depth above {threshold}: {', '.join(deep)} (are the workers running?)"
    return None


def check_ledger(svc) -> str | None:
    """The ledger stream is being written to SQL: nothing waits longer than
    ``READY_LEDGER_SECONDS``."""
    limit = svc.config["READY_LEDGER_SECONDS"]
    age = ledger_stream.oldest_age(svc.redis, svc.clock.time())
    if age > limit:
        waiting = ledger_stream.backlog(svc.redis)["waiting"]
        return (f"ledger stream: {waiting} entries waiting, the oldest for {age:.0f} s "
                f"(are the workers running, is the database up?)")
    return None


CHECKS = (
    ("redis", check_redis, ()),
    ("database", check_database, ()),
    ("migrations", check_migrations, ("database",)),
    ("queues", check_queues, ("redis",)),
    ("ledger", check_ledger, ("redis",)),
)


def readiness(svc) -> dict[str, dict]:
    """Each check's result: ``{"ok": bool, "error": str?}``."""
    results: dict[str, dict] = {}
    for name, check, needs in CHECKS:
        if any(not results[n]["ok"] for n in needs):
            results[name] = {"ok": False, "error": f"skipped: {', '.join(needs)} unavailable"}
            continue
        try:
            problem = check(svc)
        except Exception as exc:  # noqa: BLE001 - a failing dependency is the answer
            # The caller is unauthenticated: the kind of failure, never the
            # driver's message (hosts, ports, users); that goes to the log.
            log.warning("readiness check %s failed: %s", name, exc)
            problem = f"{type(exc).__name__}: see the server log"
        results[name] = {"ok": problem is None} | ({"error": problem} if problem else {})
    return results


@bp.get("/readyz")
def readyz():
    results = readiness(current_services())
    failing = [name for name, result in results.items() if not result["ok"]]
    if failing:
        log.warning("not ready", extra={"failing": failing})
        return jsonify(status="unavailable", failing=failing, checks=results), 503
    return jsonify(status="ok", failing=[], checks=results)

