"""The app as gunicorn serves it (``wsgi:app``), plus one fault hook for the
"Redis lost at the moment a dialogue completes" test: with
``MPAKA_FAULT_SHUTDOWN_REDIS_AT_ENQUEUE=1`` the first routing enqueue first
shuts the real Redis server down (``SHUTDOWN``, persisting its data), so the
enqueue meets a real connection failure at exactly that point.  The hook
changes no product code: it wraps ``gateway.intake.reports.enqueue_routing``."""

from __future__ import annotations

import functools
import os

import redis

from gateway.intake import reports

if os.environ.get("MPAKA_FAULT_SHUTDOWN_REDIS_AT_ENQUEUE") == "1":
    _original = reports.enqueue_routing
    _done: list[bool] = []

    @functools.wraps(_original)
    def enqueue_routing(svc, report_id):
        if not _done:
            _done.append(True)
            try:
                redis.Redis.from_url(os.environ["REDIS_URL"]).shutdown(save=True)
            except redis.exceptions.ConnectionError:
                pass  # the server closed the connection as it went down
        return _original(svc, report_id)

    reports.enqueue_routing = enqueue_routing

from wsgi import app  # noqa: E402,F401
