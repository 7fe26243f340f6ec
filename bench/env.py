"""Processes the benchmarks and the fault tests start and stop themselves.

Everything listens on 127.0.0.1 on a free port; every process is started in
its own process group so that stopping it also stops its children (gunicorn's
workers, RQ's work horses), and stopped by its own pid, never by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def port_closed(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return False
    except OSError:
        return True


class Process:
    """A child process in its own process group."""

    def __init__(self, argv: list[str], *, env: dict | None = None, log: Path | None = None,
                 cwd: Path = ROOT):
        self.argv = argv
        self.env = env
        self.log = log
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None

    def start(self) -> Process:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.argv, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.log:
            out.close()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the whole group (the process and, e.g., RQ's work horse)."""
        self.signal_group(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.signal_group(signal.SIGKILL)  # orphans of a dead leader, if any
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.signal_group(signal.SIGKILL)


# -- Redis ----------------------------------------------------------------------------


class RedisServer:
    """A private ``redis-server`` on a free port, with append-only persistence
    (as in production), so a stopped-and-restarted server keeps its data."""

    def __init__(self, directory: Path | None = None, port: int | None = None,
                 persistent: bool = True, extra: list[str] | None = None):
        self.dir = Path(directory or tempfile.mkdtemp(prefix="mpaka-redis-"))
        self.port = port or free_port()
        self.persistent = persistent
        #: More redis-server arguments, e.g. ``["--replicaof", "127.0.0.1", "6400"]``.
        self.extra = extra or []
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        if self.process is not None:  # e.g. shut down from outside: reap it first
            self.process.stop()
        argv = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
            "--save", "", "--protected-mode", "no", "--loglevel", "warning",
            "--appendonly", "yes" if self.persistent else "no", "--appendfsync", "always",
            *self.extra,
        ]
        self.process = Process(argv, log=self.dir / "redis.log").start()
        wait_for_port(self.port, proc=self.process.proc)
        conn = self.client()
        deadline = time.monotonic() + 60
        while True:  # loading the AOF
            try:
                conn.ping()
                break
            except redis.exceptions.BusyLoadingError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        conn.close()
        return self

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def stop(self) -> None:
        """SIGTERM: Redis finishes the append-only file and exits."""
        if self.process is not None:
            self.process.stop()
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class SentinelGroup:
    """A Redis primary, one replica and three sentinels on loopback, as a
    small production deployment runs them (``REDIS_SENTINELS``).  Sentinels
    judge a primary down after ``down_after_ms``, so a failover takes a few
    seconds, not the default half minute."""

    SERVICE = "mymaster"

    def __init__(self, directory: Path, *, down_after_ms: int = 1000):
        self.dir = directory
        self.primary = RedisServer(directory / "primary")
        self.replica = RedisServer(directory / "replica",
                                   extra=["--replicaof", "127.0.0.1", str(self.primary.port)])
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.down_after_ms = down_after_ms
        self.sentinels: list[Process] = []

    @property
    def addresses(self) -> str:
        """The ``REDIS_SENTINELS`` value."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def start(self, timeout: float = 60.0) -> SentinelGroup:
        for server in (self.primary, self.replica):
            server.dir.mkdir(parents=True, exist_ok=True)
        self.primary.start()
        self.replica.start()
        for port in self.sentinel_ports:
            conf = self.dir / f"sentinel-{port}.conf"  # sentinels rewrite their file
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\nprotected-mode no\ndir {self.dir}\n"
                f"sentinel monitor {self.SERVICE} 127.0.0.1 {self.primary.port} 2\n"
                f"sentinel down-after-milliseconds {self.SERVICE} {self.down_after_ms}\n"
                f"sentinel failover-timeout {self.SERVICE} 5000\n"
                f"sentinel parallel-syncs {self.SERVICE} 1\n")
            argv = [shutil.which("redis-server") or "redis-server", str(conf), "--sentinel"]
            proc = Process(argv, log=self.dir / f"sentinel-{port}.log").start()
            wait_for_port(port, proc=proc.proc)
            self.sentinels.append(proc)
        deadline = time.monotonic() + timeout
        while not self._ready():  # replica in sync, every sentinel sees the others and it
            if time.monotonic() > deadline:
                raise TimeoutError("the sentinel group did not settle")
            time.sleep(0.2)
        return self

    def _ready(self) -> bool:
        try:
            if self.replica.client().info("replication").get("master_link_status") != "up":
                return False
            for port in self.sentinel_ports:
                master = self.sentinel(port).sentinel_master(self.SERVICE)
                if master.get("num-other-sentinels", 0) < 2 or master.get("num-slaves", 0) < 1:
                    return False
        except redis.exceptions.RedisError:
            return False
        return True

    def sentinel(self, port: int | None = None) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port or self.sentinel_ports[0], socket_timeout=5,
                           decode_responses=True)

    def primary_port(self) -> int | None:
        """The primary's port as the sentinels see it now."""
        for port in self.sentinel_ports:
            try:
                _host, primary = self.sentinel(port).sentinel_get_master_addr_by_name(self.SERVICE)
                return int(primary)
            except (redis.exceptions.RedisError, TypeError):
                continue
        return None

    def kill_primary(self) -> None:
        """SIGKILL: no goodbye to the replica or the clients, as when a host dies."""
        assert self.primary.process is not None
        self.primary.process.kill()

    def cleanup(self) -> None:
        for proc in self.sentinels:
            proc.stop(timeout=5)
        self.replica.cleanup()
        self.primary.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- Databases ------------------------------------------------------------------------


