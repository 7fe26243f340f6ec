"""Queries shared by the web console, the CLI and the REST API, so that a
county officer sees exactly the same reports everywhere.

``Scope`` says what a user may see: an admin sees everything, a county
officer only the counties assigned to them.  Every listing goes through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from gateway.core import localtime
from gateway.core.references import looks_like_reference
from gateway.store.models import Alert, Incident, Report, ReportEvent, TeamMember, User
from gateway.vocab import AlertStatus, Channel, IncidentStatus, ReportStatus, Role, Severity

if TYPE_CHECKING:
    from gateway.store.script_versions import Vocabulary

SEVERITIES = Severity.most_severe_first()
STATUSES = tuple(ReportStatus)
CHANNELS = tuple(Channel)
INCIDENT_STATUSES = tuple(IncidentStatus)
#: A group of one report is not an incident: the console, the overview and the
#: API list an incident once it groups at least this many reports (before the
#: alert threshold of distinct reporters: an early warning), or once an
#: officer has acted on it (monitoring or closed, e.g. merged away).
MIN_REPORTS = 2


@dataclass(frozen=True)
class Scope:
    is_admin: bool
    counties: frozenset = frozenset()
    username: str | None = None

    @classmethod
    def for_user(cls, user: User) -> Scope:
        return cls(user.role == "admin", frozenset(user.counties or ()), user.username)

    def may_see_county(self, county: str | None) -> bool:
        return self.is_admin or (county is not None and county in self.counties)

    def reports(self, query: Select) -> Select:
        return query if self.is_admin else query.where(Report.county.in_(self.counties))

    def incidents(self, query: Select) -> Select:
        return query if self.is_admin else query.where(Incident.county.in_(self.counties))

    def may_see_reporter_number(self, report: Report) -> bool:
        """Admins only, and only for reporters who agreed to be contacted."""
        return self.is_admin and bool(report.contact_allowed)


#: ``assigned=`` values that are not a username.
ASSIGNED_TO_ME, UNASSIGNED = "me", "none"


def _words(text: str) -> str:
    """Text compared loosely: case-folded, ``_`` and runs of spaces as one space."""
    return " ".join(text.replace("_", " ").casefold().split())


def label_matches(text: str, labels: Mapping[str, str]) -> frozenset[str]:
    """The ids whose label (or id) contains ``text``: "Turkana West" finds
    ``turkana_west``, "west" finds every sub-county named so."""
    wanted = _words(text)
    if not wanted:
        return frozenset()
    return frozenset(value for value, name in labels.items()
                     if wanted in _words(name) or wanted in _words(value))


@dataclass(frozen=True)
class ReportFilters:
    """The report list's filters, shared by the console's list and queue links,
    its CSV export and the API (one parser, one ``apply``)."""

    county: str | None = None
    sub_county: str | None = None
    category: str | None = None
    severity: str | None = None
    status: str | None = None
    channel: str | None = None
    language: str | None = None
    #: A bare date is an East Africa Time calendar day; a datetime is a moment
    #: (``gateway.core.localtime.parse_moment``).
    since: date | datetime | None = None
    until: date | datetime | None = None
    text: str | None = None
    #: Ids whose script label matches ``text`` (``label_matches``), found by
    #: ``from_args`` in the live script's vocabulary.
    text_counties: frozenset[str] = frozenset()
    text_sub_counties: frozenset[str] = frozenset()
    text_categories: frozenset[str] = frozenset()
    overdue: bool = False
    #: The username of the officer the reports are assigned to.
    assigned: str | None = None
    unassigned: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args, *, counties=(), categories=(), vocabulary: Vocabulary | None = None,
                  me: str | None = None) -> ReportFilters:
        """From a request's query arguments; unknown or malformed values are
        ignored.  ``vocabulary``: the live script's names (its counties,
        sub-counties, categories and languages are the allowed values, and its
        labels are what the free text searches); else only ``counties`` and
        ``categories`` are known.  ``me``: the username ``assigned=me`` means."""
        if vocabulary is not None:
            counties, categories = vocabulary.counties, vocabulary.categories
        sub_counties = vocabulary.sub_counties if vocabulary is not None else {}
        languages = vocabulary.languages if vocabulary is not None else {}

        def choice(name, allowed):
            value = (args.get(name) or "").strip()
            return value if value in allowed else None

        def day(name):
            try:
                return localtime.parse_moment(args.get(name) or "")
            except ValueError:
                return None

        text = (args.get("q") or "").strip()[:100] or None
        assigned = (args.get("assigned") or "").strip()[:64] or None
        unassigned = assigned == UNASSIGNED
        if assigned == ASSIGNED_TO_ME:
            assigned = me
        elif unassigned:
            assigned = None

        def matches(labels):
            return label_matches(text, labels) if text and isinstance(labels, Mapping) else frozenset()

        return cls(
            county=choice("county", counties), sub_county=choice("sub_county", sub_counties),
            category=choice("category", categories),
            severity=choice("severity", SEVERITIES), status=choice("status", STATUSES),
            channel=choice("channel", CHANNELS), language=choice("language", languages),
            since=day("since"), until=day("until"), text=text,
            text_counties=matches(counties), text_sub_counties=matches(sub_counties),
            text_categories=matches(categories),
            overdue=(args.get("overdue") or "") in ("1", "true", "yes", "on"),
            assigned=assigned, unassigned=unassigned,
        )

    def apply(self, query: Select, *, now: datetime | None = None) -> Select:
        for name in ("county", "sub_county", "category", "severity", "status", "channel", "language"):
            value = getattr(self, name)
            if value:
                query = query.where(getattr(Report, name) == value)
        if self.since:
            query = query.where(Report.created_at >= localtime.lower_bound(self.since))
        if self.until:
            end, inclusive = localtime.upper_bound(self.until)
            query = query.where(Report.created_at <= end if inclusive else Report.created_at < end)
        reference = looks_like_reference(self.text) if self.text else None
        if reference:  # a reference typed into search: the unique index, not a scan
            query = query.where(Report.reference == reference)
        elif self.text:
            pattern = f"%{self.text.replace('%', '').replace('_', '')}%"
            found = [Report.reference.ilike(pattern), Report.description.ilike(pattern),
                     Report.place_name.ilike(pattern), Report.sub_county.ilike(pattern)]
            for column, ids in ((Report.county, self.text_counties),
                                (Report.sub_county, self.text_sub_counties),
                                (Report.category, self.text_categories)):
                if ids:
                    found.append(column.in_(sorted(ids)))
            query = query.where(or_(*found))
        if self.assigned:
            query = query.where(Report.assigned_to.in_(
                select(User.id).where(User.username == self.assigned)))
        if self.unassigned:
            query = query.where(Report.assigned_to.is_(None))
        if self.overdue:
            if now is None:
                raise ValueError("the overdue filter needs the services' clock: pass now=")
            query = query.where(Report.acknowledged_at.is_(None), Report.id.in_(_overdue_ids(now)))
        return query


def _overdue_ids(now: datetime) -> Select:
    """Reports with an alert still pending past its deadline."""
    return select(Alert.report_id).where(
        Alert.status == AlertStatus.PENDING, Alert.deadline_at < now, Alert.report_id.is_not(None))


def reports(scope: Scope, filters: ReportFilters, *, now: datetime | None = None) -> Select:
    """Reports the scope may see, filtered, newest first.  ``now``, from the
    services' clock, is what "overdue" is measured against (needed for that filter)."""
    query = filters.apply(select(Report), now=now)
    return scope.reports(query).order_by(Report.created_at.desc(), Report.id.desc())


