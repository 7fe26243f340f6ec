"""Work on a report, the one place for the console and the REST API alike:
assigning it to an officer and writing notes.  Each adds a timeline event;
the caller audits and commits (as with ``acks.acknowledge``).

An assignee is a console user who may act on the report: an active county
officer of its county, or an admin (``queries.assignable_users``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.errors import MpakaError
from gateway.store import queries
from gateway.store.models import Report, ReportEvent, User
from gateway.vocab import EventKind

#: The longest note kept (characters).
NOTE_MAX = 2000


class NotAssignable(MpakaError):
    """No such active user, or one who does not work in the report's county."""


class InvalidNote(MpakaError, ValueError):
    """A note that is empty or longer than ``NOTE_MAX`` characters."""


def assign(db: Session, report: Report, username: str | None, *, actor: str,
           now: datetime | None = None) -> bool:
    """Assign ``report`` to the user named ``username`` (``None``: to nobody).
    Returns whether anything changed; an unchanged assignment adds no event."""
    user: User | None = None
    if username:
        user = db.scalar(select(User).where(User.username == username))
        if user is None or user not in queries.assignable_users(db, report.county):
            raise NotAssignable(f"{username} cannot be assigned this report: choose an active "
                                "officer of its county or an admin.")
    previous = report.assignee.username if report.assignee is not None else None
    if (user.id if user else None) == report.assigned_to:
        return False
    report.assigned_to = user.id if user else None
    report.assignee = user
    event = ReportEvent(report_id=report.id, kind=EventKind.ASSIGNED, actor=actor,
                        detail={"from": previous, "to": username or None})
    if now is not None:
        event.created_at = now
    db.add(event)
    return True


def add_note(db: Session, report: Report, text: str, *, actor: str,
             now: datetime | None = None) -> ReportEvent:
    """Add a note to the report's timeline; refused when empty or too long."""
    text = text.strip()
    if not text or len(text) > NOTE_MAX:
        raise InvalidNote(f"Write a note of 1 to {NOTE_MAX} characters.")
    event = ReportEvent(report_id=report.id, kind=EventKind.NOTE, actor=actor, detail={"text": text})
    if now is not None:
        event.created_at = now
    db.add(event)
    return event


def notes(report: Report) -> list[ReportEvent]:
    """The report's notes, oldest first."""
    return [e for e in report.events if e.kind == EventKind.NOTE]
