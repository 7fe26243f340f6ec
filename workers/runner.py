"""Running an RQ worker that rides out a Redis outage (``mpaka worker``).

Three things RQ alone does not do:

* **patient Redis**: the worker's ``Services`` are built with
  ``patient=True`` (``gateway.core.services.patient_retry``), so a command
  waits out a restart or failover of ``WORKER_REDIS_PATIENCE_SECONDS``
  instead of failing; RQ's scheduler process, which copies the worker's
  connection settings, waits the same way;
* **a scheduler watchdog**: RQ restarts a dead scheduler process only in its
  maintenance task (every 10 minutes) and an idle worker looks up only every
  ~7 minutes.  Here the worker wakes every ``WATCHDOG_SECONDS`` and, when its
  scheduler process has died, starts it again (or takes the scheduler lock
  over from a worker that died); the periodic jobs' next runs are
  re-scheduled every ``MAINTENANCE_SECONDS`` (idempotent), so a sweep that
  failed before rescheduling itself never ends the chain;
* **the ledger writer**: a thread that writes the ledger stream to SQL in
  batches (``gateway.store.ledger_stream``), within ``LEDGER_WRITE_SECONDS``
  of a dialogue's screen;
* **a worker loop that does not end on a Redis error**: RQ's loop quits on an
  error it does not expect (``job.heartbeat`` as a job ends with Redis
  gone) and its tear-down then fails too (exit code 1).  ``run`` starts the
  loop again, with backoff, until a stop is asked for (SIGTERM, SIGINT).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer
from rq.utils import now
from sqlalchemy import text as sql_text

from gateway.core import texts
from gateway.core.services import TRANSIENT_REDIS_ERRORS, Services
from gateway.defaults import kenya
from gateway.store import ledger_stream, script_versions
from workers import context, jobs
from workers.startup import release_stale_scheduler_locks

log = logging.getLogger(__name__)

#: How often an idle worker wakes to check its scheduler process (seconds).
WATCHDOG_SECONDS = 5
#: How often registries are cleaned and the periodic jobs re-scheduled (seconds).
MAINTENANCE_SECONDS = 60
#: How often the ledger writer looks for new entries when the stream is empty (seconds).
LEDGER_WRITE_SECONDS = 0.5
#: How often the ledger writer removes the consumers of processes that ended (seconds).
LEDGER_CONSUMERS_SECONDS = 600
#: The longest wait before RQ's own loop tries Redis again (RQ's default: 60 s).
MAX_CONNECTION_WAIT_SECONDS = 5.0
#: Backoff between two runs of the worker loop (seconds): from 1 to this.
RESTART_BACKOFF_CAP = 30.0
#: A loop that ran this long resets the backoff (seconds).
HEALTHY_RUN_SECONDS = 60.0


if TYPE_CHECKING:  # the mixin is checked against the worker it is mixed into
    _WorkerBase = SimpleWorker
else:
    _WorkerBase = object


class Watchdog(_WorkerBase):
    """Mixed into RQ's worker classes: wake every ``WATCHDOG_SECONDS``, restart
    a dead scheduler, clean and re-schedule every ``MAINTENANCE_SECONDS``."""

    max_connection_wait_time = MAX_CONNECTION_WAIT_SECONDS
    #: Called every MAINTENANCE_SECONDS: schedules the periodic jobs' next runs.
    ensure_periodic: Callable[[], object] | None = None
    #: A stop was asked for (SIGTERM/SIGINT): ``run`` must not start the loop again.
    stop_asked = False
    _burst = False

    def work(self, burst: bool = False, *args: Any, **kwargs: Any) -> bool:
        self._burst = burst
        return super().work(burst, *args, **kwargs)

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    @property
    def dequeue_timeout(self) -> int:
        # Wake up this often when idle, for the watchdog (RQ: worker_ttl - 15 = 405 s).
        return WATCHDOG_SECONDS

    @property
    def should_run_maintenance_tasks(self) -> bool:
        return True  # every wake-up: the watchdog; the cleaning keeps its own pace below

    def run_maintenance_tasks(self) -> None:
        first = self.last_cleaned_at is None
        if not first and not self._burst:
            self.watch_scheduler()
        last = self.last_cleaned_at
        if last is None or now() - last > timedelta(seconds=MAINTENANCE_SECONDS):
            self.clean_registries()  # type: ignore[no-untyped-call]
            self.clean_group_registries()  # type: ignore[no-untyped-call]
            if not first and self.ensure_periodic is not None:
                try:
                    self.ensure_periodic()
                except TRANSIENT_REDIS_ERRORS as exc:
                    log.warning("could not re-schedule the periodic jobs: %s", type(exc).__name__)

    def watch_scheduler(self) -> None:
        """Start the scheduler process again if it died (or was never started
        because another worker held the lock that has since been freed)."""
        scheduler = self.scheduler
        if scheduler is None or self._stop_requested or self.stop_asked:
            return  # stopping: RQ stops the scheduler itself
        process = scheduler._process
        if process is not None and process.is_alive():
            return
        if process is not None:
            log.warning("the RQ scheduler process %s died (exit code %s): starting it again",
                        process.pid, process.exitcode)
            process.join(0)
            scheduler._process = None
        try:
            # Its own lock (same scheduler name) is refreshed; a free one is taken.
            scheduler.acquire_locks(auto_start=True)
        except TRANSIENT_REDIS_ERRORS as exc:
            log.warning("could not restart the RQ scheduler yet: %s", type(exc).__name__)
            return
        if scheduler._process is not None and process is not None:
            log.warning("the RQ scheduler runs again (pid %s)", scheduler._process.pid)


class WatchfulSimpleWorker(Watchdog, SimpleWorker):
    """Jobs in the worker's own process (the default)."""


