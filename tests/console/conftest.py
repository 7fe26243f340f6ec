"""Console fixtures: users of each role, logged-in clients, reports in two
counties, and a helper that reads the CSRF token a page was given."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from gateway.accounts import auth
from gateway.routing import dispatch as routing
from gateway.store import seed
from gateway.store.models import Report, ReportEvent, User

PASSWORD = "officer-test-password"
ADMIN_PASSWORD = "admin-test-password"
_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def cheap_hash(password, method="scrypt", salt_length=16):
    """scrypt with a small work factor: the real one takes a third of a second."""
    return generate_password_hash(password, "scrypt:1024:8:1", salt_length)


@pytest.fixture(autouse=True)
def _fast_hashing(request):
    """Keep the suite fast; tests marked ``real_hashing`` use the real cost."""
    if request.node.get_closest_marker("real_hashing"):
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(seed, "generate_password_hash", cheap_hash)
        mp.setattr(auth, "generate_password_hash", cheap_hash)
        yield


def csrf_token(client, path="/console/login") -> str:
    """The CSRF token of the client's session, read from a page's meta tag."""
    match = _TOKEN.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username, password):
    token = csrf_token(client)
    return client.post("/console/login", data={"username": username, "password": password,
                                                "csrf_token": token})


def post(client, path, data=None):
    """POST a console form with the session's CSRF token, as a browser would."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, "/console/account/password"))
    return client.post(path, data=data)


def add_user(svc, username, role="county_officer", counties=("turkana",)):
    with svc.db() as db:
        auth.create_user(db, username, PASSWORD, role, counties)
        db.commit()


def make_report(svc, *, county="turkana", category="terrorism", severity="high",
                description="Armed men near the borehole", reference=None, contact=False,
                phone="+254712345678", created_at=None, route=False, held=False,
                place_name=None, latitude=None, longitude=None, sub_county=None,
                channel="ussd", language="swa") -> str:

    protector = svc.protector
    with svc.db() as db:
        count = db.query(Report).count()
        report = Report(
            reference=reference or f"R-T{count:05d}"[:8], channel=channel, language=language,
            category=category, county=county, sub_county=sub_county or f"{county}_north",
            when="now",
            description=description, contact_allowed=contact,
            reporter_phone=protector.encrypt(phone) if contact else None,
            severity=severity, status="received", script_id="report", script_version="1",
            place_name=place_name, latitude=latitude, longitude=longitude,
            answers={"category": category, "county": county, "description": description},
            created_at=created_at or datetime.now(UTC),
        )
        report.events.append(ReportEvent(kind="received", detail={"channel": "ussd"}))
        if held:  # over the sender's report limit, as the intake stores it
            report.status, report.priority = "held", "low"
            report.events.append(ReportEvent(kind="held", detail={"reason": "limit"}))
        db.add(report)
        db.commit()
        report_id, reference = report.id, report.reference
    if route:
        routing.route(svc, report_id)
    return reference


def login_as(client, svc, username):
    """Log a test client in without a password check (Flask-Login's session keys
    and the login's server-side session)."""
    with svc.db() as db:
        user = auth.ConsoleUser.from_row(db.scalar(select(User).where(User.username == username)))
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["sid"] = auth.start_session(svc, user.id)
    return client


@pytest.fixture
def users(svc):
    add_user(svc, "turkana-officer", counties=("turkana",))
    add_user(svc, "mandera-officer", counties=("mandera",))


@pytest.fixture
def admin_client(app):
    return login_as(app.test_client(), app.extensions["mpaka"], "admin")


@pytest.fixture
def officer_client(app, users):
    """A county officer of Turkana."""
    return login_as(app.test_client(), app.extensions["mpaka"], "turkana-officer")


@pytest.fixture
def other_officer_client(app, users):
    """A county officer of Mandera."""
    return login_as(app.test_client(), app.extensions["mpaka"], "mandera-officer")


@pytest.fixture
def turkana_report(svc):
    return make_report(svc, county="turkana", route=True,
                       created_at=datetime.now(UTC) - timedelta(minutes=30))


@pytest.fixture
def mandera_report(svc):
    return make_report(svc, county="mandera", category="trafficking", route=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "real_hashing: use the real scrypt work factor")
