"""Reports as every read path shows them (CLI, API): the reporter's number
masked, never in clear; seeing it is the audited reveal."""

from __future__ import annotations

from datetime import datetime

from gateway.core.protector import Protector
from gateway.defaults.kenya import county_code, sub_county_code
from gateway.store.models import Report
from handlers.phones import mask_phone


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def masked_report(report: Report, protector: Protector) -> dict[str, object]:
    """A report as the CLI and the API show it: the reporter's number masked."""
    phone = protector.decrypt(report.reporter_phone) if report.reporter_phone else None
    return {
        "reference": report.reference,
        "channel": report.channel,
        "language": report.language,
        "category": report.category,
        "county": report.county,
        "sub_county": report.sub_county,
        "county_code": county_code(report.county),
        "sub_county_code": sub_county_code(report.county, report.sub_county),
        "place_name": report.place_name,
        "latitude": report.latitude,
        "longitude": report.longitude,
        "when": report.when,
        "description": report.description,
        "contact_allowed": report.contact_allowed,
        "reporter": mask_phone(phone) if phone else None,
        "severity": report.severity,
        "status": report.status,
        "priority": report.priority,
        "created_at": iso(report.created_at),
        "routed_at": iso(report.routed_at),
        "acknowledged_at": iso(report.acknowledged_at),
    }
