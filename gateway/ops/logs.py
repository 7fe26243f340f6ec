"""Logging: one JSON object per line in production, coloured lines in ``mpaka dev``.

Every record, from our code (``logging.getLogger(__name__)``), RQ, gunicorn or
a library, goes through the same structlog processors:

* the **context** bound for the current request or job: ``request_id`` (from the
  ``X-Request-Id`` header, or a new one), then ``channel``, ``step``,
  ``reference`` as the conversation learns them;
* **redaction**: fields that could hold a phone number, a report's text or a
  secret are replaced, and anything shaped like a phone number is masked
  wherever it appears.  Logs never carry a number, a description or a secret.

The request id follows a message into the jobs it causes: ``job_meta()`` is
passed as ``meta=`` to every ``enqueue``, and ``@job`` on each RQ job binds it
again in the worker (and so into the jobs that job enqueues).

``MPAKA_LOG_FORMAT`` is ``json`` (default) or ``console``; ``MPAKA_LOG_LEVEL``
is ``INFO`` by default.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import time
import uuid

import structlog
from flask import g, request
from rq import get_current_job
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars

from gateway.core import config as config_module

#: Field names whose values are never logged, whatever they hold.
REDACTED_FIELDS = frozenset({
    "phone", "phonenumber", "phone_number", "msisdn", "from", "to", "sender", "recipient",
    "description", "text", "body", "answers",
    "secret", "password", "token", "api_key", "authorization", "auth_token", "cookie",
})
REDACTED = "[redacted]"
#: A phone number as people type one, its digits perhaps grouped by spaces,
#: dashes, dots or brackets: international (+254 722 111 222, 00256 772 123456),
#: Kenyan national (0712345678, 0733-444-555, 07 12 34 56 78, 0112 345 678) or
#: 254 without the plus (254712345678).
_SEP = r"[ .()\-]{0,2}"
PHONE = re.compile(
    rf"(?:\+|\b00)\d(?:{_SEP}\d){{6,14}}(?!\d)"
    rf"|\b0{_SEP}[17](?:{_SEP}\d){{8}}(?!\d)"
    rf"|\b2{_SEP}5{_SEP}4{_SEP}[17](?:{_SEP}\d){{8}}(?!\d)")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

_HANDLER_NAME = "mpaka"


# -- redaction ------------------------------------------------------------------


def mask_text(value: str) -> str:
    return PHONE.sub("[phone]", value)


def redact(_logger, _method, event: dict) -> dict:
    """structlog processor: drop sensitive fields, mask numbers everywhere else."""
    for key in list(event):
        value = event[key]
        if key.lower() in REDACTED_FIELDS and value is not None:
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = mask_text(value)
        elif isinstance(value, dict | list | tuple):
            event[key] = _redact_nested(value)
    return event


def _redact_nested(value):
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in REDACTED_FIELDS else _redact_nested(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_nested(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


# -- configuration --------------------------------------------------------------


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (test runners swap it)."""

    def __init__(self):
        super().__init__(sys.stderr)
        self.set_name(_HANDLER_NAME)

    def emit(self, record):
        self.stream = sys.stderr
        super().emit(record)


def _drop_duplicates(_logger, _method, event: dict) -> dict:
    event.pop("message", None)  # the formatted copy of ``event`` logging adds
    event.pop("color_message", None)
    return event


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_duplicates,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure(log_format: str = "json", level: str = "INFO") -> None:
    """Route every logger through structlog's formatter.  Idempotent: calling
    it again (one app per test) replaces the handler, never adds a second."""
    console = (log_format or "json").lower() == "console"
    final = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        redact,
    ]
    if console:
        # plain_traceback: rich's default formatter prints every frame's locals,
        # which would put numbers and descriptions on the terminal.
        final = final[:1] + [redact, structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback)]
    else:
        final.append(structlog.processors.JSONRenderer(ensure_ascii=False))
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(), processors=final
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(getattr(logging, str(level or "INFO").upper(), logging.INFO))
    # Werkzeug's own request lines duplicate ours (and print query strings).
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    structlog.configure(
        processors=_shared_processors()[:1] + [
            structlog.stdlib.filter_by_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def configure_from(config) -> None:
    configure(config.get("MPAKA_LOG_FORMAT") or "json", config.get("MPAKA_LOG_LEVEL") or "INFO")


# -- context ----------------------------------------------------------------------


def new_request_id() -> str:
    return uuid.uuid4().hex


def bind(**values) -> None:
    """Add fields to every following log line of this request or job."""
    bind_contextvars(**{k: v for k, v in values.items() if v is not None})


def current_request_id() -> str | None:
    return get_contextvars().get("request_id")


def job_meta() -> dict:
    """``meta=`` for ``enqueue``: the request id travels with the job."""
    request_id = current_request_id()
    return {"request_id": request_id} if request_id else {}


def job(func):
    """Decorate an RQ job: bind the enqueuing request's id, log start and end."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        current = get_current_job()
        meta = (current.meta or {}) if current is not None else {}
        saved = get_contextvars()
        clear_contextvars()
        bind(request_id=meta.get("request_id") or new_request_id(),
             job=func.__name__, job_id=current.id if current is not None else None)
        log = logging.getLogger("mpaka.jobs")
        started = time.perf_counter()
        try:
            result = func(*args, **kwargs)
        except Exception:
            log.exception("job failed", extra={"duration_ms": _ms(started)})
            raise
        else:
            log.info("job done", extra={"duration_ms": _ms(started)})
            return result
        finally:
            clear_contextvars()
            bind_contextvars(**saved)

    return wrapper


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def init_app(app) -> None:
    """Configure logging and give every request an id (``X-Request-Id``)."""
    configure_from(app.config)
    access = logging.getLogger("mpaka.http")
    # Under gunicorn its own access line (gunicorn.conf.py) carries the request id.
    access_log = app.config["MPAKA_ACCESS_LOG"]

    @app.before_request
    def _start_request():
        clear_contextvars()
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID.match(given) else new_request_id()
        g.request_started = time.perf_counter()
        bind(request_id=g.request_id)

    @app.after_request
    def _finish_request(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-Id"] = request_id
        if access_log and not request.path.startswith("/static"):
            # The path only: a query string may carry a provider secret.
            access.info("request", extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "endpoint": request.endpoint,
                "duration_ms": _ms(g.get("request_started", time.perf_counter())),
            })
        return response

    @app.teardown_request
    def _end_request(_exc):
        clear_contextvars()


# -- gunicorn -----------------------------------------------------------------------


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is only needed in production
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's error and access logs as our JSON lines.  The access line has
    the path without its query string (AT sends its secret there)."""

    def setup(self, cfg):
        super().setup(cfg)
        for name in ("gunicorn.error", "gunicorn.access"):
            logger = logging.getLogger(name)
            logger.handlers = []
            logger.propagate = True
        configure_from(config_module.from_environment())

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        request_id = next(
            (v for k, v in (resp.headers or []) if k.lower() == "x-request-id"), None
        )
        logging.getLogger("gunicorn.access").info("access", extra={
            "method": environ.get("REQUEST_METHOD"), "path": environ.get("PATH_INFO"),
            "status": int(status), "request_id": request_id,
            "remote": environ.get("REMOTE_ADDR"), "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
        })
