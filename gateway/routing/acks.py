"""Team commands sent by SMS or WhatsApp, outside the reporting dialogue:

* ``ACK <reference>`` (or Kiswahili ``POKEA``): a member of a team alerted for
  that report acknowledges it; escalation stops.  Anyone else gets a neutral
  reply and changes nothing.
* ``STATUS <reference>`` (or ``HALI``): anyone holding a reference learns
  received / with the county team / closed, nothing about the content.
  Checks are rate-limited per sender so references cannot be guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from gateway import tasks
from gateway.core import ratelimit, texts
from gateway.core.references import normalise_reference
from gateway.delivery import outbox
from gateway.ops import metrics
from gateway.store import ledger
from gateway.store.models import Alert, Report, ReportEvent, TeamMember
from gateway.vocab import AlertStatus, EventKind, MessageStatus, ReportStatus

COMMAND = re.compile(
    r"^\W*(?P<verb>ACK|POKEA|STATUS|HALI|XAALAD)\b\W*(?P<ref>R?\W?[A-Z0-9]{6})?\W*$",
    re.IGNORECASE
)
STATUS_CHECKS_PER_HOUR = 10


@dataclass(frozen=True)
class Command:
    verb: str  # ack | status
    reference: str | None
    language: str


def parse(text: str) -> Command | None:
    match = COMMAND.match(text or "")
    if not match:
        return None
    verb = match["verb"].upper()
    reference = normalise_reference(match["ref"]) if match["ref"] else None
    kind = "ack" if verb in ("ACK", "POKEA") else "status"
    language = {"POKEA": "swa", "HALI": "swa", "XAALAD": "som"}.get(verb, "eng")
    return Command(kind, reference, language)


def from_member(svc, command: Command, phone: str) -> bool:
    """Whether ``command`` is an ACK from an active team member (never rate-limited:
    a flood of reports must not stop a team acknowledging them)."""
    if command.verb != "ack":
        return False
    with svc.db() as db:
        return db.scalar(select(TeamMember.id).where(
            TeamMember.phone == phone, TeamMember.active.is_(True)).limit(1)) is not None


def handle(svc, command: Command, phone: str) -> str:
    """The one-line reply to a team command."""
    if command.verb == "ack":
        return acknowledge_by_sms(svc, command, phone)
    return status(svc, command, phone)


def acknowledge_by_sms(svc, command: Command, phone: str) -> str:
    if command.reference is None:
        return texts.text("ack_usage", command.language)
    with svc.db() as db:
        report = db.scalar(select(Report).where(Report.reference == command.reference))
        members = list(
            db.scalars(select(TeamMember).where(TeamMember.phone == phone, TeamMember.active.is_(True)))
        )
        alerted = set()
        if report is not None and members:
            alerted = set(db.scalars(select(Alert.team_id).where(Alert.report_id == report.id)))
        member = next((m for m in members if m.team_id in alerted), None)
        if member is None:
            return texts.text("ack_refused", command.language)
        result = acknowledge(
            svc, db, report, actor=f"member:{member.id}", actor_name=member.name
        )
        db.commit()
    queue_messages(svc, result.message_ids)
    key = "ack_done" if result.first else "ack_already"
    return texts.text(key, command.language, reference=command.reference)


@dataclass(frozen=True)
class AckResult:
    first: bool
    message_ids: tuple[int, ...] = ()  # to send once the transaction is committed


def acknowledge(svc, db, report: Report, *, actor: str, actor_name: str) -> AckResult:
    """Acknowledge every pending alert of ``report``.  The first acknowledgement
    also queues the one message a consenting reporter may receive.  The caller
    commits, then passes ``message_ids`` to ``queue_messages``."""
    now = svc.clock.now()
    for alert in db.scalars(select(Alert).where(Alert.report_id == report.id, Alert.status == AlertStatus.PENDING)):
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at = now
        alert.acknowledged_by = actor
    first = report.acknowledged_at is None
    db.add(ReportEvent(report_id=report.id, kind=EventKind.ACKNOWLEDGED, actor=actor,
                       detail={"by": actor_name, "first": first}, created_at=now))
    if first:
        metrics.acknowledged(svc, report, actor, now)
        report.acknowledged_at = now
        if report.status in ReportStatus.awaiting_acknowledgement():
            report.status = ReportStatus.ACKNOWLEDGED
        return AckResult(True, tuple(notify_reporter(svc, db, report)))
    return AckResult(False)


def queue_messages(svc, message_ids) -> None:
    tasks.send_messages(svc, list(message_ids))


def notify_reporter(svc, db, report: Report) -> list[int]:
    """One short message, only to a reporter who agreed to be contacted."""
    if not report.contact_allowed or not report.reporter_phone:
        return []
    protector = svc.protector
    phone = protector.decrypt(report.reporter_phone)
    if not phone:
        return []
    channel = "whatsapp" if report.channel == "whatsapp" else "sms"
    message = ledger.outbound(
        channel=channel, provider=outbox.provider_for(svc.config, channel), to=phone,
        text=texts.text("reporter_received", report.language, reference=report.reference),
        status=MessageStatus.QUEUED, protector=protector, report_id=report.id,
    )
    db.add(message)
    db.flush()
    return [message.id]


def status(svc, command: Command, phone: str) -> str:
    """``STATUS <reference>`` by SMS: answered in the report's language unless
    the Kiswahili keyword chose Kiswahili."""
    return status_text(svc, command.reference, phone, command.language,
                       prefer_report_language=command.language == "eng")


def status_text(svc, reference: str | None, phone: str, language: str, *,
                prefer_report_language: bool = False) -> str:
    """A report's stage (received / with the county team / closed), nothing about
    its content, so anonymous reporters can check too.  Checks are limited per
    sender so references cannot be guessed.  Used by SMS and the USSD menu."""
    if not reference:  # "HALI" alone: how to ask
        return texts.text("status_usage", language)
    if not svc.limiter.hit(ratelimit.STATUS_CHECKS, svc.protector.phone_hash(phone),
                           limit=STATUS_CHECKS_PER_HOUR, window=3600):
        return texts.text("status_limited", language)
    reference = normalise_reference(reference)
    with svc.db() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
    if report is None:
        return texts.text("status_unknown", language, reference=reference)
    if prefer_report_language:
        language = report.language
    if report.status in (*ReportStatus.closed(), ReportStatus.DISMISSED):
        # A dismissed report will not be acted on: "received" would promise more.
        key = "status_closed"
    elif report.acknowledged_at is not None or report.status == ReportStatus.INVESTIGATING:
        key = "status_with_team"
    else:
        key = "status_received"
    return texts.text(key, language, reference=report.reference)
