"""The ``Services`` a worker process uses, built once from the environment.

Tests that run a ``SimpleWorker`` in their own process hand it theirs with
``use(services)``.
"""

from __future__ import annotations

from gateway.core import config
from gateway.core.services import Services

_services: Services | None = None


def worker_services() -> Services:
    global _services
    if _services is None:
        # patient: a worker waits out a Redis outage (gateway.core.services.connect_redis)
        _services = Services(config.finalise(config.from_environment()), patient=True)
    return _services


def use(svc: Services | None) -> None:
    global _services
    _services = svc