def fresh_database(base_url: str | None, name: str, workdir: Path) -> str:
    """A new, empty, migrated and seeded database for one run.

    With a PostgreSQL ``base_url`` (e.g. the tests' ``TEST_DATABASE_URL``) a
    database ``name`` is (re)created next to it; never the ``public`` schema of
    the test database.  Without one, a SQLite file under ``workdir``.
    """
    from gateway.store import migrate

    if base_url and make_url(base_url).get_backend_name() == "postgresql":
        admin = make_url(base_url).set(drivername="postgresql+psycopg")
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    else:
        workdir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{workdir / (name + '.sqlite3')}"
    migrate.upgrade(url)
    return url


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = parsed.set(drivername="postgresql+psycopg", database="postgres")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


def seed_database(config: dict, team_size: int | None = None) -> None:
    """The standard seed; ``team_size`` tops every county team up to that many members."""
    from sqlalchemy import select

    from gateway.core.services import Services
    from gateway.store.models import Team, TeamMember
    from gateway.store.seed import seed

    svc = Services(config)
    try:
        with svc.db() as db:
            seed(db, admin_password="bench-admin-password")
            if team_size:
                for i, team in enumerate(db.scalars(select(Team).where(Team.tier == "county"))):
                    for j in range(len(team.members), team_size):
                        team.members.append(TeamMember(
                            name=f"Bench officer {j + 1}", phone=f"+2547009{i:02d}{j:03d}",
                            channel="sms",
                        ))
            db.commit()
    finally:
        svc.close()


def with_port(url: str, port: int) -> str:
    """``url`` pointing at 127.0.0.1:``port`` (for a TCP proxy in front of a server)."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit((parts.scheme, f"{userinfo}127.0.0.1:{port}", parts.path, parts.query, ""))


# -- The app, workers, the fake provider ---------------------------------------------


def app_env(config: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_EDGE", "TWILIO_REGION"))}
    env.update({k: str(v) for k, v in config.items() if v is not None})
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def gunicorn(app: str, *, port: int, env: dict, workers: int, worker_class: str = "sync",
             threads: int = 1, log: Path | None = None, extra: list[str] | None = None) -> Process:
    argv = [
        PYTHON, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", worker_class, "--threads", str(threads),
        "--backlog", "4096", "--timeout", "30", "--graceful-timeout", "5",
        "--log-level", "warning", *(extra or []),
    ]
    return Process(argv, env=env, log=log)


def worker(env: dict, *, log: Path | None = None) -> Process:
    """``bench.worker``: ``mpaka worker`` with the SDK pointed at the fake provider."""
    return Process([PYTHON, "-m", "bench.worker"], env=env, log=log)


def fake_at(port: int, *, latency: float = 0.0, log: Path | None = None) -> Process:
    return Process(
        [PYTHON, "-m", "bench.fake_at", "--port", str(port), "--latency", str(latency)], log=log,
        env=app_env({}),
    )


def tcp_proxy(listen: int, target: int, *, log: Path | None = None) -> Process:
    return Process(
        [PYTHON, "-m", "bench.tcpproxy", "--listen", str(listen), "--target", str(target)],
        log=log, env=app_env({}),
    )


def wait_http(url: str, timeout: float = 60.0, proc: Process | None = None) -> None:
    import requests

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.running():
            raise RuntimeError(f"{proc.argv[:4]} exited with {proc.proc.returncode}")
        try:
            # polls for readiness; a slow first answer (busy host) still counts
            requests.get(url, timeout=max(1.0, min(30.0, deadline - time.monotonic())))
            return
        except requests.RequestException as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in {timeout}s: {last}")
