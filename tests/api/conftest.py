"""API fixtures: users with tokens, and reports in two counties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.accounts import tokens
from gateway.routing import dispatch as routing
from gateway.store.models import Report, ReportEvent, User


def add_user(svc, username, role="county_officer", counties=("turkana",)) -> None:
    with svc.db() as db:
        db.add(User(username=username, password_hash="!", role=role, counties=list(counties)))
        db.commit()


def token_for(svc, username) -> str:
    with svc.db() as db:
        user = db.scalar(select(User).where(User.username == username))
        _row, token = tokens.create(db, user, "test")
        db.commit()
    return token


def make_report(svc, *, county="turkana", category="terrorism", severity="high",
                reference, contact=False, phone="+254712345678", minutes_ago=0,
                route=False, held=False, place_name=None, latitude=None,
                longitude=None) -> str:
    protector = svc.protector
    with svc.db() as db:
        report = Report(
            reference=reference, channel="ussd", language="swa", category=category,
            county=county, sub_county=f"{county}_north", when="now",
            description="Armed men near the borehole", contact_allowed=contact,
            reporter_phone=protector.encrypt(phone) if contact else None,
            severity=severity, status="received", script_id="report", script_version="1",
            answers={}, created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
            place_name=place_name, latitude=latitude, longitude=longitude,
        )
        report.events.append(ReportEvent(kind="received", detail={"channel": "ussd"}))
        if held:  # over the sender's report limit, as the intake stores it
            report.status, report.priority = "held", "low"
            report.events.append(ReportEvent(kind="held", detail={"reason": "limit"}))
        db.add(report)
        db.commit()
        report_id = report.id
    if route:
        routing.route(svc, report_id)
    return reference


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin_token(svc):
    return token_for(svc, "admin")


@pytest.fixture
def officer_token(svc):
    """A Turkana county officer's token."""
    add_user(svc, "turkana-officer", counties=("turkana",))
    return token_for(svc, "turkana-officer")


@pytest.fixture
def reports(svc):
    """Two Turkana reports (one routed, with a consenting reporter) and one from Mandera."""
    return {
        "turkana": make_report(svc, reference="R-TURK01", contact=True, route=True,
                               minutes_ago=30),
        "turkana2": make_report(svc, reference="R-TURK02", category="trafficking",
                                severity="medium", minutes_ago=20),
        "mandera": make_report(svc, reference="R-MAND01", county="mandera", route=True,
                               minutes_ago=10),
    }
