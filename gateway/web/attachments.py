"""Serving a report's media to the console and the API.

Never a public URL: a file is answered only by a route that has already
checked, as for the report itself, that the user may see the report (county
scope; another county's report is a 404).  The answer is never cached by a
shared cache, carries the stored content type with ``nosniff``, and names the
file by the report's reference and its position, never by anything the
reporter or the provider chose.
"""

from __future__ import annotations

from flask import Response, abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.core.services import current_services
from gateway.store.media import MediaStore
from gateway.store.models import Attachment, Report
from gateway.vocab import AttachmentStatus

EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "audio/ogg": "ogg",
    "audio/amr": "amr", "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/aac": "aac",
    "video/mp4": "mp4", "video/3gpp": "3gp",
}


def of_report(db: Session, report: Report) -> list[Attachment]:
    """A report's attachments, oldest first, refused ones included (they say why)."""
    return list(db.scalars(select(Attachment).where(Attachment.report_id == report.id)
                           .order_by(Attachment.id)))


def filename(report: Report, position: int, row: Attachment) -> str:
    return f"{report.reference}-{position}.{EXTENSIONS.get(row.content_type, 'bin')}"


def file_response(db: Session, report: Report, key: str, *, inline: bool) -> Response:
    """The stored file of attachment ``key`` of ``report`` (404 otherwise)."""
    rows = of_report(db, report)
    found = [(n, row) for n, row in enumerate(rows, start=1)
             if row.key == key and row.status == AttachmentStatus.STORED and row.storage_key]
    if not found:
        abort(404, "This report has no such attachment.")
    position, row = found[0]
    data = MediaStore.from_services(current_services()).get(row.storage_key or "")
    if data is None:
        abort(404, "The file is no longer stored.")
    disposition = "inline" if inline else "attachment"
    return Response(data, mimetype=row.content_type, headers={
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'{disposition}; filename="{filename(report, position, row)}"',
    })