def held(scope: Scope) -> Select:
    """Reports held for review (over their sender's report limit) that the
    scope may see, newest first: admins review them; a county officer may
    look at those of their counties (as the status filter already shows)."""
    return reports(scope, ReportFilters(status=ReportStatus.HELD))


def held_count(db, scope: Scope) -> int:
    return db.scalar(select(func.count()).select_from(held(scope).order_by(None).subquery())) or 0


def incidents(scope: Scope, *, status: str | None = None, active: bool = False,
              county: str | None = None, category: str | None = None) -> Select:
    """Incidents the scope may see, worth listing (``MIN_REPORTS``), the most
    recently reported first.  ``status``: one status; ``active``: open or
    monitoring."""
    query = scope.incidents(select(Incident)).where(or_(
        Incident.report_count >= MIN_REPORTS, Incident.status != IncidentStatus.OPEN))
    if status:
        query = query.where(Incident.status == status)
    if active:
        query = query.where(Incident.status.in_(IncidentStatus.active()))
    if county:
        query = query.where(Incident.county == county)
    if category:
        query = query.where(Incident.category == category)
    return query.order_by(Incident.last_report_at.desc(), Incident.id.desc())


# -- the officer's queue: what needs action, first ----------------------------------------

#: The queue's groups, in the order they are shown.
OVERDUE, HIGH_UNACKNOWLEDGED, NEW, ASSIGNED_TO_YOU = 0, 1, 2, 3
QUEUE_GROUPS = {OVERDUE: "Overdue", HIGH_UNACKNOWLEDGED: "High, not acknowledged",
                NEW: "New", ASSIGNED_TO_YOU: "Assigned to you"}
#: Reports that need nothing more of a team: closed, or never routed.
_DONE = ReportStatus.closed() + ReportStatus.under_review()
#: Rows shown: the most urgent; the page stays under 50 KB on a busy day.
QUEUE_LIMIT = 30


def _queue_groups(now: datetime, me: str | None) -> list[tuple[int, object]]:
    """Each group's condition, in the queue's order; together they are the
    queue, and no report is in two (a report is in its first group only)."""
    waiting = Report.acknowledged_at.is_(None)
    overdue = Report.id.in_(_overdue_ids(now))
    high = Report.severity == Severity.HIGH
    groups: list[tuple[int, object]] = [
        (OVERDUE, waiting & overdue),
        (HIGH_UNACKNOWLEDGED, waiting & high & ~overdue),
        (NEW, waiting & ~high & ~overdue),
    ]
    if me:
        groups.append((ASSIGNED_TO_YOU, Report.acknowledged_at.is_not(None) & Report.assigned_to.in_(
            select(User.id).where(User.username == me))))
    return groups


