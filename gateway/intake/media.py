"""Reporters' media: photos, voice notes and short videos sent on WhatsApp,
and the description a caller records on a voice call (Africa's Talking).

The webhook only *names* the files (``MediaUrl{n}``): it must answer Twilio
fast, so ``receive`` records one ``attachments`` row per accepted file (status
``pending``, a random key, no phone, no URL) and queues ``fetch`` for a worker.
The dialogue carries the keys (``DialogueSession.attachments``) and the report
takes them when it is stored (``link``), whenever the file arrives.

``fetch`` downloads from Twilio's hosts only (``handlers.twilio_media``), or
a recording from Africa's Talking's (``handlers.africastalking_media``),
within ``MEDIA_MAX_BYTES`` and the allow-list; images are re-encoded without
their metadata (``gateway.privacy.images``); only that copy is stored,
encrypted, in the media store.  Voice notes and videos are stored as they
came: their container metadata is not stripped (docs/privacy.md).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway import tasks
from gateway.core import texts
from gateway.core.services import Services
from gateway.dialogue import Attachment as MediaInput
from gateway.ops import metrics
from gateway.privacy.images import strip_image
from gateway.store.media import MediaStore, new_key
from gateway.store.models import Attachment
from gateway.vocab import AttachmentKind, AttachmentStatus
from handlers.africastalking_media import fetch_recording
from handlers.base import InboundMessage
from handlers.errors import MediaRefused, MediaUnavailable
from handlers.twilio_media import (
    DEFAULT_ALLOWED_TYPES,
    base_type,
    fetch_media,
    kind_of,
    looks_like,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """What ``receive`` made of a message's media."""

    attachments: tuple[MediaInput, ...] = ()
    refused: int = 0  # files of a type never accepted (a PDF, a contact card)
    over_limit: int = 0  # accepted types beyond MEDIA_PER_REPORT: not kept


