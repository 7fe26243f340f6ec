"""What may leave for a partner, by sharing level: the one place that decides.

A partner (``gateway.store.models.Partner``) receives at one level; each
level includes the ones before it.  Every path that sends a partner
anything (the ``/api/v1/shared`` endpoints, partner webhook endpoints, the
CAP feed) turns rows into what may leave with the functions below, and
records the share with ``record``.  The table (kept in docs/api.md):

=========  ==========================================================
level      what leaves
=========  ==========================================================
aggregate  ``AGGREGATE_FIELDS``: counts per county, category and EAT week
incident   the above, and ``INCIDENT_FIELDS`` per incident (no
           descriptions, no report references)
report     the above, and ``REPORT_FIELDS`` per report (the description,
           never the reporter: no number, hash, channel, language, consent
           to be called, or answers)
=========  ==========================================================

Every output is built from an allow-list: a field added to a model later
leaves for nobody until it is named here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.core import localtime
from gateway.defaults.kenya import county_code, sub_county_code
from gateway.ops.logs import mask_text
from gateway.store.models import Incident, Partner, Report, Share
from gateway.vocab import SharingLevel

AGGREGATE_FIELDS = ("week", "county", "county_code", "category", "reports", "incidents")
INCIDENT_FIELDS = ("id", "category", "county", "county_code", "sub_county", "sub_county_code",
                   "status", "report_count", "reporter_count", "first_report_at",
                   "last_report_at")
REPORT_FIELDS = ("reference", "category", "county", "county_code", "sub_county",
                 "sub_county_code", "place_name", "latitude", "longitude", "when", "severity",
                 "status", "description", "created_at", "acknowledged_at")

#: kind of row → (the lowest level that receives it, its fields).
TABLE: dict[str, tuple[SharingLevel, tuple[str, ...]]] = {
    "aggregate": (SharingLevel.AGGREGATE, AGGREGATE_FIELDS),
    "incident": (SharingLevel.INCIDENT, INCIDENT_FIELDS),
    "report": (SharingLevel.REPORT, REPORT_FIELDS),
}


def codes(county: str | None, sub_county: str | None) -> tuple[str | None, str | None]:
    """The KNBS/IEBC county code and the sub-county code, where known."""
    if not county:
        return None, None
    return county_code(county), sub_county_code(county, sub_county) if sub_county else None


def may_receive(level: str, kind: str) -> bool:
    """Whether a partner at ``level`` receives rows of ``kind``."""
    return SharingLevel(level).includes(TABLE[kind][0])


def _iso(value: datetime | None) -> str | None:
    return localtime.to_eat(value).isoformat() if value else None


def week(value: datetime) -> str:
    """The ISO week of an East Africa Time day: ``2026-W49``."""
    year, number, _ = localtime.eat_day(value).isocalendar()
    return f"{year}-W{number:02d}"


def _only(kind: str, row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row.get(name) for name in TABLE[kind][1]}


def aggregate_rows(reports: Iterable[Report], incidents: Iterable[Incident] = ()) -> list[dict[str, Any]]:
    """Counts per (week, county, category), weeks in EAT; nothing else."""
    counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for report in reports:
        key = (week(report.created_at), report.county, report.category)
        counts.setdefault(key, {"reports": 0, "incidents": 0})["reports"] += 1
    for incident in incidents:
        key = (week(incident.first_report_at), incident.county, incident.category)
        counts.setdefault(key, {"reports": 0, "incidents": 0})["incidents"] += 1
    rows = []
    for (when, county, category), numbers in sorted(counts.items()):
        rows.append(_only("aggregate", {
            "week": when, "county": county, "county_code": codes(county, None)[0],
            "category": category, **numbers}))
    return rows


def incident_row(incident: Incident) -> dict[str, Any]:
    county_code, sub_county_code = codes(incident.county, incident.sub_county)
    return _only("incident", {
        "id": incident.id, "category": incident.category, "county": incident.county,
        "county_code": county_code, "sub_county": incident.sub_county,
        "sub_county_code": sub_county_code, "status": incident.status,
        "report_count": incident.report_count, "reporter_count": incident.reporter_count,
        "first_report_at": _iso(incident.first_report_at),
        "last_report_at": _iso(incident.last_report_at),
    })


def report_row(report: Report) -> dict[str, Any]:
    county_code, sub_county_code = codes(report.county, report.sub_county)
    return _only("report", {
        "reference": report.reference, "category": report.category, "county": report.county,
        "county_code": county_code, "sub_county": report.sub_county,
        "sub_county_code": sub_county_code, "place_name": report.place_name,
        "latitude": report.latitude, "longitude": report.longitude, "when": report.when,
        "severity": report.severity, "status": report.status, "description": mask_text(report.description) if report.description else None,
        "created_at": _iso(report.created_at), "acknowledged_at": _iso(report.acknowledged_at),
    })


def webhook_payload(payload: Mapping[str, Any], level: str) -> dict[str, Any] | None:
    """An agency webhook payload (``gateway.routing.alerts``) as a partner
    endpoint at ``level`` may receive it, or ``None`` when it receives none:
    ``report.created`` for ``report``, ``incident.alert`` (without its report
    references) from ``incident``; an ``aggregate`` partner gets no webhooks."""
    event = payload.get("event")
    if event == "report.created" and may_receive(level, "report"):
        county_code, sub_county_code = codes(payload.get("county"), payload.get("sub_county"))
        row = dict(payload) | {"county_code": county_code, "sub_county_code": sub_county_code}
        if row.get("description"):
            row["description"] = mask_text(row["description"])
        return {"event": event} | _only("report", row)
    if event == "incident.alert" and may_receive(level, "incident"):
        county_code, sub_county_code = codes(payload.get("county"), payload.get("sub_county"))
        row = {"id": payload.get("incident_id"), "category": payload.get("category"),
               "county": payload.get("county"), "county_code": county_code,
               "sub_county": payload.get("sub_county"), "sub_county_code": sub_county_code,
               "status": payload.get("status", "open"), "report_count": payload.get("count"),
               "reporter_count": payload.get("reporters"),
               "first_report_at": payload.get("first_report_at"),
               "last_report_at": payload.get("last_report_at")}
        return {"event": event} | _only("incident", row)
    return None


def shared_ids(kind: str, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """What identifies the shared rows in the audit: references or incident ids."""
    if kind == "report":
        return [row["reference"] for row in rows]
    if kind == "incident":
        return [row["id"] for row in rows]
    return []


def record(db: Session, partner: Partner, *, channel: str, kind: str,
           rows: Sequence[Mapping[str, Any]], now: datetime, **detail: Any) -> Share:
    """Audit one share (caller commits)."""
    share = Share(partner_id=partner.id, channel=channel, kind=kind, level=partner.level,
                  ids=shared_ids(kind, rows), count=len(rows), detail=detail, created_at=now)
    db.add(share)
    return share