class WatchfulWorker(Watchdog, Worker):
    """A job per forked work horse (``mpaka worker --fork``)."""


def worker_services(config: dict[str, Any]) -> Services:
    """The worker's ``Services``: a patient Redis connection."""
    return Services(config, patient=True)


def _prepare(svc: Services, names: Sequence[str]) -> None:
    release_stale_scheduler_locks(svc.redis, names)
    jobs.schedule_all(svc)


def _preload(svc: Services, fork: bool) -> None:
    try:  # parse once here, not in every job (a forked job inherits it too)
        script_versions.preload(svc)
        texts.table()
        # The first report after a start must be routed as fast as the next:
        # the counties' gazetteer (an alert's county code) took 0.17 s to
        # parse in the first routing job, the database's first connection 0.1 s.
        kenya.counties()
        with svc.engine.connect() as connection:
            connection.execute(sql_text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - the database may be down: jobs parse on demand
        log.warning("could not preload the dialogue script or connect: %s", type(exc).__name__)
    if fork:
        svc.engine.dispose()  # no pooled connection may cross a fork


class LedgerWriter(threading.Thread):
    """Writes the ledger stream to SQL while the worker runs: a batch at a
    time, at once while entries wait, every ``LEDGER_WRITE_SECONDS`` when
    none does.  Errors are logged and tried again (the entries wait in Redis)."""

    def __init__(self, svc: Services) -> None:
        super().__init__(name="ledger-writer", daemon=True)
        # Its own connections: with ``--fork`` every job is a child of this
        # process, and a child must never use (or close) a parent's socket.
        self.svc = worker_services(svc.config)
        os.register_at_fork(after_in_child=self._forget_connections)
        self.stopping = threading.Event()
        self.consumer = ledger_stream.consumer_name()

    def run(self) -> None:
        tidied = 0.0
        while not self.stopping.is_set():
            written = 0
            try:  # one cheap look first: an idle writer must not cost the jobs (one GIL)
                waiting = ledger_stream.waiting(self.svc.redis)
            except TRANSIENT_REDIS_ERRORS:
                waiting = False
            if waiting:
                written = ledger_stream.drain_quietly(self.svc, self.consumer, batches=1)
            if time.monotonic() - tidied > LEDGER_CONSUMERS_SECONDS:
                tidied = time.monotonic()
                try:
                    ledger_stream.forget_idle_consumers(self.svc.redis)
                except TRANSIENT_REDIS_ERRORS:
                    pass
            if not written:
                self.stopping.wait(LEDGER_WRITE_SECONDS)

    def stop(self) -> None:
        self.stopping.set()

    def _forget_connections(self) -> None:
        """In a forked job: drop the pool without closing the parent's sockets."""
        if "engine" in self.svc.__dict__:
            self.svc.engine.dispose(close=False)


class _Stop:
    """SIGTERM/SIGINT outside RQ's loop (its handlers are only installed while
    it works): no job runs then, so the process simply exits."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        raise SystemExit(0)

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self)
        signal.signal(signal.SIGINT, self)

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested and time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def run(svc: Services, *, queues: Sequence[str], burst: bool = False, fork: bool = False,
        logging_level: str = "INFO") -> None:
    """Work until asked to stop (or, with ``burst``, until the queues are
    empty), starting RQ's loop again whenever it ends on an error."""
    context.use(svc)
    stop = _Stop()
    stop.install()
    _preload(svc, fork)
    worker_class = WatchfulWorker if fork else WatchfulSimpleWorker
    writer = None
    if not burst:
        writer = LedgerWriter(svc)
        writer.start()
    try:
        _work(svc, stop, worker_class, queues=queues, burst=burst, logging_level=logging_level)
    finally:
        if writer is not None:
            writer.stop()
            writer.join(timeout=10)
        else:  # a burst leaves nothing waiting in the ledger stream
            ledger_stream.drain_quietly(svc, ledger_stream.consumer_name())


def _work(svc: Services, stop: _Stop, worker_class: type[Watchdog], *, queues: Sequence[str],
          burst: bool, logging_level: str) -> None:
    backoff = 1.0
    while not stop.requested:
        started = time.monotonic()
        worker = None
        try:
            _prepare(svc, queues)
            if stop.requested:
                break
            worker = worker_class([svc.queue(name) for name in queues], connection=svc.redis,
                                  serializer=JSONSerializer)
            worker.ensure_periodic = lambda: jobs.schedule_all(svc)
            worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)
        except TRANSIENT_REDIS_ERRORS as exc:
            log.warning("the worker loop ended on a Redis error: %s", type(exc).__name__)
        finally:
            stop.install()  # RQ's handlers stay installed after its loop ends
        stopped = worker is not None and (worker.stop_asked or worker._stop_requested)
        if burst or stopped:
            return
        if time.monotonic() - started > HEALTHY_RUN_SECONDS:
            backoff = 1.0
        log.warning("the worker loop ended without a stop request: starting again in %.0f s",
                    backoff)
        stop.sleep(backoff)
        backoff = min(backoff * 2, RESTART_BACKOFF_CAP)
