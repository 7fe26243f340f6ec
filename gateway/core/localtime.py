"""East Africa Time: the one place that converts between stored UTC and the
time people in Kenya read and type.

Storage, logs, provider payloads and machine-readable API fields stay UTC.
Everything a person reads (console pages, the CSV export, the funnel) is shown
in East Africa Time, and the dates people type (console filters, the API's
``since``/``until``) are read as East Africa Time unless they carry an offset.
EAT is UTC+03:00 all year: no daylight saving (``Africa/Nairobi``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EAT = ZoneInfo("Africa/Nairobi")
#: Shown after a time where the zone is not obvious from the page.
ZONE_NAME = "EAT"
#: How people read a time: ``30 Nov 2026 20:25``.
DISPLAY = "%d %b %Y %H:%M"
#: A spreadsheet-friendly time for the CSV export: ``2026-11-30 20:25:07``.
SHEET = "%Y-%m-%d %H:%M:%S"


def to_eat(value: datetime) -> datetime:
    """``value`` in East Africa Time; a naive value is taken as UTC (storage)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(EAT)


def display(value: datetime | None, empty: str = "–") -> str:
    """``30 Nov 2026 20:25`` (EAT) for people to read."""
    return empty if value is None else to_eat(value).strftime(DISPLAY)


def sheet(value: datetime | None) -> str:
    """``2026-11-30 20:25:07`` (EAT, whole seconds) for a spreadsheet."""
    return "" if value is None else to_eat(value).strftime(SHEET)


def eat_day(value: datetime) -> date:
    """The EAT calendar day of a moment (22:30 UTC is the next EAT day)."""
    return to_eat(value).date()


def today(now: datetime) -> date:
    """Today in East Africa, for defaults of date pickers."""
    return eat_day(now)


def day_start(day: date) -> datetime:
    """The UTC moment an EAT calendar day begins (21:00 UTC the day before)."""
    return datetime.combine(day, time.min, EAT).astimezone(UTC)


def day_end(day: date) -> datetime:
    """The UTC moment an EAT calendar day ends (exclusive)."""
    return day_start(day + timedelta(days=1))


def parse_moment(text: str) -> date | datetime:
    """A date or time a person typed: ``2026-11-30`` (an EAT calendar day,
    returned as a ``date``), ``2026-11-30T20:25`` (EAT) or with an explicit
    offset (``…+03:00``, ``…Z``), returned as an aware ``datetime``.  Raises
    ``ValueError`` for anything else."""
    text = text.strip()
    if not text:
        raise ValueError("empty")
    value: date | datetime
    if len(text) == 10:
        value = date.fromisoformat(text)
    else:
        moment = datetime.fromisoformat(text)
        value = moment.replace(tzinfo=EAT) if moment.tzinfo is None else moment
    try:  # 0001-01-01 or 9999-12-31 would leave the calendar in UTC
        lower_bound(value), upper_bound(value)
    except OverflowError:
        raise ValueError(f"{text!r} is out of range") from None
    return value


def lower_bound(value: date | datetime) -> datetime:
    """Where ``since`` begins, in UTC: a date's EAT midnight, or the moment."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return day_start(value)


def upper_bound(value: date | datetime) -> tuple[datetime, bool]:
    """Where ``until`` ends, in UTC, and whether the bound is inclusive: a
    date's whole EAT day (exclusive end), or the moment itself (inclusive)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC), True
    return day_end(value), False
