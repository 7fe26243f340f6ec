"""What a worker does before it starts working."""

from __future__ import annotations

import logging
import os
import socket

from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

log = logging.getLogger(__name__)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs.  A killed process can linger a moment as a
    zombie (dead, not yet reaped): that counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # not Linux, or gone meanwhile: os.kill said it exists
    return state not in ("Z", "X")


def release_stale_scheduler_locks(redis, queue_names) -> list[str]:
    """Free the scheduler locks of a scheduler that died on this host.

    A worker killed with SIGKILL leaves RQ's scheduler lock in Redis for about a
    minute, and a new worker only tries again every two minutes: retries,
    escalation checks and the sweep would wait that long.  A lock whose holder
    ran on this host under a pid that no longer exists is released at once;
    locks of other hosts expire on their own.
    """
    released = []
    hostname = socket.gethostname()
    for name in queue_names:
        lock_key = RQScheduler.get_locking_key(name)
        holder = redis.get(lock_key)
        if holder is None:
            continue
        meta = redis.hgetall(SCHEDULER_KEY_TEMPLATE % holder.decode())
        host = meta.get(b"hostname", b"").decode()
        pid = int(meta.get(b"pid", b"0") or 0)
        if host == hostname and pid and not _alive(pid):
            # Delete only if it is still that holder's lock.
            pipe = redis.pipeline(transaction=True)
            pipe.watch(lock_key)
            if pipe.get(lock_key) == holder:
                pipe.multi()
                pipe.delete(lock_key)
                pipe.execute()
                released.append(name)
            pipe.reset()
    if released:
        log.warning("released scheduler locks of a dead worker: %s", ", ".join(released))
    return released
