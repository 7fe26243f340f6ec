"""The one sending path: every outbound message is first a ledger row
(``status=queued``), then sent by a job through the configured provider.

States: ``queued`` → ``sending`` (recorded *before* the provider call) →
``sent``/``delivered`` | ``retry`` (transient failure, tried again with
backoff) | ``failed`` (permanent, or out of attempts).  A worker killed between
the provider accepting a message and our commit leaves it ``sending``; the
sweeper re-sends such rows after ``STUCK_DELIVERY_SECONDS``: that window is the
only place a duplicate can arise (see docs/operations.md).
"""

from __future__ import annotations

import json
import logging
import random
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select, update

from gateway.core import texts
from gateway.ops import metrics
from gateway.store import ledger
from gateway.store.models import AgencyEndpoint, Message, Report
from gateway.vocab import MessageStatus
from handlers.base import Channel, DeliveryStatus, OutboundMessage, SendResult
from handlers.registry import build_sender
from handlers.webhook import WebhookSender

log = logging.getLogger(__name__)

PENDING = MessageStatus.claimable()


def provider_for(config, channel: str) -> str:
    if channel == Channel.WHATSAPP:
        return config["WHATSAPP_PROVIDER"]
    return config["SMS_PROVIDER"]


def backoff_seconds(attempt: int, *, base: float = 5.0, cap: float = 600.0, rng=random.random) -> float:
    """Exponential backoff with "equal jitter": half of min(cap, base * 2**attempt)
    for sure, plus up to the other half at random.  Full jitter could spend all
    attempts inside a one-minute provider outage; this guarantees a minimum
    total wait (about 2.5 minutes before a 6th attempt with the defaults)
    while still spreading retries out."""
    delay = min(cap, base * 2 ** attempt)
    return delay / 2 + rng() * delay / 2


def send(svc, message_ids: list[int], *, senders=None) -> list[int]:
    """Send the pending messages among ``message_ids``; return those to retry.

    ``senders`` maps provider name to a sender (tests and benchmarks pass
    their own); by default each is built from configuration.
    """
    protector = svc.protector
    with svc.db() as db:
        # Claim atomically: of two workers handed the same ids (a retry and the
        # sweeper, say), only one moves a row from pending to sending.
        claimed = db.scalars(
            update(Message)
            .where(Message.id.in_(message_ids), Message.status.in_(PENDING),
                   Message.channel != Channel.VOICE)  # calls: gateway.intake.callback
            .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1, updated_at=svc.clock.now())
            .returning(Message.id)
        ).all()
        db.commit()
        rows = db.scalars(select(Message).where(Message.id.in_(claimed)).order_by(Message.id)).all()

        groups: dict[str, list[OutboundMessage]] = defaultdict(list)
        results: list[SendResult] = []
        contacts = reporter_contacts(db, protector, rows)
        for row in rows:
            if row.provider == "webhook":
                results.append(send_webhook(db, row, svc.config))
                continue
            groups[row.provider].append(
                OutboundMessage(
                    id=str(row.id), channel=Channel(row.channel),
                    to=protector.decrypt(row.recipient) or "",
                    text=texts.with_contact(row.text or "", contacts.get(row.report_id)),
                )
            )
        for provider, batch in groups.items():
            sender = (senders or {}).get(provider) or build_sender(provider, svc.config)
            results.extend(sender.send(batch))

        by_id = {row.id: row for row in rows}
        retry: list[int] = []
        for result in results:
            row = by_id[int(result.id)]
            row.provider_message_id = result.provider_message_id or row.provider_message_id
            if result.status == DeliveryStatus.FAILED:
                row.error = (result.error or "failed")[:255]
                row.status = MessageStatus.RETRY if result.transient else MessageStatus.FAILED
                if result.transient:
                    retry.append(row.id)
            else:
                row.status = str(result.status)
                row.error = None
            if row.id not in retry and ledger.forgets_recipient(row, protector):
                row.recipient = None  # the provider has it: nothing links the row to a phone
        db.commit()
        metrics.send_results(svc, by_id, results)
    return retry


