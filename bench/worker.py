"""``python -m bench.worker``: exactly ``mpaka worker`` (an RQ ``SimpleWorker``
with its scheduler and the script parsed once; ``MPAKA_WORKER_FORK=1`` for
``mpaka worker --fork``, a job per forked process), except that when
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
    """What ``mpaka worker`` does before working: parse the live dialogue script
    and the translation table once (a forked job inherits them), then close
    the parent's database connections so no forked job shares one."""
    from gateway.core import texts
    from gateway.store import script_versions

    script_versions.preload(svc)
    texts.table()
    svc.engine.dispose()


def compress_backoff(scale: float) -> None:
    """Fault tests only (``MPAKA_TEST_BACKOFF_SCALE``): the same jittered
    exponential backoff, ``scale`` times shorter, so an outage test fits in CI."""
    from gateway.delivery import outbox

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

    from gateway.core import config
    from gateway.core.services import QUEUE_NAMES, Services
    from workers import context, jobs
    from workers.startup import release_stale_scheduler_locks

    svc = Services(config.finalise(config.from_environment()))
    context.use(svc)
    release_stale_scheduler_locks(svc.redis, QUEUE_NAMES)
    jobs.schedule_all(svc)
    warm(svc)
    worker_class = Worker if os.environ.get("MPAKA_WORKER_FORK") == "1" else SimpleWorker
    worker = worker_class(
        [svc.queue(name) for name in QUEUE_NAMES], connection=svc.redis, serializer=JSONSerializer
    )
    worker.work(burst=os.environ.get("MPAKA_WORKER_BURST") == "1", with_scheduler=True,
                logging_level=os.environ.get("MPAKA_WORKER_LOG_LEVEL", "WARNING"))


if __name__ == "__main__":
    main()
