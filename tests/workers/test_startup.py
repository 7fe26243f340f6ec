"""A worker starting after a SIGKILLed one frees the dead scheduler's locks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

from workers.startup import release_stale_scheduler_locks


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def hold_lock(redis, queue, *, host, pid, holder="old-scheduler"):
    redis.set(RQScheduler.get_locking_key(queue), holder, ex=60)
    redis.hset(SCHEDULER_KEY_TEMPLATE % holder, mapping={"hostname": host, "pid": pid})


@pytest.mark.parametrize(
    ("host", "pid", "released"),
    [
        pytest.param(socket.gethostname(), "dead", True, id="dead scheduler on this host"),
        pytest.param(socket.gethostname(), "alive", False, id="live scheduler on this host"),
        pytest.param("another-host", "dead", False, id="scheduler on another host"),
    ],
)
def test_stale_lock_release(redis_conn, host, pid, released):
    """Only a lock held by a dead process on this host is released."""
    pid = dead_pid() if pid == "dead" else os.getpid()
    hold_lock(redis_conn, "alerts", host=host, pid=pid)
    assert release_stale_scheduler_locks(redis_conn, ["alerts"]) == (["alerts"] if released else [])
    assert (redis_conn.get(RQScheduler.get_locking_key("alerts")) is None) is released