def agency_url_checks(config) -> dict:
    """How strictly agency URLs are checked: https in production; private,
    loopback and link-local hosts only with AGENCY_ALLOW_PRIVATE."""
    return {"require_https": config.get("MPAKA_ENV") == "production",
            "allow_private": bool(config.get("AGENCY_ALLOW_PRIVATE"))}


def reporter_contacts(db, protector, rows) -> dict[int, str]:
    """report id -> the consenting reporter's number, for the texts that carry
    its placeholder (a team allowed to call back).  Decrypted here, in memory,
    for the provider call only."""
    ids = {row.report_id for row in rows if row.report_id is not None}
    if not ids:
        return {}
    found = {}
    for report in db.scalars(select(Report).where(
            Report.id.in_(ids), Report.contact_allowed.is_(True),
            Report.reporter_phone.is_not(None))):
        phone = protector.decrypt(report.reporter_phone)
        if phone:
            found[report.id] = phone
    return found


def send_webhook(db, row: Message, config) -> SendResult:
    """An agency endpoint: the row's text is the JSON payload (or, for an endpoint
    in CAP format, the CAP XML message as queued), its recipient
    ``endpoint:<id>``; the endpoint's URL and secret are read at send time so
    an admin's correction applies to pending retries."""
    endpoint_id = int((row.recipient or "endpoint:0").split(":", 1)[1])
    endpoint = db.get(AgencyEndpoint, endpoint_id)
    if endpoint is None or not endpoint.active:
        return SendResult(id=str(row.id), status=DeliveryStatus.FAILED, error="endpoint removed")
    sender = WebhookSender(endpoint.url, endpoint.secret, **agency_url_checks(config))
    text = row.text or "{}"
    if text.startswith("<?xml"):  # queued for an endpoint that takes CAP
        return sender.send_body(str(row.id), text.encode(), "application/cap+xml")
    return sender.send_json(str(row.id), json.loads(text))


def give_up(svc, message_ids: list[int]) -> None:
    """Out of attempts: mark failed so admins see it."""
    with svc.db() as db:
        for row in db.scalars(select(Message).where(Message.id.in_(message_ids))):
            if row.status in PENDING or row.status == MessageStatus.SENDING:
                metrics.outbound(svc, row, MessageStatus.FAILED)
                row.status = MessageStatus.FAILED
                if ledger.forgets_recipient(row, svc.protector):
                    row.recipient = None  # given up: nothing may keep the number
                row.error = f"gave up after {row.attempts} attempts: {row.error or ''}"[:255]
        db.commit()


def stuck(svc) -> list[int]:
    """Outbound messages left ``sending`` or ``queued`` past the timeout."""
    now = svc.clock.now()
    cutoff = now - timedelta(seconds=svc.config["STUCK_DELIVERY_SECONDS"])
    with svc.db() as db:
        rows = db.scalars(
            select(Message).where(
                Message.direction == "out",
                Message.channel != Channel.VOICE,  # a late callback is dropped, not placed
                Message.status.in_((MessageStatus.SENDING, MessageStatus.QUEUED)),
                Message.updated_at < cutoff,
            )
        ).all()
        for row in rows:
            if row.status == MessageStatus.SENDING:
                row.status = MessageStatus.RETRY
        db.commit()
        return [row.id for row in rows]


def apply_delivery_report(svc, report) -> bool:
    """Update the ledger from a provider's delivery callback.  Idempotent;
    ``False`` for an id we never sent (logged, answered 200 all the same)."""
    if not report.provider_message_id:
        return False
    with svc.db() as db:
        row = db.scalar(
            select(Message).where(
                Message.provider == report.provider,
                Message.provider_message_id == report.provider_message_id,
            )
        )
        if row is None:
            log.info("delivery report for an unknown message id from %s", report.provider)
            return False
        if report.status is None:
            log.info("unknown delivery status %r from %s", report.raw_status, report.provider)
            return True
        new, old = MessageStatus(str(report.status)), MessageStatus(row.status)
        if new.rank >= old.rank and old not in MessageStatus.final():
            if new != old and new in MessageStatus.final():
                metrics.outbound(svc, row, new)
            row.status = new
            if new == MessageStatus.FAILED:
                row.error = (report.failure_reason or report.raw_status or "failed")[:255]
        db.commit()
    return True
