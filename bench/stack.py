"""One benchmark stack: a private Redis, a fresh database, the app under
gunicorn, the baseline under the same settings, RQ workers and the fake
provider, all on loopback; ``close()`` stops every process it started."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import redis

from bench import env


class Stack:
    def __init__(self, *, database: str | None = None, db_name: str | None = None,
                 gunicorn_workers: int = 4, worker_class: str = "sync", threads: int = 1,
                 fake_latency: float = 0.0, team_size: int | None = None,
                 extra_config: dict | None = None, keep_logs: Path | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="mpaka-bench-"))
        self.logs = keep_logs or self.dir
        self.gunicorn_workers = gunicorn_workers
        self.worker_class = worker_class
        self.threads = threads
        self.redis = env.RedisServer(self.dir / "redis", persistent=False)
        self.redis.dir.mkdir(parents=True, exist_ok=True)
        self.redis.start()
        # One database per run: a smoke test running meanwhile must not drop ours.
        self.database_url = env.fresh_database(
            database, db_name or f"mpaka_bench_{os.getpid()}", self.dir)
        self.fake_port = env.free_port()
        self.fake = env.fake_at(self.fake_port, latency=fake_latency,
                                log=self.logs / "fake_at.log").start()
        self.config = {
            "MPAKA_ENV": "development",
            "SECRET_KEY": "bench-secret-key",
            "REDIS_URL": self.redis.url,
            "DATABASE_URL": self.database_url,
            "MPAKA_DATA_DIR": str(self.dir / "instance"),
            "SMS_PROVIDER": "africastalking",
            "WHATSAPP_PROVIDER": "console",
            "AT_USERNAME": "mpaka-bench",
            "AT_API_KEY": "bench-api-key",
            "AT_SENDER_ID": "MPAKA",
            "MPAKA_FAKE_AT_URL": f"http://127.0.0.1:{self.fake_port}",
            "TRUSTED_PROXIES": "0",
            **(extra_config or {}),
        }
        env.seed_database(self.config, team_size=team_size)
        env.wait_http(self.fake_url + "/healthz", proc=self.fake)
        self.processes: list[env.Process] = []
        self.workers: list[env.Process] = []

    @property
    def fake_url(self) -> str:
        return f"http://127.0.0.1:{self.fake_port}"

    def env(self) -> dict:
        return env.app_env(self.config)

    def serve(self, app: str = "wsgi:app", name: str = "app") -> tuple[env.Process, str]:
        port = env.free_port()
        proc = env.gunicorn(app, port=port, env=self.env(), workers=self.gunicorn_workers,
                            worker_class=self.worker_class, threads=self.threads,
                            log=self.logs / f"{name}.log").start()
        self.processes.append(proc)
        url = f"http://127.0.0.1:{port}"
        env.wait_http(url + "/healthz", proc=proc)
        return proc, url

    def stop(self, proc: env.Process) -> None:
        proc.stop()
        if proc in self.processes:
            self.processes.remove(proc)
        if proc in self.workers:
            self.workers.remove(proc)

    def start_workers(self, n: int, *, extra: dict | None = None) -> list[env.Process]:
        environ = self.env()
        environ.update({k: str(v) for k, v in (extra or {}).items()})
        started = []
        for i in range(n):
            proc = env.worker(environ, log=self.logs / f"worker-{len(self.workers) + i}.log").start()
            started.append(proc)
        self.workers.extend(started)
        self.processes.extend(started)
        self.wait_workers(len(self.workers))
        return started

    def wait_workers(self, n: int, timeout: float = 30.0) -> None:
        from rq import Worker

        conn = self.redis_client()
        deadline = time.monotonic() + timeout
        while len(Worker.all(connection=conn)) < n:
            for proc in self.workers:
                if not proc.running():
                    raise RuntimeError(f"worker {proc.pid} exited; see {self.logs}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{n} RQ workers did not register in {timeout}s")
            time.sleep(0.1)
        conn.close()

    def wait_for_ledger(self, timeout: float = 300.0) -> None:
        """Until the workers have written the ledger stream to SQL."""
        from gateway.core import keys

        conn = self.redis.client()
        deadline = time.monotonic() + timeout
        while conn.xlen(keys.LEDGER_STREAM) and time.monotonic() < deadline:
            time.sleep(0.2)
        conn.close()

    def stop_workers(self) -> None:
        for proc in list(self.workers):
            self.stop(proc)

    def redis_client(self) -> redis.Redis:
        return self.redis.client()

    def services(self):
        from gateway.core import config
        from gateway.core.services import Services

        return Services(config.finalise(dict(config.from_environment({}), **self.config)))

    def fake_log(self) -> dict:
        import requests

        return requests.get(self.fake_url + "/_log", timeout=10).json()

    def fake_reset(self) -> None:
        import requests

        requests.post(self.fake_url + "/_reset", timeout=10)

    def close(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()
        self.processes.clear()
        self.workers.clear()
        self.fake.stop()
        self.redis.cleanup()
        env.drop_database(self.database_url)
        if os.environ.get("MPAKA_BENCH_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
