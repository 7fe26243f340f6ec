"""``/api/v1/shared``: what partners receive, at their sharing level.

Only partner tokens reach these endpoints (``common.authenticate``).  Rows
are turned into what may leave by ``gateway.privacy.sharing`` and every
answer is recorded there as a share; a partner limited to some counties
sees only those.  Held and dismissed reports never leave."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import g, jsonify
from sqlalchemy import and_, or_, select

from gateway.core import localtime
from gateway.core.services import current_services
from gateway.privacy import sharing
from gateway.store.models import Incident, Partner, Report
from gateway.vocab import ReportStatus
from gateway.web.api.common import (
    ApiError,
    bp,
    date_arg,
    db,
    decode_cursor,
    encode_cursor,
    limit_arg,
    page,
)

#: Without ``since``: this far back.
DEFAULT_PERIOD = timedelta(weeks=12)


def partner() -> Partner:
    return g.partner


def now() -> datetime:
    return current_services().clock.now()


def need(kind: str) -> None:
    if not sharing.may_receive(partner().level, kind):
        raise ApiError(403, "forbidden",
                       f"this partner's sharing level ({partner().level}) does not include "
                       f"{kind}s")


def within(query, column):
    """``since``/``until`` (EAT days or moments) on ``column``."""
    since, until = date_arg("since"), date_arg("until")
    query = query.where(column >= (localtime.lower_bound(since) if since is not None
                                   else now() - DEFAULT_PERIOD))
    if until is not None:
        end, inclusive = localtime.upper_bound(until)
        query = query.where(column <= end if inclusive else column < end)
    return query


def shared_reports(query, column):
    query = within(query, column)
    counties = partner().counties or []
    if counties:
        query = query.where(Report.county.in_(counties))
    return query.where(Report.status.not_in(list(ReportStatus.under_review())))


def shared_incidents(query):
    query = within(query, Incident.first_report_at)
    counties = partner().counties or []
    if counties:
        query = query.where(Incident.county.in_(counties))
    return query


def share(kind: str, rows: list[dict]) -> None:
    sharing.record(db(), partner(), channel="api", kind=kind, rows=rows, now=now())
    db().commit()


@bp.get("/shared/partner")
def shared_partner():
    p = partner()
    return jsonify(name=p.name, level=p.level, counties=list(p.counties or []))


@bp.get("/shared/aggregates")
def shared_aggregates():
    need("aggregate")
    reports = db().scalars(shared_reports(select(Report), Report.created_at)).all()
    incidents = db().scalars(shared_incidents(select(Incident))).all()
    rows = sharing.aggregate_rows(reports, incidents)
    share("aggregate", rows)
    return jsonify(data=rows)


@bp.get("/shared/incidents")
def shared_incidents_list():
    need("incident")
    limit = limit_arg()
    position = decode_cursor("id")
    query = shared_incidents(select(Incident)).order_by(Incident.id.desc())
    if position:
        query = query.where(Incident.id < position["id"])
    result = page(db().scalars(query.limit(limit + 1)).all(), limit,
                  lambda i: encode_cursor(id=i.id))
    rows = [sharing.incident_row(i) for i in result["rows"]]
    share("incident", rows)
    return jsonify(data=rows, next_cursor=result["next_cursor"])


@bp.get("/shared/reports")
def shared_reports_list():
    need("report")
    limit = limit_arg()
    position = decode_cursor("at", "id")
    query = shared_reports(select(Report), Report.created_at).order_by(
        Report.created_at.desc(), Report.id.desc())
    if position:
        query = query.where(or_(
            Report.created_at < position["at"],
            and_(Report.created_at == position["at"], Report.id < position["id"]),
        ))
    result = page(db().scalars(query.limit(limit + 1)).all(), limit,
                  lambda r: encode_cursor(at=r.created_at.isoformat(), id=r.id))
    rows = [sharing.report_row(r) for r in result["rows"]]
    share("report", rows)
    return jsonify(data=rows, next_cursor=result["next_cursor"])
