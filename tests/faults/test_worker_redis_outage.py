"""Workers and their RQ scheduler ride out a Redis outage: the worker process
stays up, the scheduler runs again (a job scheduled before the outage, due
after it, runs), and reports routed before and after get their alerts.

Redis is SIGKILLed (a crash, not a clean shutdown) and started again on the
same port from its append-only file.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta

import psutil
import pytest
import redis
from rq import Queue
from rq.job import Job
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.serializers import JSONSerializer

from tests.helpers import DEADLINE

from .conftest import INPUTS, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.faults]

#: The Turkana team's two members (migrant smuggling in Turkana alerts them only).
TEAM = ("+254700000101", "+254700000102")
PROBE = "probe-sweep"


def _client(system) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=system.redis.port, socket_timeout=5,
                       socket_connect_timeout=2)


def scheduler_pid(system) -> int | None:
    """The pid of the live RQ scheduler holding the maintenance queue's lock."""
    client = _client(system)
    try:
        holder = client.get(RQScheduler.get_locking_key("maintenance"))
        pid = holder and client.hget(SCHEDULER_KEY_TEMPLATE % holder.decode(), "pid")
    except redis.exceptions.RedisError:
        return None
    finally:
        client.close()
    if not pid:
        return None
    try:
        alive = psutil.Process(int(pid)).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return None
    return int(pid) if alive else None


def schedule_probe(system, seconds: float) -> None:
    """A sweep due in ``seconds``: only RQ's scheduler can move it to its queue."""
    client = _client(system)
    Queue("maintenance", connection=client, serializer=JSONSerializer).enqueue_at(
        datetime.now(UTC) + timedelta(seconds=seconds), "workers.jobs.sweep", job_id=PROBE)
    client.close()


def probe_ran(system) -> bool:
    client = _client(system)
    try:
        return Job.fetch(PROBE, connection=client,
                         serializer=JSONSerializer).get_status() == "finished"
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()


def report(system, prefix: str, subcounty: int) -> str:
    """Complete one USSD report (a sub-county of its own: no incident); its reference."""
    inputs = [*INPUTS[:3], str(subcounty), *INPUTS[4:]]
    screens = system.walk(inputs, f"ATUid_{prefix}", phone=f"+25471112{subcounty:04d}")
    assert screens[-1].text.startswith("END "), screens[-1].text
    return "R-" + screens[-1].text.split("R-", 1)[1][:6]


def crash_redis(system) -> None:
    system.redis.process.kill()  # SIGKILL: the append-only file is all that survives


@pytest.mark.parametrize("outage", [3, 30], ids=["3s", "30s"])
def test_worker_and_scheduler_ride_out_a_redis_outage(make_system, outage):
    """Redis crashes while a send is in flight and stays down ``outage``
    seconds: the worker process never exits, its scheduler runs again (a
    sweep scheduled before the outage and due after it runs), the report
    whose alert was in flight and a report made after the recovery both get
    their alerts to every member."""
    system = make_system()
    system.start_app()
    system.fake_mode("ok", latency="2.0")  # the provider holds the send request
    worker = system.start_worker()
    wait_until(lambda: scheduler_pid(system), DEADLINE, what="the RQ scheduler to start")
    before = report(system, "outage_before", 1)
    wait_until(lambda: system.fake_log()["calls"]["ok"] >= 1, DEADLINE, interval=0.05,
               what="a send request in flight")
    schedule_probe(system, outage + 3)

    crash_redis(system)
    time.sleep(outage)  # the outage itself
    system.redis.start()  # same port, same append-only file

    assert worker.running(), "the worker exited during the outage"
    wait_until(lambda: probe_ran(system), 2 * DEADLINE,
               what="the sweep scheduled before the outage to run")
    assert scheduler_pid(system), "the RQ scheduler runs"
    system.fake_mode("ok", latency="0")
    after = report(system, "outage_after", 2)
    expected = {(ref, to) for ref in (before, after) for to in TEAM}
    wait_until(lambda: set(system.deliveries()) >= expected, 2 * DEADLINE,
               what="every alert delivered")
    assert worker.running()


def test_a_dead_scheduler_is_started_again_within_seconds(make_system):
    """SIGKILL the RQ scheduler process: the worker's watchdog starts a new
    one (RQ alone would wait for its 10-minute maintenance) and a job
    scheduled afterwards runs."""
    system = make_system()
    worker = system.start_worker()
    first = wait_until(lambda: scheduler_pid(system), DEADLINE, what="the RQ scheduler to start")
    os.kill(first, signal.SIGKILL)
    schedule_probe(system, 1)
    second = wait_until(lambda: (pid := scheduler_pid(system)) != first and pid, DEADLINE,
                        what="a new scheduler process")
    assert second != first
    wait_until(lambda: probe_ran(system), DEADLINE, what="the scheduled sweep to run")
    assert worker.running()
