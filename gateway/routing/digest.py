"""The weekly summary for each team (county teams and the national desk):
counts, the trend on the week before, incidents, acknowledgement times.

``build`` computes it for a set of counties (none: every county) and an
East Africa Time week (Monday to Sunday); ``sms_text`` makes it an SMS of at
most two GSM-7 segments; ``send_weekly`` queues one to every active member
of every active team through the outbox (the ``digest`` periodic job,
Mondays 06:00 EAT, ``workers.jobs``).  The console prints the same figures
(``/console/digest``).  Counts only: no reference, no description, no
reporter."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway import tasks
from gateway.core import localtime, texts
from gateway.core.services import Services
from gateway.delivery import outbox
from gateway.dialogue import gsm
from gateway.errors import ScriptNotFound
from gateway.store import ledger, queries, script_versions
from gateway.store.models import Incident, Report, Team
from gateway.vocab import IncidentStatus, MessageStatus, ReportStatus

#: At most this many categories are named in the SMS (the page lists all).
SMS_CATEGORIES = 3
SMS_SEGMENTS = 2


@dataclass
class Digest:
    """One week's figures for a set of counties (empty: every county)."""

    counties: tuple[str, ...]
    week_start: date  # a Monday, EAT
    reports: int = 0
    previous: int = 0
    categories: list[tuple[str, int]] = field(default_factory=list)  # (category id, count)
    incidents: list[Incident] = field(default_factory=list)
    acknowledged: int = 0
    awaiting: int = 0  # routed, not acknowledged
    median_minutes: int | None = None

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def trend(self) -> int:
        return self.reports - self.previous


def last_week(now: datetime) -> date:
    """The Monday (EAT) of the last full week before ``now``."""
    today = localtime.today(now)
    return today - timedelta(days=today.weekday() + 7)


def _reports(db: Session, counties: Iterable[str], start: date) -> Select[Report]:  # SQLAlchemy 2.1: generic over the row's types
    query = select(Report).where(
        Report.created_at >= localtime.day_start(start),
        Report.created_at < localtime.day_end(start + timedelta(days=6)),
        Report.status.not_in(list(ReportStatus.under_review())))
    counties = list(counties)
    if counties:
        query = query.where(Report.county.in_(counties))
    return query


def build(db: Session, counties: Iterable[str], week_start: date) -> Digest:
    counties = tuple(sorted(counties))
    rows = db.scalars(_reports(db, counties, week_start)).all()
    previous = db.scalar(select(func.count()).select_from(
        _reports(db, counties, week_start - timedelta(days=7)).subquery()))
    # Incidents as the console lists them: two reports or more (or acted on),
    # never one merged into another.
    incidents = select(Incident).where(
        Incident.first_report_at >= localtime.day_start(week_start),
        Incident.first_report_at < localtime.day_end(week_start + timedelta(days=6)),
        Incident.merged_into_id.is_(None),
        or_(Incident.report_count >= queries.MIN_REPORTS, Incident.status != IncidentStatus.OPEN))
    if counties:
        incidents = incidents.where(Incident.county.in_(counties))
    waits = sorted((r.acknowledged_at - r.created_at).total_seconds() / 60
                   for r in rows if r.acknowledged_at is not None)
    return Digest(
        counties=counties, week_start=week_start, reports=len(rows), previous=previous or 0,
        categories=Counter(r.category for r in rows).most_common(),
        incidents=list(db.scalars(incidents.order_by(Incident.first_report_at))),
        acknowledged=len(waits),
        awaiting=sum(1 for r in rows if r.acknowledged_at is None
                     and r.status in ReportStatus.awaiting_acknowledgement()),
        median_minutes=round(statistics.median(waits)) if waits else None,
    )


def minutes_text(minutes: int | None) -> str:
    if minutes is None:
        return "-"
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}"


def days_text(digest: Digest) -> str:
    """``24-30 Nov`` (or ``28 Nov-4 Dec`` across months)."""
    start, end = digest.week_start, digest.week_end
    if start.month == end.month:
        return f"{start.day}-{end.day} {end:%b}"
    return f"{start.day} {start:%b}-{end.day} {end:%b}"


def sms_text(digest: Digest, labels: dict[str, str], language: str | None = None) -> str:
    """The digest as an SMS of at most two GSM-7 segments: categories are
    dropped from the end until it fits (the counts always stay)."""
    area = ", ".join(labels.get(c, c) for c in digest.counties) or texts.text(
        "digest_all", language)
    trend = f"{digest.trend:+d}" if digest.trend else "="
    named = [f"{labels.get(c, c)} {n}" for c, n in digest.categories[:SMS_CATEGORIES]]
    while True:
        body = texts.to_gsm7(texts.text(
            "digest", language, days=days_text(digest), area=area, reports=digest.reports,
            trend=trend, previous=digest.previous, incidents=len(digest.incidents),
            categories=(", ".join(named) + ". ") if named else "",
            acknowledged=digest.acknowledged, median=minutes_text(digest.median_minutes),
            awaiting=digest.awaiting))
        if gsm.sms_segments(body) <= SMS_SEGMENTS or not (named or len(area) > 20):
            return body
        if named:
            named.pop()
        else:  # many counties named: say how many instead
            area = f"{len(digest.counties)} counties"


def labels_for(svc: Services, language: str | None) -> dict[str, str]:
    """County and category labels in ``language`` from the live script."""
    try:
        script = script_versions.live_script(svc)
    except (ScriptNotFound, RedisError, SQLAlchemyError):
        script = script_versions.fallback_script()
    out: dict[str, str] = {}
    for name in ("county", "category"):
        out.update(dict(script.field_options(name, language)))
    return out


def language_of(team_language: str | None) -> str:
    """The first language along the fallback chain with a digest text, so the
    labels are in the same language as the sentence around them."""
    return next((code for code in texts.chain(team_language)
                 if "digest" in texts.table().get(code, {})), "eng")


def send_weekly(svc: Services, now: datetime | None = None) -> dict[str, Any]:
    """Queue last week's digest to every active member of every active team."""
    now = now or svc.clock.now()
    week = last_week(now)
    queued: list[int] = []
    with svc.db() as db:
        for team in db.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.id)):
            members = [m for m in team.members if m.active]
            if not members:
                continue
            digest = build(db, team.counties or [], week)
            language = language_of(team.language)
            text = sms_text(digest, labels_for(svc, language), language)
            for member in members:
                message = ledger.outbound(
                    channel=member.channel,
                    provider=outbox.provider_for(svc.config, member.channel), to=member.phone,
                    text=text, status=MessageStatus.QUEUED, protector=svc.protector)
                db.add(message)
                db.flush()
                queued.append(message.id)
        db.commit()
    if queued:
        tasks.send_messages(svc, queued, job_id=f"send-digest-{week.isoformat()}")
    return {"week": week.isoformat(), "messages": len(queued)}
