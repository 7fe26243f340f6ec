"""Fixtures for routing tests: reports stored directly, as the intake stores them."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from gateway.core import references
from gateway.intake import reports
from gateway.store.models import Message, Report, Team
from gateway.vocab import Priority
from tests.helpers import land_ledger

_counter = itertools.count(1)
REPORTER = "+254711999888"


def reference_for(n: int) -> str:
    """A distinct valid reference per test report (base 32 in the reference alphabet)."""
    digits = ""
    for _ in range(references.REFERENCE_LENGTH):
        n, rest = divmod(n, 32)
        digits = references.REFERENCE_ALPHABET[rest] + digits
    return f"R-{digits}"


@pytest.fixture
def make_report(svc):
    def make(**overrides) -> int:
        n = next(_counter)
        fields = {
            "category": "armed_attack", "county": "turkana", "sub_county": "loima",
            "when": "now", "description": "Armed men took cattle near the borehole",
            "contact": "no",
        }
        fields.update({k: v for k, v in overrides.items() if k in fields})
        answers = {"language": "eng", **{k: v for k, v in fields.items()}}
        turn_report = {
            "fields": fields, "severity": overrides.get("severity", "high"),
            "language": overrides.get("language", "eng"),
            "reference": overrides.get("reference", reference_for(n)),
            "script_id": "report", "script_version": "1", "answers": answers,
        }
        record = reports.record_from_turn(
            turn_report, phone=overrides.get("phone", REPORTER),
            protector=svc.protector, channel=overrides.get("channel", "ussd"),
            created_at=overrides.get("created_at") or svc.clock.now(),
        )
        if "created_at" in overrides:
            record["created_at"] = overrides["created_at"].isoformat()
        if overrides.get("held"):  # as the intake stores a report over the sender's limit
            record["priority"] = Priority.LOW
        with svc.db() as db:
            row = reports.insert(db, record)
            return row.id

    return make


@pytest.fixture
def report_of(svc):
    def get(report_id: int) -> Report:
        with svc.db() as db:
            report = db.get(Report, report_id)
            report.events  # noqa: B018
            return report

    return get


@pytest.fixture
def outbound(svc):
    def rows(**where) -> list[Message]:
        land_ledger(svc)
        with svc.db() as db:
            query = select(Message).where(Message.direction == "out").order_by(Message.id)
            for name, value in where.items():
                query = query.where(getattr(Message, name) == value)
            return db.scalars(query).all()

    return rows


@pytest.fixture
def team_id(svc):
    def get(name: str) -> int:
        with svc.db() as db:
            return db.scalar(select(Team.id).where(Team.name == name))

    return get