def allowed_types(config: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(base_type(t) for t in config.get("MEDIA_ALLOWED_TYPES") or ()) \
        or DEFAULT_ALLOWED_TYPES


def receive(svc: Services, msg: InboundMessage, language: str | None,
            already: int = 0) -> Received:
    """Record the message's accepted media as pending attachments and queue
    their download.  ``already``: media the dialogue holds, so that one
    dialogue keeps at most ``MEDIA_PER_REPORT``."""
    items = msg.extra.get("media")
    if not isinstance(items, list) or not items:
        return Received()
    allowed = allowed_types(svc.config)
    room = max(0, int(svc.config["MEDIA_PER_REPORT"]) - already)
    accepted: list[tuple[Attachment, str]] = []
    refused = over = 0
    first_over: str | None = None
    for item in items:
        url = str(item.get("url") or "") if isinstance(item, dict) else ""
        content_type = base_type(str(item.get("content_type") or "")) if isinstance(item, dict) \
            else ""
        kind = kind_of(content_type)
        if not url or kind is None or content_type not in allowed:
            refused += 1
            continue
        if len(accepted) >= room:  # beyond the limit: not kept, the reporter is told
            over += 1
            first_over = first_over or kind
            continue
        accepted.append((Attachment(key=new_key(), kind=kind, content_type=content_type,
                                    status=AttachmentStatus.PENDING,
                                    created_at=svc.clock.now()), url))
    if not accepted:
        # Still media to the dialogue (an answer, no strike), but with no key: not kept.
        # A refused file (a document) is media too: no answer and no strike.
        unkept = (MediaInput(key="", kind=first_over, label=texts.text(
            f"media.label.{first_over}", language)),) if first_over else (
            (MediaInput(key="", kind="", label=""),) if refused else ())
        return Received(attachments=unkept, refused=refused, over_limit=over)
    try:
        with svc.db() as db:
            db.add_all([row for row, _url in accepted])
            db.commit()
            ids = [(row.id, url) for row, url in accepted]
    except SQLAlchemyError as exc:
        log.warning("media not recorded: %s", type(exc).__name__)
        return Received(refused=refused)
    for attachment_id, url in ids:
        tasks.fetch_attachment(svc, attachment_id, url, msg.provider)
    return Received(
        attachments=tuple(MediaInput(key=row.key, kind=row.kind,
                                     label=texts.text(f"media.label.{row.kind}", language))
                          for row, _url in accepted),
        refused=refused, over_limit=over)


def notice(received: Received, language: str | None) -> str:
    """"Photo received." (one line per kind) or the refusal, for the reply."""
    kinds = list(dict.fromkeys(a.kind for a in received.attachments if a.key))
    lines = [texts.text(f"media.received.{kind}", language) for kind in kinds]
    if received.over_limit:
        lines.append(texts.text("media.limit", language))
    elif received.refused and not any(a.key for a in received.attachments):
        lines.append(texts.text("media.refused", language))
    return "\n".join(lines)


def fetch(svc: Services, attachment_id: int, url: str, *,
          last_try: bool = True, provider: str = "twilio") -> dict[str, object]:
    """Download, check, strip and store one attachment (the worker's job).

    ``MediaUnavailable`` is raised again while retries remain (RQ tries
    later); on the last try, or for any other refusal, the row says why.
    """
    with svc.db() as db:
        row = db.get(Attachment, attachment_id)
        if row is None or row.status != AttachmentStatus.PENDING:
            return {"attachment": attachment_id, "status": row.status if row else "gone"}
        try:
            fetched = _download(svc, url, provider)
            data = fetched.content
            if kind_of(fetched.content_type) != row.kind:
                raise MediaRefused("type", f"announced as {row.kind}, sent {fetched.content_type}")
            if row.kind == AttachmentKind.PHOTO:
                data = strip_image(data, fetched.content_type)
            elif not looks_like(fetched.content_type, data):
                raise MediaRefused("unreadable", f"not a {fetched.content_type} file")
        except MediaUnavailable as exc:
            if not last_try:
                raise
            return _refuse(svc, db, row, exc)
        except MediaRefused as exc:
            return _refuse(svc, db, row, exc)
        store = MediaStore.from_services(svc)
        row.storage_key = store.put(data)
        row.content_type = fetched.content_type
        row.size = len(data)
        row.sha256 = hashlib.sha256(data).hexdigest()
        row.status = AttachmentStatus.STORED
        try:
            db.commit()
        except SQLAlchemyError:
            store.delete(row.storage_key)
            raise
        metrics.incr(svc, "mpaka_media", kind=row.kind, outcome="stored")
        return {"attachment": attachment_id, "status": row.status, "size": row.size}


def _download(svc: Services, url: str, provider: str):  # type: ignore[no-untyped-def]
    """The file at ``url``, from the provider that named it, and only from its hosts."""
    if provider == "africastalking":
        return fetch_recording(url, max_bytes=int(svc.config["MEDIA_MAX_BYTES"]),
                               allowed_types=allowed_types(svc.config),
                               extra_hosts=svc.config.get("AT_MEDIA_HOSTS") or ())
    return fetch_media(
        url, account_sid=svc.config.get("TWILIO_ACCOUNT_SID") or "",
        auth_token=svc.config.get("TWILIO_AUTH_TOKEN") or "",
        max_bytes=int(svc.config["MEDIA_MAX_BYTES"]),
        allowed_types=allowed_types(svc.config))


def _refuse(svc: Services, db: Session, row: Attachment,
            exc: MediaRefused) -> dict[str, object]:
    log.warning("media refused: %s", exc.reason)
    metrics.incr(svc, "mpaka_media", kind=row.kind, outcome=exc.reason)
    row.status = AttachmentStatus.REFUSED
    row.error = f"{exc.reason}: {exc}"[:255]
    db.commit()
    return {"attachment": row.id, "status": row.status, "reason": exc.reason}


def link(db: Session, report_id: int, keys: list[str]) -> int:
    """Attach the dialogue's media to its report (in the report's transaction)."""
    if not keys:
        return 0
    result = db.execute(update(Attachment).where(
        Attachment.key.in_(keys), Attachment.report_id.is_(None)).values(report_id=report_id))
    return int(getattr(result, "rowcount", 0) or 0)


def discard_keys(svc: Services, keys: list[str]) -> int:
    """Media that left a dialogue (abandoned with STOP, 99 or Cancel, or a
    description recorded again): unattached, they go."""
    if not keys:
        return 0
    try:
        with svc.db() as db:
            rows = list(db.scalars(select(Attachment).where(
                Attachment.key.in_(keys), Attachment.report_id.is_(None))))
            count = MediaStore.from_services(svc).discard(db, rows)
            db.commit()
            return count
    except SQLAlchemyError as exc:  # the daily purge removes them later
        log.warning("abandoned media not deleted: %s", type(exc).__name__)
        return 0
