"""Alerts: the text a team receives, one alert per (report, team) with one
delivery per active member and agency endpoint, and queueing their sending
and escalation check.  Alerts are unique per (report, team) and deliveries per
(alert, member) in the database, so creating them twice sends nothing twice."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import tasks
from gateway.core import texts
from gateway.core.services import Services
from gateway.defaults.kenya import county_code, sub_county_code
from gateway.delivery import outbox
from gateway.dialogue import Script
from gateway.ops import metrics
from gateway.privacy import sharing
from gateway.routing import cap, decide
from gateway.store import ledger, script_versions
from gateway.store.models import (
    AgencyEndpoint,
    Alert,
    Attachment,
    Delivery,
    EscalationPolicy,
    Message,
    Report,
    Team,
)
from gateway.vocab import (
    AlertChannel,
    AlertKind,
    AttachmentKind,
    AttachmentStatus,
    Direction,
    MessageStatus,
    Severity,
)

#: Decimal places of a shared location in alert texts (0.01 degree: about 1.1 km).
ALERT_DECIMALS = 2


def deadline_minutes(db: Session, config: Mapping[str, Any], severity: str) -> int:
    """Minutes a team has to acknowledge (``decide.deadline_minutes`` over the
    admin's policies and the configured defaults)."""
    policy = db.get(EscalationPolicy, severity)  # one row, as before: per alert, not the table
    policies = {severity: policy.deadline_minutes} if policy is not None else {}
    defaults = {str(s): int(config[f"ESCALATION_{s.upper()}_MINUTES"]) for s in Severity
                if config.get(f"ESCALATION_{s.upper()}_MINUTES")}
    return decide.deadline_minutes(severity, policies, defaults)


def alert_text(svc: Services, db: Session, report: Report, team: Team, *,
               escalated: bool = False) -> str:
    """The alert in the team's language, within two GSM-7 segments."""
    language = team.language or "eng"
    script = report_script(db, report)
    labels = field_labels(svc, db, report, language, script)
    contact = ""
    if report.contact_allowed and team.sees_contacts and report.reporter_phone:
        phone = svc.protector.decrypt(report.reporter_phone)
        if phone:
            # Stored masked: the outbox puts the number in at send time only.
            contact = texts.text("alert_contact", language,
                                 phone=texts.contact_placeholder(phone))
    template = texts.text(
        "alert", language,
        severity=texts.text(f"severity.{report.severity}", language),
        reference=report.reference,
        category=labels["category"],
        place=labels["place"],
        when=labels["when"],
        contact=contact,
        media=media_note(db, report, language),
        interpreter=interpreter_note(script, report.language, language),
        description="{description}",
    )
    if escalated:
        template = texts.text("escalation_prefix", language) + template
    return texts.fit(template, report.description or "")


def media_note(db: Session, report: Report, language: str) -> str:
    """" Attached: 2 photos, 1 voice note." for the media sent with the report
    (those still being fetched count; refused ones do not); empty without."""
    rows = db.execute(
        select(Attachment.kind, func.count()).where(
            Attachment.report_id == report.id, Attachment.status != AttachmentStatus.REFUSED)
        .group_by(Attachment.kind)).all()
    counts = {str(kind): int(n) for kind, n in rows}
    items = [texts.text(f"media.count.{kind}.{'one' if n == 1 else 'many'}", language, n=n)
             for kind in AttachmentKind if (n := counts.get(kind, 0))]
    return texts.text("media.attached", language, items=", ".join(items)) if items else ""


def report_script(db: Session, report: Report) -> Script:
    """The script version the report was made with (the shipped one if it is gone)."""
    try:
        return script_versions.get_version(db, report.script_id, report.script_version)
    except Exception:  # a deleted script version must not stop an alert
        return script_versions.fallback_script()


def interpreter_note(script: Script, reporter_language: str | None, language: str) -> str:
    """`` Language: Ng'aturkana (interpreter).`` when the reporter's language is
    not fully reviewed in the script they used: they read draft translations,
    so the team calls back with an interpreter.  Empty otherwise."""
    if not reporter_language or script.fully_reviewed(reporter_language):
        return ""
    lang = script.languages.get(reporter_language)
    name = texts.to_gsm7(lang.name if lang is not None else reporter_language)
    return texts.text("alert_language", language, name=name)


def field_labels(svc: Services, db: Session, report: Report, language: str,
                 script: Script | None = None) -> dict[str, str]:
    """Category, place and time as the script labels them in ``language``."""
    if script is None:
        script = report_script(db, report)
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
    named = texts.to_gsm7(report.place_name) if report.place_name else ""
    if named and named.casefold() not in place.casefold():
        place = f"{named}, {place}"
    if report.latitude is not None and report.longitude is not None:
        # Rounded for texts that stay in team phones' inboxes: about 1 km.
        place += texts.text("alert_location", language,
                            latitude=f"{report.latitude:.{ALERT_DECIMALS}f}",
                            longitude=f"{report.longitude:.{ALERT_DECIMALS}f}")
    return {"category": label("category", report.category), "place": place,
            "when": label("when", report.when)}


def create_alert(svc: Services, db: Session, report: Report, team: Team, *,
                 level: int = 0) -> Alert | None:
    """One alert and its deliveries, in a savepoint; ``None`` if it exists already."""
    now = svc.clock.now()
    minutes = deadline_minutes(db, svc.config, report.severity)
    alert = Alert(
        kind=AlertKind.REPORT, report_id=report.id, team_id=team.id, level=level,
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
    add_deliveries(svc, db, alert, team, report_id=report.id, payload=webhook_payload(report),
                   cap_message=lambda: cap.report_message(cap_context(svc), report))
    return alert


def add_deliveries(svc: Services, db: Session, alert: Alert, team: Team, *,
                   report_id: int | None, payload: dict[str, Any],
                   cap_message: Callable[[], cap.CapMessage | None] | None = None) -> None:
    """One ledger message and delivery per active member, and one per endpoint:
    the JSON ``payload``, or for an endpoint in CAP format the CAP message
    ``cap_message`` builds (the JSON when there is none)."""
    cap_xml: str | None = None
    for member in team.members:
        if not member.active:
            continue
        message = ledger.outbound(
            channel=member.channel, provider=outbox.provider_for(svc.config, member.channel),
            to=member.phone, text=alert.text, status=MessageStatus.QUEUED, protector=svc.protector,
            report_id=report_id,
        )
        db.add(message)
        db.flush()
        db.add(Delivery(alert_id=alert.id, member_id=member.id, message_id=message.id,
                        channel=member.channel))
    for endpoint in team.endpoints:
        if not endpoint.active:
            continue
        # A partner's endpoint gets what its sharing level allows, or nothing.
        body = partner_payload(svc, db, endpoint, payload) if endpoint.partner_id else payload
        if body is None:
            continue
        text = json.dumps(body)
        if endpoint.format == "cap" and cap_message is not None:  # CAP carries no reporter data
            if cap_xml is None:
                built = cap_message()
                cap_xml = built.to_xml().decode() if built is not None else ""
            text = cap_xml or text
        message = Message(
            direction=Direction.OUT, channel=AlertChannel.WEBHOOK, provider="webhook",
            recipient=f"endpoint:{endpoint.id}", text=text,
            status=MessageStatus.QUEUED, report_id=report_id,
        )
        db.add(message)
        db.flush()
        db.add(Delivery(alert_id=alert.id, endpoint_id=endpoint.id, message_id=message.id,
                        channel=AlertChannel.WEBHOOK))
    db.flush()


def partner_payload(svc: Services, db: Session, endpoint: AgencyEndpoint,
                    payload: dict[str, Any]) -> dict[str, Any] | None:
    """What a partner's endpoint is sent: redacted to the partner's level
    (``gateway.privacy.sharing``) and audited as a share; ``None`` when the
    partner receives nothing of it (its level, its counties, inactive)."""
    partner = endpoint.partner
    if partner is None or not partner.active:
        return None
    if partner.counties and payload.get("county") not in partner.counties:
        return None
    body = sharing.webhook_payload(payload, partner.level)
    if body is None:
        return None
    kind = "report" if body["event"] == "report.created" else "incident"
    sharing.record(db, partner, channel="webhook", kind=kind, rows=[body], now=svc.clock.now(),
                   endpoint=endpoint.id)
    return body


def cap_context(svc: Services) -> cap.Context:
    """What a CAP message needs: the settings, the live script's labels and places."""
    script = script_versions.live_or_shipped_script(svc)
    return cap.Context(config=svc.config, vocabulary=script_versions.Vocabulary.of(script),
                       script=script)


def webhook_payload(report: Report) -> dict[str, Any]:
    """What agencies' systems receive (documented in docs/api.md).  Never the number."""
    return {
        "event": "report.created",
        "reference": report.reference,
        "category": report.category,
        "county": report.county,
        "sub_county": report.sub_county,
        "county_code": county_code(report.county),
        "sub_county_code": sub_county_code(report.county, report.sub_county),
        "place_name": report.place_name,
        "latitude": report.latitude,
        "longitude": report.longitude,
        "when": report.when,
        "severity": report.severity,
        "description": report.description,
        "language": report.language,
        "channel": report.channel,
        "contact_allowed": report.contact_allowed,
        "created_at": report.created_at.isoformat() if report.created_at else None,
    }


def message_ids(alert: Alert) -> list[int]:
    return [d.message_id for d in alert.deliveries if d.message_id is not None]


def dispatch(svc: Services, alerts: list[Alert]) -> None:
    """Queue sending (one job per alert, so one AT call per team) and escalation checks."""
    for alert in alerts:
        tasks.send_messages(svc, message_ids(alert), job_id=f"send-alert-{alert.id}")
        if alert.kind == AlertKind.REPORT and alert.deadline_at is not None:
            tasks.check_escalation(svc, alert.id, alert.deadline_at)
