"""Queries shared by the web console, the CLI and the REST API, so that a
county officer sees exactly the same reports everywhere.

``Scope`` says what a user may see: an admin sees everything, a county
officer only the counties assigned to them.  Every listing goes through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select

from gateway.core import localtime
from gateway.store.models import Alert, Incident, Report, User
from gateway.vocab import AlertStatus, IncidentStatus, ReportStatus, Severity

SEVERITIES = Severity.most_severe_first()
STATUSES = tuple(ReportStatus)
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


@dataclass(frozen=True)
class ReportFilters:
    county: str | None = None
    category: str | None = None
    severity: str | None = None
    status: str | None = None
    #: A bare date is an East Africa Time calendar day; a datetime is a moment
    #: (``gateway.core.localtime.parse_moment``).
    since: date | datetime | None = None
    until: date | datetime | None = None
    text: str | None = None
    overdue: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args, *, counties, categories) -> ReportFilters:
        """From a request's query arguments; unknown or malformed values are
        ignored.  ``counties`` and ``categories``: the script's values."""

        def choice(name, allowed):
            value = (args.get(name) or "").strip()
            return value if value in allowed else None

        def day(name):
            try:
                return localtime.parse_moment(args.get(name) or "")
            except ValueError:
                return None

        text = (args.get("q") or "").strip()[:100] or None
        return cls(
            county=choice("county", counties), category=choice("category", categories),
            severity=choice("severity", SEVERITIES), status=choice("status", STATUSES),
            since=day("since"), until=day("until"), text=text,
            overdue=(args.get("overdue") or "") in ("1", "true", "yes", "on"),
        )

    def apply(self, query: Select, *, now: datetime | None = None) -> Select:
        if self.county:
            query = query.where(Report.county == self.county)
        if self.category:
            query = query.where(Report.category == self.category)
        if self.severity:
            query = query.where(Report.severity == self.severity)
        if self.status:
            query = query.where(Report.status == self.status)
        if self.since:
            query = query.where(Report.created_at >= localtime.lower_bound(self.since))
        if self.until:
            end, inclusive = localtime.upper_bound(self.until)
            query = query.where(Report.created_at <= end if inclusive else Report.created_at < end)
        if self.text:
            pattern = f"%{self.text.replace('%', '').replace('_', '')}%"
            query = query.where(or_(Report.reference.ilike(pattern), Report.description.ilike(pattern),
                                    Report.sub_county.ilike(pattern)))
        if self.overdue:
            if now is None:
                raise ValueError("the overdue filter needs the services' clock: pass now=")
            overdue_ids = select(Alert.report_id).where(
                Alert.status == AlertStatus.PENDING, Alert.deadline_at < now, Alert.report_id.is_not(None)
            )
            query = query.where(Report.acknowledged_at.is_(None), Report.id.in_(overdue_ids))
        return query


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
