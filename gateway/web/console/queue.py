"""The officer's landing page: a queue of what needs action now (overdue,
then unacknowledged high severity, then new, then assigned to me), each
row with what, where, when, severity, status and deadline, and a one-tap
Acknowledge.  ``console.js`` keeps it current by polling ``/queue/rows``
with ``If-None-Match``: a 304 costs two aggregate queries and no rendering."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user

from gateway.store import queries
from gateway.vocab import Severity

from .common import db, now
from .reports import bp


def _etag() -> str:
    """The queue's version for this user (``queries.queue_version``)."""
    scope = current_user.scope
    return f'W/"queue-{current_user.id}-{queries.queue_version(db(), scope, now=now())}"'


def _context(etag: str) -> dict:
    moment = now()
    rows = queries.queue_rows(db(), current_user.scope, now=moment)
    total = len(rows) if len(rows) < queries.QUEUE_LIMIT \
        else queries.queue_count(db(), current_user.scope, now=moment)
    return {"rows": rows, "total": total,
            "deadlines": queries.deadlines(db(), [r.id for r, _group in rows]),
            "groups": queries.QUEUE_GROUPS, "now": moment, "etag": etag,
            "high": [r.reference for r, _group in rows if r.severity == Severity.HIGH
                     and r.acknowledged_at is None]}


@bp.get("/queue")
def queue():
    """What needs action, first."""
    etag = _etag()
    response = Response(render_template("console/queue.html", **_context(etag)))
    response.headers["ETag"] = etag
    return response


@bp.get("/queue/rows")
def queue_rows():
    """The queue's rows alone, for console.js; 304 when nothing changed."""
    etag = _etag()
    if etag in (tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")):
        response = Response(status=304)
    else:
        response = Response(render_template("console/_queue_rows.html", **_context(etag)))
    response.headers["ETag"] = etag
    return response
