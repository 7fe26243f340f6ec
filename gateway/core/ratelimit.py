"""The one rate limiter: a sliding window per (kind, subject) in Redis.

Each event is a member of a sorted set scored by its time; one ``MULTI``
trims what fell out of the window, adds the event, counts and refreshes the
expiry, so concurrent processes never race (no INCR-then-EXPIRE gap) and no
burst at a window boundary doubles a limit.  Events over the limit are
recorded too: a flood keeps its sender limited.

Subjects are keyed hashes or usernames, never phone numbers.  Used for
inbound messages and reports per sender (``gateway.intake``), status checks
(``gateway.routing.acks``), missed-call callbacks (``gateway.intake.callback``) and console logins (``gateway.accounts.auth``).
"""

from __future__ import annotations

import uuid
from typing import NamedTuple, cast

import redis as redis_lib

from gateway.core import keys
from gateway.core.clock import Clock

#: The limited kinds of event.
INBOUND = "inbound"  # messages from a sender (keyed hash)
REPORTS = "reports"  # reports stored from a sender (keyed hash)
STATUS_CHECKS = "status"  # report status look-ups by a sender (keyed hash)
LOGIN_FAILURES = "login"  # failed console logins for a username
LOGIN_ADDRESS = "login-address"  # failed console logins from an address
CALLBACKS = "callback"  # missed-call callbacks placed to a caller (keyed hash)
KINDS = (INBOUND, REPORTS, STATUS_CHECKS, LOGIN_FAILURES, LOGIN_ADDRESS, CALLBACKS)


class Event(NamedTuple):
    """One event to record: its window's key, its (rounded) time, its member."""

    key: str
    now: float
    member: str


class Limiter:
    def __init__(self, redis: redis_lib.Redis, clock: Clock):
        self.redis = redis
        self.clock = clock

    def hit(self, kind: str, subject: str, *, limit: int, window: float,
            resolution: float = 1.0) -> bool:
        """Record one event; ``True`` while ``subject`` is within ``limit``
        events per ``window`` seconds (this one included).

        Events are stored to ``resolution`` seconds, under a random member: the
        window needs no more, and a stored time precise to the microsecond
        would tie a sender's hash to the record it produced (an anonymous
        report's creation time, say)."""
        key, now, member = self.window_event(kind, subject, resolution=resolution)
        pipe = self.redis.pipeline(transaction=True)
        pipe.zremrangebyscore(key, 0, now - window)
        pipe.zadd(key, {member: now})
        pipe.zcard(key)
        pipe.expire(key, max(1, int(window)))
        _, _, count, _ = pipe.execute()
        return int(count) <= limit

    def window_event(self, kind: str, subject: str, *, resolution: float = 1.0) -> Event:
        """The event ``hit`` records (``gateway.core.gate`` records the same in
        its script): the time rounded to ``resolution``, a random member."""
        now = self.clock.time()
        if resolution > 0:
            now = now - now % resolution
        return Event(keys.rate(kind, subject), now, uuid.uuid4().hex[:12])

    def count(self, kind: str, subject: str, *, window: float) -> int:
        """Events of ``subject`` in the last ``window`` seconds (records nothing)."""
        now = self.clock.time()
        return int(self.redis.zcount(keys.rate(kind, subject), now - window, "+inf"))

    def retry_after(self, kind: str, subject: str, *, limit: int, window: float) -> float:
        """Seconds until ``subject`` is back under ``limit`` (0 when it is)."""
        now = self.clock.time()
        events = cast(list[tuple[bytes, float]], self.redis.zrangebyscore(
            keys.rate(kind, subject), now - window, "+inf", withscores=True))
        scores = [float(score) for _member, score in events]
        if len(scores) < limit:
            return 0.0
        # Under the limit again once enough of the oldest events leave the window.
        return max(0.0, scores[len(scores) - limit] + window - now)

    def clear(self, kind: str, subject: str) -> None:
        self.redis.delete(keys.rate(kind, subject), keys.rate_notified(kind, subject))

    def first_notice(self, kind: str, subject: str, *, window: float) -> bool:
        """``True`` the first time in ``window`` that ``subject`` is told it is
        over the limit: tell once, then stay silent."""
        return bool(self.redis.set(keys.rate_notified(kind, subject), "1", nx=True,
                                   ex=max(1, int(window))))
