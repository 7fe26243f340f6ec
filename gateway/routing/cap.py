"""Incidents (and, with ``CAP_SINGLE_HIGH_SEVERITY``, single high-severity
reports) as OASIS Common Alerting Protocol 1.2 messages, for early-warning
systems (the Atom feed in ``gateway.web.feeds``, agency webhooks that chose
CAP).

Messages are computed from what is stored, never kept: the same incident
gives the same messages on every read.  An incident's history follows its
alerts (``gateway.routing.incidents``): the first incident alert is the
``Alert``, each later one (the reporters doubled) an ``Update``, and when the
incident closes (its window passes with no new report) a ``Cancel``; each
message after the first ``references`` all earlier ones.  Identifiers are
``<sender>.incident.<id>.<n>`` (``n`` counts the messages from 1): stable, so
a subscriber that reads the feed twice sees the same message twice.

No reporter data goes into a message: no number, no words of a report, no
reference; counts, the category, the area and times only.  The mapping of
urgency, severity and certainty is the table in docs/api.md ("CAP feed").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.core import localtime
from gateway.defaults import kenya
from gateway.dialogue import Script
from gateway.dialogue.places import distance_km
from gateway.store.models import Alert, Incident, IncidentReport, Report
from gateway.store.script_versions import Vocabulary
from gateway.vocab import AlertKind, IncidentStatus, ReportStatus, Severity

NS = "urn:oasis:names:tc:emergency:cap:1.2"
CONTENT_TYPE = "application/cap+xml"

#: Report severity -> CAP severity.
SEVERITY = {Severity.HIGH: "Severe", Severity.MEDIUM: "Moderate", Severity.LOW: "Minor"}
#: CAP urgency while a message is in force: act now for a severe one.
URGENCY = {"Severe": "Immediate", "Moderate": "Expected", "Minor": "Future"}
#: Geocode names (``valueName``) for the KNBS/IEBC codes.
COUNTY_CODE = "KE-COUNTY-KNBS"
SUB_COUNTY_CODE = "KE-CONSTITUENCY-IEBC"
#: Added to the spread of the gazetteer places that draw an area's circle (km).
CIRCLE_MARGIN_KM = 10.0


def cap_status(config: dict[str, Any]) -> str:
    """``Actual`` in production; ``Test`` under tests, ``Exercise`` in development."""
    env = str(config.get("MPAKA_ENV") or "development")
    return {"production": "Actual", "test": "Test"}.get(env, "Exercise")


def cap_time(value: datetime) -> str:
    """``2026-11-30T20:25:00+03:00``: East Africa Time, whole seconds (CAP's form)."""
    return localtime.to_eat(value).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Area:
    description: str
    county_code: str | None
    sub_county_code: str | None
    circle: str | None = None


@dataclass(frozen=True)
class CapMessage:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str  # Alert | Update | Cancel
    restriction: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    area: Area
    references: tuple[CapMessage, ...] = field(default=(), repr=False)
    county: str = ""  # our county id, for scoping (not in the XML)

    def to_xml(self) -> bytes:
        ET.register_namespace("", NS)

        def add(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
            node = ET.SubElement(parent, f"{{{NS}}}{name}")
            if text is not None:
                node.text = text
            return node

        alert = ET.Element(f"{{{NS}}}alert")
        add(alert, "identifier", self.identifier)
        add(alert, "sender", self.sender)
        add(alert, "sent", cap_time(self.sent))
        add(alert, "status", self.status)
        add(alert, "msgType", self.msg_type)
        add(alert, "scope", "Restricted")
        add(alert, "restriction", self.restriction)
        if self.references:
            add(alert, "references", " ".join(
                f"{m.sender},{m.identifier},{cap_time(m.sent)}" for m in self.references))
        info = add(alert, "info")
        add(info, "language", "en")
        add(info, "category", "Security")
        add(info, "event", self.event)
        add(info, "urgency", self.urgency)
        add(info, "severity", self.severity)
        add(info, "certainty", self.certainty)
        add(info, "headline", self.headline)
        add(info, "description", self.description)
        area = add(info, "area")
        add(area, "areaDesc", self.area.description)
        if self.area.circle:
            add(area, "circle", self.area.circle)
        for name, value in ((COUNTY_CODE, self.area.county_code),
                            (SUB_COUNTY_CODE, self.area.sub_county_code)):
            if value:
                geocode = add(area, "geocode")
                add(geocode, "valueName", name)
                add(geocode, "value", value)
        return ET.tostring(alert, encoding="utf-8", xml_declaration=True)


@dataclass(frozen=True)
class Context:
    """What every message needs besides its incident or report."""

    config: dict[str, Any]
    vocabulary: Vocabulary
    script: Script | None = None  # the places with coordinates, for circles

    @property
    def sender(self) -> str:
        return str(self.config.get("CAP_SENDER") or "mpaka@localhost")

    @property
    def restriction(self) -> str:
        return str(self.config.get("CAP_RESTRICTION") or RESTRICTION)


RESTRICTION = ("For county security teams and early-warning partners under a sharing "
               "agreement; not for public release. Community reports, not verified.")


def _label(labels: dict[str, str], value: str | None, fallback: str | None) -> str:
    if value is None:
        return ""
    return labels.get(value) or fallback or value.replace("_", " ").title()


def area(ctx: Context, county: str, sub_county: str | None,
         named: Iterable[str] = ()) -> Area:
    """The county and sub-county with their codes, and a circle around the
    gazetteer places the reports named there (or all the sub-county's places)."""
    found = kenya.county(county)
    county_label = _label(ctx.vocabulary.counties, county, found.name if found else None)
    sub = kenya.sub_county(county, sub_county)
    sub_label = _label(ctx.vocabulary.sub_counties, sub_county, sub.name if sub else None)
    description = f"{sub_label}, {county_label}" if sub_county else county_label
    return Area(description, found.code if found else None, sub.code if sub else None,
                _circle(ctx, county, sub_county, set(named)))


def _circle(ctx: Context, county: str, sub_county: str | None, named: set[str]) -> str | None:
    if ctx.script is None or not sub_county:
        return None
    places = [p for p in ctx.script.places
              if p.county == county and p.sub_county == sub_county and p.at is not None]
    chosen = [p for p in places if p.name in named] or places
    points = [p.at for p in chosen if p.at is not None]
    if not points:
        return None
    centre = (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    radius = max(distance_km(centre, p) for p in points) + CIRCLE_MARGIN_KM
    return f"{centre[0]:.3f},{centre[1]:.3f} {radius:.1f}"


# -- incidents --------------------------------------------------------------------------------


def _reports(db: Session, incident: Incident) -> list[Report]:
    return list(db.scalars(
        select(Report).join(IncidentReport, IncidentReport.report_id == Report.id)
        .where(IncidentReport.incident_id == incident.id).order_by(Report.id)))


def _stages(db: Session, incident: Incident) -> list[tuple[int, datetime]]:
    """(reporter count, first alert time) of each incident alert level, in order."""
    rows = db.execute(
        select(Alert.level, Alert.created_at).where(
            Alert.incident_id == incident.id, Alert.kind == AlertKind.INCIDENT)
        .order_by(Alert.created_at, Alert.id)).all()
    stages: dict[int, datetime] = {}
    for level, at in rows:
        stages.setdefault(level, at)
    return sorted(stages.items(), key=lambda s: s[1])


def closes_at(incident: Incident, window: timedelta) -> datetime:
    """When an incident closes: when an officer closed it (or merged it away),
    else its window after the last report."""
    if incident.status == IncidentStatus.CLOSED and incident.closed_at is not None:
        return incident.closed_at
    return incident.last_report_at + window


def is_closed(incident: Incident, window: timedelta, now: datetime) -> bool:
    """Closed by an officer, or open or monitored with no report for a window."""
    return incident.status == IncidentStatus.CLOSED or now >= closes_at(incident, window)


def _worst(reports: Sequence[Report]) -> str:
    ranks = [Severity(r.severity) for r in reports if r.severity in tuple(Severity)]
    return SEVERITY[max(ranks, key=lambda s: s.rank)] if ranks else "Unknown"


def incident_messages(ctx: Context, db: Session, incident: Incident, *, window: timedelta,
                      now: datetime) -> list[CapMessage]:
    """The incident's messages so far, oldest first (none before its first alert)."""
    stages = _stages(db, incident)
    if not stages:
        return []
    reports = _reports(db, incident)
    named = [r.place_name for r in reports if r.place_name]
    where = area(ctx, incident.county, incident.sub_county, named)
    category = _label(ctx.vocabulary.categories, incident.category, None)
    messages: list[CapMessage] = []
    closed = is_closed(incident, window, now)
    plan = [(stage, "Alert" if i == 0 else "Update") for i, stage in enumerate(stages)]
    if closed:
        plan.append(((incident.reporter_count, closes_at(incident, window)), "Cancel"))
    for n, ((reporters, sent), msg_type) in enumerate(plan, start=1):
        so_far = [r for r in reports if r.created_at is None or r.created_at <= sent]
        severity = _worst(so_far)
        last = max((r.created_at for r in so_far if r.created_at), default=sent)
        if msg_type == "Cancel":
            headline = f"Closed: {category} in {where.description}"
            why = (f"Closed by the county security team: {incident.close_reason}."
                   if incident.status == IncidentStatus.CLOSED and incident.close_reason
                   and not incident.merged_into_id else
                   "Merged into another incident." if incident.merged_into_id else
                   f"No new report of {category.lower()} in {where.description} for "
                   f"{_hours(window)}; the incident is closed.")
            description = (
                f"{why} {len(reports)} reports from "
                f"{incident.reporter_count} reporters between "
                f"{localtime.display(incident.first_report_at)} and "
                f"{localtime.display(incident.last_report_at)} EAT.")
        else:
            headline = f"{category}: {reporters} reporters in {where.description}"
            description = (
                f"{len(so_far)} community reports of {category.lower()} from {reporters} "
                f"reporters in {where.description} between "
                f"{localtime.display(incident.first_report_at)} and {localtime.display(last)} "
                f"EAT (within {_hours(window)}). Reports are not verified; county security "
                "teams have been alerted.")
        messages.append(CapMessage(
            identifier=f"{ctx.sender}.incident.{incident.id}.{n}", sender=ctx.sender, sent=sent,
            status=cap_status(ctx.config), msg_type=msg_type, restriction=ctx.restriction,
            event=category,
            urgency="Past" if msg_type == "Cancel" else URGENCY.get(severity, "Unknown"),
            severity=severity, certainty="Likely", headline=headline[:160],
            description=description, area=where, references=tuple(messages),
            county=incident.county,
        ))
    return messages


def _hours(window: timedelta) -> str:
    hours = int(window.total_seconds() // 3600)
    return f"{hours} hour" if hours == 1 else f"{hours} hours"


# -- single reports -------------------------------------------------------------------------


#: A single report is published when it is high severity and not held, dismissed
#: or a false alarm.
UNPUBLISHED = (ReportStatus.HELD, ReportStatus.DISMISSED, ReportStatus.FALSE_ALARM)


def report_publishable(config: dict[str, Any], report: Report) -> bool:
    return (bool(config.get("CAP_SINGLE_HIGH_SEVERITY")) and report.severity == Severity.HIGH
            and report.status not in UNPUBLISHED)


def report_message(ctx: Context, report: Report) -> CapMessage:
    """One report as a CAP ``Alert`` (certainty ``Possible``: one unverified
    report): in the feed the high-severity ones (``report_publishable``), to an
    agency endpoint in CAP format each report alerted to its team.  Its words,
    number and reference are never included."""
    named = [report.place_name] if report.place_name else []
    where = area(ctx, report.county, report.sub_county, named)
    category = _label(ctx.vocabulary.categories, report.category, None)
    severity = SEVERITY.get(Severity(report.severity), "Unknown") \
        if report.severity in tuple(Severity) else "Unknown"
    return CapMessage(
        identifier=f"{ctx.sender}.report.{report.id}", sender=ctx.sender, sent=report.created_at,
        status=cap_status(ctx.config), msg_type="Alert", restriction=ctx.restriction,
        event=category, urgency=URGENCY.get(severity, "Unknown"), severity=severity,
        certainty="Possible",
        headline=f"{category}: one report in {where.description}"[:160],
        description=(f"One community report of {category.lower()} in {where.description}, "
                     f"received {localtime.display(report.created_at)} EAT, severity "
                     f"{report.severity} as the reporter's answers set it. Not verified; the "
                     "security team has been alerted."),
        area=where, county=report.county,
    )


def latest(messages: Sequence[CapMessage]) -> CapMessage | None:
    return messages[-1] if messages else None
