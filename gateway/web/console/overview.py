"""The overview's numbers: counts per county and category for the last 7 and
30 days, the daily trend, open incidents and alerts awaiting acknowledgement,
all within the user's scope."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from gateway.core import localtime
from gateway.store import queries
from gateway.store.models import Alert, Report
from gateway.vocab import AlertStatus

from . import charts
from .common import label


def _eat_day(db):
    """The EAT calendar day of ``reports.created_at`` as SQL (East Africa
    keeps UTC+3 all year): a date on PostgreSQL, ``YYYY-MM-DD`` on SQLite."""
    if db.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(localtime.EAT.key, Report.created_at))
    return func.date(Report.created_at, "+3 hours")  # stored as naive UTC


def _most_common(counts: Counter) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))


def build(db, scope: queries.Scope, now) -> dict:
    """Counted in SQL (``GROUP BY``), never by loading the reports: the cost
    stays that of the groups, however many reports the 30 days hold."""
    since = now - timedelta(days=30)
    week = now - timedelta(days=7)
    counts = {}
    for period, start in (("7", week), ("30", since)):
        groups = db.execute(scope.reports(
            select(Report.county, Report.category, func.count())
            .where(Report.created_at >= start)
            .group_by(Report.county, Report.category))).all()
        county: Counter = Counter()
        category: Counter = Counter()
        for county_id, category_id, n in groups:
            county[county_id] += n
            category[category_id] += n
        counts[period] = {
            "total": sum(n for _c, _k, n in groups),
            "county": _most_common(county),
            "category": _most_common(category),
        }
    day = _eat_day(db)
    per_day = {(d if isinstance(d, date) else date.fromisoformat(d)): n
               for d, n in db.execute(scope.reports(
                   select(day, func.count()).where(Report.created_at >= since).group_by(day)))}
    today = localtime.today(now)
    days = [today - timedelta(days=n) for n in range(29, -1, -1)]
    trend = [(d.strftime("%d %b"), per_day.get(d, 0)) for d in days]

    # Groups of one report are not incidents (queries.MIN_REPORTS).
    incidents = db.scalars(queries.incidents(scope, active=True).limit(20)).all()
    waiting = db.execute(
        scope.reports(select(Alert, Report).join(Report, Alert.report_id == Report.id))
        .where(Alert.status == AlertStatus.PENDING, Report.acknowledged_at.is_(None))
        .order_by(Alert.deadline_at.asc()).limit(30)
    ).all()
    return {
        "counts": counts,
        "charts": {
            period: {
                "county": charts.bars([(label(k), v) for k, v in c["county"]],
                                      title=f"Reports per county, last {period} days"),
                "category": charts.bars([(label(k), v) for k, v in c["category"]],
                                        title=f"Reports per category, last {period} days"),
            }
            for period, c in counts.items()
        },
        "trend": charts.trend(trend, title="Reports per day (EAT), last 30 days"),
        "per_day": trend,
        "incidents": incidents,
        "held": queries.held_count(db, scope),
        "waiting": waiting,
        "now": now,
    }
