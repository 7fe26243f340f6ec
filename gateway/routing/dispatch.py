"""Routing a stored report to the teams that must act on it.

``route`` matches the rules, creates one alert per team and one delivery per
active member and agency endpoint, queues their sending and schedules the
escalation check.  It is idempotent: alerts are unique per (report, team) and
deliveries per (alert, member) in the database, so running it twice or
concurrently sends nothing twice.  A report no rule matches goes to the
national desk, never nowhere.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.core import texts
from gateway.delivery import outbox
from gateway.ops import logs, metrics
from gateway.privacy.protector import Protector
from gateway.routing import incidents
from gateway.store import ledger
from gateway.store import script_versions as scriptstore
from gateway.store.models import (
    Alert,
    Delivery,
    EscalationPolicy,
    Message,
    Report,
    ReportEvent,
    RoutingRule,
    Team,
)

log = logging.getLogger(__name__)

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}
TIERS = ("county", "regional", "national")


def now_utc() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# -- matching -------------------------------------------------------------------


def rule_matches(rule: RoutingRule, report: Report) -> bool:
    if rule.county and rule.county != report.county:
        return False
    if rule.categories and report.category not in rule.categories:
        return False
    return SEVERITY_RANK.get(report.severity, 1) >= SEVERITY_RANK.get(rule.min_severity, 0)


def national_desks(db) -> list[Team]:
    return list(
        db.scalars(
            select(Team).where(Team.tier == "national", Team.active.is_(True)).order_by(Team.id)
        )
    )


def matching_teams(db, report: Report) -> list[Team]:
    """Teams whose rules match, in rule order; the national desk when none do."""
    rules = db.scalars(
        select(RoutingRule)
        .join(Team, RoutingRule.team_id == Team.id)
        .where(RoutingRule.active.is_(True), Team.active.is_(True))
        .order_by(RoutingRule.id)
    )
    teams: dict[int, Team] = {}
    for rule in rules:
        if rule_matches(rule, report) and rule.team_id not in teams:
            teams[rule.team_id] = db.get(Team, rule.team_id)
    return list(teams.values()) or national_desks(db)


def deadline_minutes(db, config, severity: str) -> int:
    policy = db.get(EscalationPolicy, severity)
    if policy is not None:
        return policy.deadline_minutes
    key = f"ESCALATION_{severity.upper()}_MINUTES"
    return int(config.get(key) or config["ESCALATION_MEDIUM_MINUTES"])


# -- alerts ----------------------------------------------------------------------


def alert_text(svc, db, report: Report, team: Team, *, escalated: bool = False) -> str:
    """The alert in the team's language, within two GSM-7 segments."""
    protector = Protector.from_config(svc.config)
    language = team.language or "eng"
    labels = field_labels(svc, db, report, language)
    contact = ""
    if report.contact_allowed and team.sees_contacts and report.reporter_phone:
        phone = protector.decrypt(report.reporter_phone)
        if phone:
            contact = texts.text("alert_contact", language, phone=phone)
    template = texts.text(
        "alert", language,
        severity=texts.text(f"severity.{report.severity}", language),
        reference=report.reference,
        category=labels["category"],
        place=labels["place"],
        when=labels["when"],
        contact=contact,
        description="{description}",
    )
    if escalated:
        template = texts.text("escalation_prefix", language) + template
    return texts.fit(template, report.description or "")


def field_labels(svc, db, report: Report, language: str) -> dict:
    """Category, place and time as the script labels them in ``language``."""
    try:
        script = scriptstore.get_version(db, report.script_id, report.script_version)
    except Exception:  # a deleted script version must not stop an alert
        script = scriptstore.fallback_script()
    answers = report.answers or {}
    by_field = {step.field: step for step in script.steps.values() if step.field}

    def label(field: str, value: str | None) -> str:
        step = by_field.get(field)
        if step is None or value is None:
            return value or "-"
        return texts.to_gsm7(script.answer_label(step, answers, language) or value)

    county = label("county", report.county)
    sub_county = label("sub_county", report.sub_county)
    place = f"{sub_county}, {county}" if report.sub_county else county
    return {"category": label("category", report.category), "place": place,
            "when": label("when", report.when)}


def create_alert(svc, db, report: Report, team: Team, *, level: int = 0, now=None) -> Alert | None:
    """One alert and its deliveries, in a savepoint; ``None`` if it exists already."""
    now = now or now_utc()
    minutes = deadline_minutes(db, svc.config, report.severity)
    alert = Alert(
        kind="report", report_id=report.id, team_id=team.id, level=level,
        text=alert_text(svc, db, report, team, escalated=level > 0),
        deadline_at=now + timedelta(minutes=minutes), created_at=now,
    )
    try:
        with db.begin_nested():
            db.add(alert)
            db.flush()
    except IntegrityError:
        return None
    metrics.alert_created(svc, alert, team)
    add_deliveries(svc, db, alert, team, report_id=report.id, payload=webhook_payload(report))
    return alert


