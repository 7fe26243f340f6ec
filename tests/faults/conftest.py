"""Fault-test fixtures: a whole system of real processes on loopback.

``system`` starts a private ``redis-server`` (append-only, so a stopped server
keeps its data), a fresh database (PostgreSQL next to ``TEST_DATABASE_URL``
when set, reached through a TCP proxy the test can cut; else SQLite), the app
under gunicorn, a fake Africa's Talking and, on demand, RQ worker processes
(``bench.worker``: ``mpaka worker`` with the SDK pointed at the fake).  Every
process is stopped by its own pid at the end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from bench import env
from bench.load import REFERENCE
from tests.helpers import DEADLINE, REQUEST_TIMEOUT, wait_for

HERE = Path(__file__).resolve().parent
PHONE = "+254739495441"
#: Kiswahili, migrant smuggling (Turkana team only), Turkana, Turkana North,
#: now, a description, contact yes, send.
INPUTS = ["2", "3", "1", "1", "1", "Gari tatu zimevuka mpaka usiku", "1", "1"]


class System:
    def __init__(self, tmp: Path, *, proxy_db: bool = False, app_env: dict | None = None,
                 sentinel: bool = False):
        self.tmp = tmp
        #: With ``sentinel``: a primary, a replica and three sentinels; ``redis``
        #: is then the first primary.
        self.sentinel = env.SentinelGroup(tmp / "sentinel").start() if sentinel else None
        if self.sentinel is not None:
            self.redis = self.sentinel.primary
            redis_settings = {"REDIS_SENTINELS": self.sentinel.addresses,
                              "REDIS_SENTINEL_SERVICE": self.sentinel.SERVICE,
                              "REDIS_URL": "redis://sentinel/0"}  # the database number only
        else:
            self.redis = env.RedisServer(tmp / "redis")
            self.redis.dir.mkdir(parents=True, exist_ok=True)
            self.redis.start()
            redis_settings = {"REDIS_URL": self.redis.url}
        base = os.environ.get("TEST_DATABASE_URL")
        self.postgres = bool(base)
        name = f"mpaka_faults_{os.getpid()}"
        self.direct_db_url = env.fresh_database(base, name, tmp)
        self.proxy: env.Process | None = None
        self.proxy_port = None
        db_url = self.direct_db_url
        if proxy_db:
            assert self.postgres
            self.proxy_port = env.free_port()
            db_url = env.with_port(self.direct_db_url, self.proxy_port)
            self.start_db_proxy()
        self.fake_port = env.free_port()
        self.fake = env.fake_at(self.fake_port, log=tmp / "fake_at.log").start()
        self.config = {
            "SECRET_KEY": "fault-test-secret",
            **redis_settings,
            "DATABASE_URL": db_url,
            "MPAKA_DATA_DIR": str(tmp / "instance"),
            "SMS_PROVIDER": "africastalking",
            "WHATSAPP_PROVIDER": "console",
            "AT_USERNAME": "mpaka-faults",
            "AT_API_KEY": "fault-api-key",
            "MPAKA_FAKE_AT_URL": f"http://127.0.0.1:{self.fake_port}",
            "TRUSTED_PROXIES": "0",
            "SWEEP_INTERVAL_SECONDS": "2",
            "STUCK_DELIVERY_SECONDS": "3",
        }
        env.seed_database(dict(self.config, DATABASE_URL=self.direct_db_url,
                               MPAKA_DATA_DIR=str(tmp / "instance")))
        self.app_env = app_env or {}
        self.app_port = env.free_port()
        self.app: env.Process | None = None
        self.workers: list[env.Process] = []
        self.instances: list[env.Process] = []
        self._engine = create_engine(self.direct_db_url.replace(
            "postgresql://", "postgresql+psycopg://", 1))
        env.wait_http(self.fake_url + "/healthz", timeout=DEADLINE, proc=self.fake)

    # -- processes --------------------------------------------------------------
    @property
    def fake_url(self) -> str:
        return f"http://127.0.0.1:{self.fake_port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    def environ(self, **extra) -> dict:
        return env.app_env({**self.config, **{k: str(v) for k, v in extra.items()}})

    def start_app(self, workers: int = 2) -> None:
        environ = self.environ(**self.app_env)
        self.app = env.gunicorn(
            "fault_app:app", port=self.app_port, env=environ, workers=workers,
            log=self.tmp / "app.log", extra=["--pythonpath", str(HERE)],
        ).start()
        env.wait_http(self.url + "/healthz", timeout=DEADLINE, proc=self.app)

    def start_instance(self, workers: int = 1) -> str:
        """Another web instance (its own gunicorn on its own port) sharing this
        system's Redis and database, as a second host behind a load balancer.
        Returns its base URL."""
        port = env.free_port()
        proc = env.gunicorn("fault_app:app", port=port, env=self.environ(**self.app_env),
                            workers=workers, log=self.tmp / f"app-{port}.log",
                            extra=["--pythonpath", str(HERE)]).start()
        self.instances.append(proc)
        url = f"http://127.0.0.1:{port}"
        env.wait_http(url + "/healthz", timeout=DEADLINE, proc=proc)
        return url

    def start_worker(self, **extra) -> env.Process:
        proc = env.worker(self.environ(**extra), log=self.tmp / f"worker-{len(self.workers)}.log")
        proc.start()
        self.workers.append(proc)
        return proc

    def start_db_proxy(self) -> None:
        target = make_url(self.direct_db_url).port or 5432
        self.proxy = env.tcp_proxy(self.proxy_port, target, log=self.tmp / "proxy.log").start()
        env.wait_for_port(self.proxy_port, timeout=DEADLINE, proc=self.proxy.proc)

    def stop_db_proxy(self) -> None:
        assert self.proxy is not None
        self.proxy.kill()
        self.proxy = None

    def close(self) -> None:
        for proc in [*self.workers, *self.instances, self.app, self.proxy, self.fake]:
            if proc is not None:
                proc.stop(timeout=5)
        if self.sentinel is not None:
            self.sentinel.cleanup()
        else:
            self.redis.cleanup()
        self._engine.dispose()
        env.drop_database(self.direct_db_url)

    # -- a phone ------------------------------------------------------------------
    def post(self, session_id: str, text: str, phone: str = PHONE,
             base: str | None = None) -> requests.Response:
        return requests.post((base or self.url) + "/webhooks/africastalking/ussd", data={
            "sessionId": session_id, "phoneNumber": phone, "networkCode": "63902",
            "serviceCode": "*384*44135#", "text": text,
        }, timeout=REQUEST_TIMEOUT)

    def walk(self, inputs: list[str], session_id: str, phone: str = PHONE,
             start: str = "") -> list[requests.Response]:
        """Post ``inputs`` one by one (cumulative text), after the first request
        unless ``start`` (the text already sent) is given."""
        responses = [] if start else [self.post(session_id, "", phone)]
        text = start
        for value in inputs:
            text = value if not text else f"{text}*{value}"
            responses.append(self.post(session_id, text, phone))
        return responses

    # -- looking at the result -----------------------------------------------------
    def scalar(self, statement):
        with self._engine.connect() as conn:
            return conn.execute(statement).scalar()

    def rows(self, statement):
        with self._engine.connect() as conn:
            return conn.execute(statement).all()

    def report_count(self, reference: str | None = None) -> int:
        from gateway.store.models import Report

        query = select(func.count()).select_from(Report)
        if reference:
            query = query.where(Report.reference == reference)
        return self.scalar(query)

    def fake_log(self) -> dict:
        return requests.get(self.fake_url + "/_log", timeout=REQUEST_TIMEOUT).json()

    def fake_mode(self, mode: str, **values) -> None:
        requests.post(self.fake_url + "/_mode", data={"mode": mode, **values},
                      timeout=REQUEST_TIMEOUT)

    def deliveries(self) -> dict[tuple[str, str], int]:
        """(reference, recipient) -> how many times the fake provider accepted it."""
        counts: dict[tuple[str, str], int] = {}
        for m in self.fake_log()["messages"]:
            match = REFERENCE.search(m["message"])
            key = (match.group(0) if match else "?", m["to"])
            counts[key] = counts.get(key, 0) + 1
        return counts

    def outbound_statuses(self) -> dict[str, int]:
        from gateway.store.models import Message

        rows = self.rows(select(Message.status, func.count()).where(Message.direction == "out",
                                                                     Message.channel == "sms")
                         .group_by(Message.status))
        return dict(rows)


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it is true (returned) or ``timeout`` passes."""
    return wait_for(predicate, timeout=timeout, interval=interval, what=what)


@pytest.fixture
def make_system(tmp_path):
    systems: list[System] = []

    def make(**kwargs) -> System:
        system = System(tmp_path, **kwargs)
        systems.append(system)
        return system

    yield make
    for system in systems:
        system.close()


@pytest.fixture
def system(make_system) -> System:
    system = make_system()
    system.start_app()
    return system


needs_postgres = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="the database outage is simulated by cutting a TCP proxy to PostgreSQL "
           "(TEST_DATABASE_URL)",
)
