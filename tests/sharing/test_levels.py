"""The sharing table, field by field: what each level's rows contain, and
that nothing above a level (or about the reporter) leaves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.privacy import sharing
from gateway.store.models import Incident, Report
from gateway.vocab import SharingLevel

WHEN = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # 1 Dec 01:30 EAT: week 49 in EAT


def report() -> Report:
    return Report(
        reference="R-ABC123", channel="whatsapp", language="swa", category="terrorism",
        county="turkana", sub_county="turkana_west", place_name="Kakuma", latitude=3.7,
        longitude=34.8, when="now", description="Armed men near the borehole",
        contact_allowed=True, reporter_phone="gAAAA-encrypted", reporter_hash="h" * 40,
        severity="high", status="routed", priority="normal", script_id="report",
        script_version="3", answers={"describe": "Armed men"}, created_at=WHEN,
        started_at=WHEN, routed_at=WHEN, acknowledged_at=None)


def incident() -> Incident:
    return Incident(id=7, category="terrorism", county="turkana", sub_county="turkana_west",
                    status="open", report_count=3, reporter_count=2, alerted_count=1,
                    first_report_at=WHEN, last_report_at=WHEN, created_at=WHEN)


# kind, field, expected value (every field of the table, one row each)
REPORT_CASES = [
    ("reference", "R-ABC123"), ("category", "terrorism"), ("county", "turkana"),
    ("county_code", "023"), ("sub_county", "turkana_west"), ("sub_county_code", "124"),
    ("place_name", "Kakuma"), ("latitude", 3.7), ("longitude", 34.8), ("when", "now"),
    ("severity", "high"), ("status", "routed"), ("description", "Armed men near the borehole"),
    ("created_at", "2026-12-01T01:30:00+03:00"), ("acknowledged_at", None),
]
INCIDENT_CASES = [
    ("id", 7), ("category", "terrorism"), ("county", "turkana"), ("county_code", "023"),
    ("sub_county", "turkana_west"), ("sub_county_code", "124"), ("status", "open"),
    ("report_count", 3), ("reporter_count", 2),
    ("first_report_at", "2026-12-01T01:30:00+03:00"),
    ("last_report_at", "2026-12-01T01:30:00+03:00"),
]
AGGREGATE_CASES = [
    ("week", "2026-W49"), ("county", "turkana"), ("county_code", "023"),
    ("category", "terrorism"), ("reports", 1), ("incidents", 1),
]
#: Never in any shared row, at any level.
NEVER = ("channel", "language", "contact_allowed", "reporter", "reporter_phone", "reporter_hash",
         "answers", "priority", "script_id", "script_version", "started_at", "routed_at",
         "references", "alerted_count", "phone")


def test_the_table_lists_exactly_the_tested_fields():
    """A field added to the table without a row in this test fails here."""
    assert sharing.REPORT_FIELDS == tuple(f for f, _ in REPORT_CASES)
    assert sharing.INCIDENT_FIELDS == tuple(f for f, _ in INCIDENT_CASES)
    assert sharing.AGGREGATE_FIELDS == tuple(f for f, _ in AGGREGATE_CASES)


@pytest.mark.parametrize(("field", "expected"), REPORT_CASES)
def test_report_level_field(field, expected):
    """Each field of a shared report has the report's value (times in EAT)."""
    assert sharing.report_row(report())[field] == expected


@pytest.mark.parametrize(("field", "expected"), INCIDENT_CASES)
def test_incident_level_field(field, expected):
    """Each field of a shared incident has the incident's value."""
    assert sharing.incident_row(incident())[field] == expected


@pytest.mark.parametrize(("field", "expected"), AGGREGATE_CASES)
def test_aggregate_level_field(field, expected):
    """Counts per EAT week, county and category."""
    (row,) = sharing.aggregate_rows([report()], [incident()])
    assert row[field] == expected


@pytest.mark.parametrize("field", NEVER)
def test_no_level_carries_reporter_or_internal_fields(field):
    """Nothing about the reporter or the dialogue leaves, whatever the level."""
    rows = [sharing.report_row(report()), sharing.incident_row(incident()),
            *sharing.aggregate_rows([report()], [incident()])]
    assert all(field not in row for row in rows)


def test_incident_and_aggregate_rows_carry_no_description_or_text():
    """Below the report level no words of the reporter leave, in any value."""
    rows = [sharing.incident_row(incident()), *sharing.aggregate_rows([report()], [incident()])]
    text = repr(rows)
    assert "Armed" not in text and "Kakuma" not in text and "R-ABC123" not in text


@pytest.mark.parametrize(("level", "kinds"), [
    ("aggregate", {"aggregate"}),
    ("incident", {"aggregate", "incident"}),
    ("report", {"aggregate", "incident", "report"}),
])
def test_each_level_receives_its_kinds_and_those_below(level, kinds):
    assert {k for k in sharing.TABLE if sharing.may_receive(level, k)} == kinds


REPORT_PAYLOAD = {
    "event": "report.created", "reference": "R-ABC123", "category": "terrorism",
    "county": "turkana", "sub_county": "turkana_west", "place_name": "Kakuma",
    "latitude": 3.7, "longitude": 34.8, "when": "now", "severity": "high",
    "description": "Armed men", "language": "swa", "channel": "whatsapp",
    "contact_allowed": True, "created_at": "2026-11-30T22:30:00+00:00",
}
INCIDENT_PAYLOAD = {
    "event": "incident.alert", "incident_id": 7, "category": "terrorism", "county": "turkana",
    "sub_county": None, "count": 3, "reporters": 2, "status": "open",
    "first_report_at": "x", "last_report_at": "y", "references": ["R-ABC123"],
}


@pytest.mark.parametrize(("level", "payload", "keys"), [
    ("aggregate", REPORT_PAYLOAD, None),
    ("aggregate", INCIDENT_PAYLOAD, None),
    ("incident", REPORT_PAYLOAD, None),
    ("incident", INCIDENT_PAYLOAD, {"event", *sharing.INCIDENT_FIELDS}),
    ("report", REPORT_PAYLOAD, {"event", *sharing.REPORT_FIELDS}),
    ("report", INCIDENT_PAYLOAD, {"event", *sharing.INCIDENT_FIELDS}),
])
def test_webhook_payload_per_level(level, payload, keys):
    """A partner endpoint gets only its level's events, with only the table's fields."""
    body = sharing.webhook_payload(payload, level)
    assert (None if body is None else set(body)) == keys


def test_sharing_levels_are_ordered():
    assert SharingLevel.REPORT.includes(SharingLevel.AGGREGATE)
    assert not SharingLevel.AGGREGATE.includes(SharingLevel.INCIDENT)