def queue_rows(db: Session, scope: Scope, *, now: datetime,
               limit: int = QUEUE_LIMIT) -> list[tuple[Report, int]]:
    """What the scope's user should act on, most urgent first: overdue, then
    unacknowledged high severity, then the other unacknowledged (new) reports,
    then the open reports assigned to them; newest first within a group.
    Rows are ``(Report, group)``.  Closed and held reports are not in it.

    One query per group, each newest first with the rows still wanted as its
    limit, and the next group asked only if the page is not full: each reads
    the newest reports of its group by ``ix_reports_waiting`` (unacknowledged
    reports only), never ranks every open report."""
    rows: list[tuple[Report, int]] = []
    for group, condition in _queue_groups(now, scope.username):
        wanted = limit - len(rows)
        if wanted <= 0:
            break
        query = scope.reports(
            select(Report).where(condition, Report.status.not_in(_DONE))
            .options(selectinload(Report.assignee))
            .order_by(Report.created_at.desc(), Report.id.desc()).limit(wanted))
        rows.extend((report, group) for report in db.scalars(query))
    return rows


def queue_count(db: Session, scope: Scope, *, now: datetime) -> int:
    """How many reports the whole queue holds (beyond the rows shown): the
    open unacknowledged ones (``ix_reports_waiting``) and the acknowledged
    open ones assigned to the user."""
    total = 0
    waiting = Report.acknowledged_at.is_(None)
    conditions = [waiting]
    if scope.username:
        conditions.append(Report.acknowledged_at.is_not(None) & Report.assigned_to.in_(
            select(User.id).where(User.username == scope.username)))
    for condition in conditions:
        total += db.scalar(scope.reports(select(func.count(Report.id))
                                         .where(condition, Report.status.not_in(_DONE)))) or 0
    return total


def queue_version(db: Session, scope: Scope, *, now: datetime) -> str:
    """A cheap stamp that changes whenever the scope's queue may have changed:
    a report added or removed, any event of one (acknowledged, assigned,
    status, note, escalated), and every minute (deadlines pass, "12 min ago").
    Two aggregate queries; the queue itself is not built."""
    reports_seen = db.execute(scope.reports(select(func.count(Report.id), func.max(Report.id)))).one()
    last_event = db.scalar(scope.reports(
        select(func.max(ReportEvent.id)).join(Report, ReportEvent.report_id == Report.id)))
    minute = now.strftime("%Y%m%d%H%M")
    return f"{reports_seen[0]}-{reports_seen[1] or 0}-{last_event or 0}-{minute}"


def deadlines(db: Session, report_ids) -> dict[int, datetime]:
    """The earliest deadline of each report's pending alerts."""
    if not report_ids:
        return {}
    rows = db.execute(select(Alert.report_id, func.min(Alert.deadline_at))
                      .where(Alert.report_id.in_(list(report_ids)), Alert.status == AlertStatus.PENDING,
                             Alert.deadline_at.is_not(None))
                      .group_by(Alert.report_id))
    return {report_id: deadline for report_id, deadline in rows}


# -- who works on a report, and who did what -----------------------------------------------


def assignable_users(db: Session, county: str | None) -> list[User]:
    """Console users a report of ``county`` may be assigned to: active county
    officers of that county and admins, by username."""
    users = db.scalars(select(User).where(User.active.is_(True)).order_by(User.username)).all()
    return [u for u in users
            if u.role == Role.ADMIN or (county is not None and county in (u.counties or ()))]


def officers_in_scope(db: Session, scope: Scope) -> list[User]:
    """Users whose reports the scope's user may filter by (the "assigned
    officer" filter): everyone for an admin, else those sharing a county."""
    users = db.scalars(select(User).where(User.active.is_(True)).order_by(User.username)).all()
    if scope.is_admin:
        return list(users)
    return [u for u in users if u.role == Role.ADMIN or set(u.counties or ()) & scope.counties]


def actor_name(db: Session, actor: str | None, name: str | None = None) -> str:
    """Who did something, named the same way on every page, export and API
    answer: a console or API user by their username (as the audit log names
    them), a team member by their name (``name``, as recorded with the event,
    else looked up), the gateway itself as "Mpaka"."""
    if not actor:
        return name or "Mpaka"
    kind, _, rest = actor.partition(":")
    if kind == "user" and rest:
        return rest
    if kind == "member" and rest:
        if name:
            return name
        member = db.get(TeamMember, int(rest)) if rest.isdigit() else None
        return member.name if member is not None else f"team member {rest}"
    if actor in ("system", "worker"):
        return "Mpaka"
    return actor
