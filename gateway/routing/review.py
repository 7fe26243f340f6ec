"""Reviewing held reports: the one place that releases or dismisses them,
used by the console and the REST API alike.

A report over the sender's hourly limit is stored ``held`` with priority
``low`` (``gateway.intake``); nothing routes it (the sweeper and the incident
grouping skip priority ``low``, and ``dispatch.route`` refuses it).  An admin
then either

* **releases** it: priority ``normal``, status ``received``, a ``released``
  event; after the caller commits, ``queue`` enqueues its routing, which
  alerts the teams and adds it to its incident as for any report; or
* **dismisses** it: status ``dismissed``, priority stays ``low``, a
  ``dismissed`` event; it is never routed (a dismissal can be undone by a
  release).

Both are idempotent: the state change is one conditional ``UPDATE``, so two
admins (or a double click) releasing at once route the report once and add
one event.  The caller audits and commits (as with ``acks.acknowledge``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway import tasks
from gateway.core.services import Services
from gateway.errors import MpakaError
from gateway.store.models import Report, ReportEvent
from gateway.vocab import EventKind, Priority, ReportStatus

RELEASED = EventKind.RELEASED
DISMISSED = EventKind.DISMISSED


class NotUnderReview(MpakaError):
    """The report was never held (or was released already, for a dismissal)."""


@dataclass(frozen=True)
class Review:
    report_id: int
    action: str  # released | dismissed
    changed: bool  # False: it was already so (a repeated request)


def release(svc: Services, db: Session, report: Report, *, actor: str) -> Review:
    """Make a held (or dismissed) report routable.  A report released before
    is left as it is (``changed`` False); one never held is refused."""
    changed = _transition(db, report, from_statuses=ReportStatus.under_review(),
                          status=ReportStatus.RECEIVED, priority=Priority.NORMAL)
    if changed:
        db.add(ReportEvent(report_id=report.id, kind=RELEASED, actor=actor,
                           created_at=svc.clock.now(), detail={}))
    elif not _has_event(report, RELEASED):
        raise NotUnderReview(f"{report.reference} is not held for review")
    return Review(report.id, RELEASED, changed)


def dismiss(svc: Services, db: Session, report: Report, *, actor: str) -> Review:
    """Keep a held report out of routing for good.  Dismissing it again
    changes nothing; a released (or never held) report is refused."""
    if report.status == ReportStatus.DISMISSED:
        return Review(report.id, DISMISSED, False)
    changed = _transition(db, report, from_statuses=(ReportStatus.HELD,),
                          status=ReportStatus.DISMISSED, priority=Priority.LOW)
    if not changed:
        db.refresh(report)
        if report.status == ReportStatus.DISMISSED:  # dismissed concurrently
            return Review(report.id, DISMISSED, False)
        raise NotUnderReview(f"{report.reference} is not held for review")
    db.add(ReportEvent(report_id=report.id, kind=DISMISSED, actor=actor,
                       created_at=svc.clock.now(), detail={}))
    return Review(report.id, DISMISSED, True)


def queue(svc: Services, review: Review) -> bool:
    """After the commit: route a report just released (nothing otherwise).
    ``False`` when Redis did not answer: the sweeper routes it later, as it
    does any stored report never routed."""
    if review.action == RELEASED and review.changed:
        return tasks.route_report(svc, review.report_id)
    return False


def _transition(db: Session, report: Report, *, from_statuses: tuple[str, ...], status: str,
                priority: str) -> bool:
    """One conditional UPDATE: True when this call made the change."""
    result = db.execute(
        update(Report)
        .where(Report.id == report.id, Report.status.in_([str(s) for s in from_statuses]))
        .values(status=status, priority=priority)
        .execution_options(synchronize_session=False)
    )
    db.refresh(report)
    return bool(getattr(result, "rowcount", 0) == 1)  # a CursorResult for an UPDATE


def _has_event(report: Report, kind: str) -> bool:
    return any(event.kind == kind for event in report.events)
