"""``python -m bench.worker``: exactly ``mpaka worker`` (``workers.runner.run``:
an RQ ``SimpleWorker`` with its scheduler and its watchdog, a patient Redis
connection, the script parsed once; ``MPAKA_WORKER_FORK=1`` for ``mpaka worker
--fork``, a job per forked process), except that when
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
    from gateway.core import config
    from gateway.core.services import QUEUE_NAMES
    from workers import runner

    settings = config.finalise(config.from_environment())
    runner.run(runner.worker_services(settings), queues=QUEUE_NAMES,
               burst=os.environ.get("MPAKA_WORKER_BURST") == "1",
               fork=os.environ.get("MPAKA_WORKER_FORK") == "1",
               logging_level=os.environ.get("MPAKA_WORKER_LOG_LEVEL", "WARNING"))


if __name__ == "__main__":
    main()
