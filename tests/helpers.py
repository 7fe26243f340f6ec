"""Small helpers for tests that run real processes.

Waits never assume a quiet machine: they poll for readiness (or for the
awaited state) up to a generous deadline, and single requests get a timeout
far above any expected answer time, so a busy CI host only makes them slower.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import requests

#: How long to wait for a process to become ready, or for an awaited state.
DEADLINE = 60.0
#: The timeout of one HTTP request to a process under test.
REQUEST_TIMEOUT = 60.0


class Output:
    """Reads a child's piped stdout on a thread, so a chatty child (gunicorn's
    access log, one line per request) never blocks on a full 64 KB pipe while
    the test is busy sending it requests."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        with stream:
            for line in stream:
                with self._changed:
                    self.lines.append(line)
                    self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def text(self, timeout: float = DEADLINE) -> str:
        """Everything the child printed, once its stdout has closed."""
        self._thread.join(timeout)
        return "".join(self.lines)

    def wait_for_line(self, pattern: str, timeout: float = DEADLINE) -> re.Match:
        """The first match of ``pattern`` in a line printed so far or later."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if found := re.search(pattern, line):
                        return found
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    raise AssertionError(f"no line matched {pattern!r}: {''.join(self.lines)}")
                self._changed.wait(remaining)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc=None, timeout: float = DEADLINE) -> None:
    """Wait until ``url`` answers 200; fail early if ``proc`` exits first."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        if proc is not None:
            assert proc.poll() is None, f"the process exited early ({proc.returncode})"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{url} never answered 200 within {timeout} s: {last}")
        try:
            # a slow answer is still an answer: no short per-request timeout
            last = requests.get(url, timeout=max(1.0, remaining)).status_code
            if last == 200:
                return
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.2)


def wait_for(predicate, timeout: float = DEADLINE, interval: float = 0.3,
             what: str = "condition"):
    """Poll ``predicate`` until it returns something true (returned) or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class EmbeddedPostgres:
    """A throwaway PostgreSQL from the binaries in the ``pgserver`` wheel.

    pgserver's own launcher is not used: as root it creates a system user with
    ``useradd``, widens permissions on every parent directory of the data
    directory and of the venv, listens on a Unix socket only and gives
    ``pg_ctl`` a fixed 10 s start deadline.  Here the wheel's ``initdb`` and
    ``postgres`` run directly: as ``nobody`` when the tests run as root
    (postgres refuses root), on a free loopback TCP port, with a data directory
    under a fresh temporary directory that :meth:`stop` deletes.
    """

    def __init__(self) -> None:
        self.dir: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.version = ""

    @staticmethod
    def bin_dir() -> Path:
        # find_spec, not import: importing pgserver touches XDG runtime dirs and warns.
        spec = importlib.util.find_spec("pgserver")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("the pgserver package is not installed (pip install -e '.[test]')")
        path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if not (path / "postgres").exists():
            raise RuntimeError(f"pgserver has no postgres binary at {path}")
        return path

    def _as_user(self) -> dict:
        if os.geteuid() != 0:
            return {}
        entry = pwd.getpwnam("nobody")  # postgres refuses to run as root
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self, timeout: float = 60) -> str:
        """Initialise and start the server; return its URL once it accepts connections."""
        import psycopg

        bindir = self.bin_dir()
        as_user = self._as_user()
        self.dir = Path(tempfile.mkdtemp(prefix="mpaka-test-pg-"))
        data = self.dir / "data"
        if as_user:
            os.chown(self.dir, as_user["user"], as_user["group"])
        common = dict(as_user, cwd=self.dir, env={**os.environ, "LC_ALL": "C"})
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--no-locale", "--no-sync"],
            check=True, capture_output=True, text=True, timeout=max(timeout, 120), **common,
        )
        self.version = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        self.port = free_port()
        with open(self.dir / "postgres.log", "wb") as log:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                [str(bindir / "postgres"), "-D", str(data), "-p", str(self.port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
                 "-c", "max_connections=200",
                 # a throwaway cluster: durability is not under test, speed is welcome
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                stdout=log, stderr=subprocess.STDOUT, **common,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                psycopg.connect(self.url, connect_timeout=5).close()
                return self.url
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"postgres not ready after {timeout} s: {exc}") from exc
                time.sleep(0.2)

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = (self.dir / "postgres.log").read_text(errors="replace")
        except (OSError, TypeError):
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def add_attachment(svc, reference: str, data: bytes = b"\x89PNG-bytes", *,
                   content_type: str = "image/png", kind: str = "photo") -> str:
    """A stored attachment of report ``reference``, as a fetch job leaves it
    (the file in the real media store); returns its key."""
    import hashlib

    from sqlalchemy import select

    from gateway.store.media import MediaStore, new_key
    from gateway.store.models import Attachment, Report

    storage_key = MediaStore.from_services(svc).put(data)
    with svc.db() as db:
        report_id = db.scalar(select(Report.id).where(Report.reference == reference))
        row = Attachment(key=new_key(), report_id=report_id, kind=kind, content_type=content_type,
                         status="stored", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                         storage_key=storage_key)
        db.add(row)
        db.commit()
        return row.key


def land_ledger(svc) -> int:
    """Write the ledger stream to SQL, as the workers' ledger writer does
    (``workers.runner.LedgerWriter``): a live dialogue's rows are in the
    ``messages`` table once this returns.  Returns the rows written."""
    from gateway.store import ledger_stream

    return ledger_stream.drain(svc, "tests", wait=True)