def add_deliveries(svc, db, alert: Alert, team: Team, *, report_id: int | None, payload: dict):
    """One ledger message and delivery per active member, and one per endpoint."""
    protector = Protector.from_config(svc.config)
    for member in team.members:
        if not member.active:
            continue
        message = ledger.outbound(
            channel=member.channel, provider=outbox.provider_for(svc.config, member.channel),
            to=member.phone, text=alert.text, status="queued", protector=protector,
            report_id=report_id,
        )
        db.add(message)
        db.flush()
        db.add(Delivery(alert_id=alert.id, member_id=member.id, message_id=message.id,
                        channel=member.channel))
    for endpoint in team.endpoints:
        if not endpoint.active:
            continue
        message = Message(
            direction="out", channel="webhook", provider="webhook",
            recipient=f"endpoint:{endpoint.id}", text=json.dumps(payload),
            status="queued", report_id=report_id,
        )
        db.add(message)
        db.flush()
        db.add(Delivery(alert_id=alert.id, endpoint_id=endpoint.id, message_id=message.id,
                        channel="webhook"))
    db.flush()


def webhook_payload(report: Report) -> dict:
    """What agencies' systems receive (documented in docs/api.md).  Never the number."""
    return {
        "event": "report.created",
        "reference": report.reference,
        "category": report.category,
        "county": report.county,
        "sub_county": report.sub_county,
        "when": report.when,
        "severity": report.severity,
        "description": report.description,
        "language": report.language,
        "channel": report.channel,
        "contact_allowed": report.contact_allowed,
        "created_at": aware(report.created_at).isoformat() if report.created_at else None,
    }


def message_ids(alert: Alert) -> list[int]:
    return [d.message_id for d in alert.deliveries if d.message_id is not None]


def dispatch(svc, alerts: list[Alert]) -> None:
    """Queue sending (one job per alert, so one AT call per team) and escalation checks."""
    from workers import jobs

    queue = svc.queue("alerts")
    for alert in alerts:
        ids = message_ids(alert)
        if ids:
            queue.enqueue(jobs.send_messages, ids, job_id=f"send-alert-{alert.id}",
                          meta=logs.job_meta())
        if alert.kind == "report" and alert.deadline_at is not None:
            queue.enqueue_at(
                aware(alert.deadline_at), jobs.check_escalation, alert.id,
                job_id=f"escalate-{alert.id}", meta=logs.job_meta(),
            )


# -- the job ---------------------------------------------------------------------


def route(svc, report_id: int, *, now=None) -> dict:
    now = now or now_utc()
    with svc.db() as db:
        report = db.get(Report, report_id)
        if report is None:
            log.warning("route: no report %s", report_id)
            return {"report_id": report_id, "alerts": []}
        created = []
        for team in matching_teams(db, report):
            alert = create_alert(svc, db, report, team, now=now)
            if alert is not None:
                created.append(alert)
        logs.bind(reference=report.reference)
        if report.routed_at is None:
            metrics.report_routed(svc, report)
            report.routed_at = now
            if report.status == "received":
                report.status = "routed"
        if created:
            db.add(ReportEvent(
                report_id=report.id, kind="routed", created_at=now,
                detail={"teams": [a.team.name for a in created]},
            ))
        db.commit()
        for alert in created:
            db.refresh(alert)
            alert.deliveries  # noqa: B018 - load before the session closes
        result = {"report_id": report_id, "alerts": [a.id for a in created]}
    log.info("report routed", extra={"report_id": report_id, "alerts": len(created)})
    dispatch(svc, created)
    incidents.observe(svc, report_id, now=now)
    return result


def unrouted(db, *, older_than: timedelta, now=None) -> list[int]:
    now = now or now_utc()
    return list(
        db.scalars(
            select(Report.id).where(
                Report.routed_at.is_(None),
                Report.priority != "low",  # held for review, routed by an admin
                Report.created_at < now - older_than,
            )
        )
    )


def enqueue_unrouted(svc, *, now=None) -> list[int]:
    """Reports stored but never routed (stored while Redis was down): route them."""
    from gateway.intake.reports import enqueue_routing

    grace = timedelta(seconds=svc.config["ROUTE_GRACE_SECONDS"])
    with svc.db() as db:
        ids = unrouted(db, older_than=grace, now=now)
    for report_id in ids:
        enqueue_routing(svc, report_id)
    return ids
