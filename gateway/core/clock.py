"""The one clock.  ``Services.clock`` is a ``Clock``; every module asks it for
the time instead of calling ``datetime.now`` itself, so a test moves one
``ManualClock`` instead of patching functions."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    """The wall clock, aware UTC: column defaults, where no clock is at hand."""
    return datetime.now(UTC)


class Clock:
    """Wall-clock time: ``now()`` an aware UTC datetime, ``time()`` epoch seconds."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def time(self) -> float:
        return time.time()


class ManualClock(Clock):
    """A clock that stands still until moved (tests, simulations)."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime.now(UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")

    def now(self) -> datetime:
        return self._now

    def time(self) -> float:
        return self._now.timestamp()

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)``; returns the new now."""
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now
