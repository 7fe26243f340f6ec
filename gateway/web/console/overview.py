"""The overview's numbers: counts per county and category for the last 7 and
30 days, the daily trend, open incidents and alerts awaiting acknowledgement,
all within the user's scope."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from gateway.core import localtime
from gateway.store import queries
from gateway.store.models import Alert, Report
from gateway.vocab import AlertStatus

from . import charts
from .common import label


def build(db, scope: queries.Scope, now) -> dict:
    since = now - timedelta(days=30)
    query = scope.reports(select(Report.county, Report.category, Report.created_at)
                          .where(Report.created_at >= since))
    rows = db.execute(query).all()
    week = now - timedelta(days=7)
    counts = {}
    for period, start in (("7", week), ("30", since)):
        chosen = [r for r in rows if r.created_at >= start]
        counts[period] = {
            "total": len(chosen),
            "county": Counter(r.county for r in chosen).most_common(),
            "category": Counter(r.category for r in chosen).most_common(),
        }
    per_day = Counter(localtime.eat_day(r.created_at) for r in rows)  # East Africa's days
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
        "incidents": incidents,
        "held": queries.held_count(db, scope),
        "waiting": waiting,
        "now": now,
    }
