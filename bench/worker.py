"""``python -m bench.worker``: exactly ``mpaka worker`` (an RQ ``Worker`` with
its scheduler, configuration from the environment), except that when
``MPAKA_FAKE_AT_URL`` is set the Africa's Talking SDK is pointed at that local
fake instead of ``https://api.africastalking.com``.

The patch lives in this process only: the SDK still validates numbers and
builds the request; only the host changes.
"""

from __future__ import annotations

import os


def point_sdk_at(base: str) -> None:
    from handlers import africastalking

    original = africastalking._SMSService._init_service

    def _init_service(self):
        original(self)
        # "https://api.africastalking.com/version1" -> "<fake>/version1"
        self._baseUrl = base.rstrip("/") + "/version1"

    africastalking._SMSService._init_service = _init_service


def warm(svc) -> None:
    """Candidate fix (``MPAKA_BENCH_PATCHES=warm_worker``): parse the live
    dialogue script and the translation table once in the worker's parent, so
    that every forked work horse inherits them instead of parsing and linting
    them again for each job; then close the parent's database connections so
    no horse shares one."""
    from gateway import scriptstore, texts

    scriptstore.live_script(svc)
    scriptstore.fallback_script()
    texts.table()
    svc.engine.dispose()


def compress_backoff(scale: float) -> None:
    """Fault tests only (``MPAKA_TEST_BACKOFF_SCALE``): the same jittered
    exponential backoff, ``scale`` times shorter, so an outage test fits in CI."""
    from gateway import outbox

    original = outbox.backoff_seconds

    def backoff_seconds(attempt, **kwargs):
        return original(attempt, **kwargs) * scale

    outbox.backoff_seconds = backoff_seconds


def main() -> None:
    fake = os.environ.get("MPAKA_FAKE_AT_URL")
    if fake:
        point_sdk_at(fake)
    if os.environ.get("MPAKA_TEST_BACKOFF_SCALE"):
        compress_backoff(float(os.environ["MPAKA_TEST_BACKOFF_SCALE"]))
    from rq import SimpleWorker, Worker
    from rq.serializers import JSONSerializer

    from gateway import config
    from gateway.services import QUEUE_NAMES, Services
    from workers import context, jobs

    svc = Services(config.finalise(config.from_environment()))
    context.use(svc)
    jobs.schedule_all(svc)
    patches = os.environ.get("MPAKA_BENCH_PATCHES", "")
    # Candidate (``simple_worker``): run jobs in the worker process, no fork per job.
    worker_class = SimpleWorker if "simple_worker" in patches else Worker
    worker = worker_class(
        [svc.queue(name) for name in QUEUE_NAMES], connection=svc.redis, serializer=JSONSerializer
    )
    worker.work(burst=os.environ.get("MPAKA_WORKER_BURST") == "1", with_scheduler=True,
                logging_level=os.environ.get("MPAKA_WORKER_LOG_LEVEL", "WARNING"))


if __name__ == "__main__":
    main()
