"""A worker starting after a SIGKILLed one frees the dead scheduler's locks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

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


def test_zombie_scheduler_counts_as_dead(redis_conn):
    """A scheduler killed a moment ago and not yet reaped (a zombie) is dead."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # exited, deliberately not reaped yet
            with open(f"/proc/{proc.pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.01)
        hold_lock(redis_conn, "alerts", host=socket.gethostname(), pid=proc.pid)
        assert release_stale_scheduler_locks(redis_conn, ["alerts"]) == ["alerts"]
    finally:
        proc.wait()
