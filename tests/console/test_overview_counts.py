"""The overview's numbers, counted in SQL: per county and category over the
last 7 and 30 days and per East Africa day, within the user's scope."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.store import queries
from gateway.web.console import overview

from .conftest import make_report

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # 15:00 EAT


def seeded(svc):
    for county, category, at in (
            ("turkana", "terrorism", datetime(2026, 11, 30, 11, 0, tzinfo=UTC)),
            ("turkana", "trafficking", datetime(2026, 11, 29, 21, 30, tzinfo=UTC)),  # 00:30 EAT, 30 Nov
            ("marsabit", "terrorism", datetime(2026, 11, 29, 20, 30, tzinfo=UTC)),  # 23:30 EAT, 29 Nov
            ("marsabit", "terrorism", datetime(2026, 11, 23, 11, 0, tzinfo=UTC)),  # 7 days and 1 h ago
            ("busia", "other", datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),  # within 30 days
            ("busia", "other", datetime(2026, 10, 31, 11, 0, tzinfo=UTC))):  # 30 days and 1 h ago
        make_report(svc, county=county, category=category, created_at=at)


def test_counts_per_period_county_and_category_are_the_reports_within_it(app, svc):
    seeded(svc)
    with app.app_context(), svc.db() as db:
        counts = overview.build(db, queries.Scope(is_admin=True), NOW)["counts"]
    assert counts["7"] == {"total": 3, "county": [("turkana", 2), ("marsabit", 1)],
                           "category": [("terrorism", 2), ("trafficking", 1)]}
    assert counts["30"] == {"total": 5,
                            "county": [("marsabit", 2), ("turkana", 2), ("busia", 1)],
                            "category": [("terrorism", 3), ("other", 1), ("trafficking", 1)]}


def test_reports_per_day_are_counted_on_east_africa_days(app, svc):
    """21:30 UTC on the 29th is the 30th in EAT; 20:30 UTC stays on the 29th."""
    seeded(svc)
    with app.app_context(), svc.db() as db:
        per_day = dict(overview.build(db, queries.Scope(is_admin=True), NOW)["per_day"])
    assert len(per_day) == 30
    assert (per_day["30 Nov"], per_day["29 Nov"], per_day["23 Nov"], per_day["01 Nov"]) == (2, 1, 1, 1)
    assert sum(per_day.values()) == 5


def test_an_officer_counts_only_the_reports_of_their_counties(app, svc):
    seeded(svc)
    with app.app_context(), svc.db() as db:
        built = overview.build(db, queries.Scope(is_admin=False, counties=frozenset({"turkana"})), NOW)
    assert built["counts"]["30"]["total"] == 2 and built["counts"]["30"]["county"] == [("turkana", 2)]
    assert sum(n for _day, n in built["per_day"]) == 2
