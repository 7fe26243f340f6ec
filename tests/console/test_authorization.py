"""Authorization as a table over every console route: anonymous, a county
officer of the report's county, an officer of another county, and an admin.
A route added without a row here fails ``test_every_route_is_in_the_table``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.store.models import AgencyEndpoint, RoutingRule, Team, TeamMember, User
from tests.helpers import add_attachment

from .conftest import csrf_token, login_as, make_report

LOGIN = "login"  # a redirect to the login page
OK, REDIRECT, BAD, FORBIDDEN, MISSING = 200, 302, 400, 403, 404
REF = "R-TURK01"

# method, path, form, anonymous, officer of the county, officer of another county, admin
ROUTES = [
    ("GET", "/", None, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    ("GET", "/console/", None, LOGIN, REDIRECT, REDIRECT, REDIRECT),
    ("GET", "/console/login", None, OK, REDIRECT, REDIRECT, REDIRECT),
    ("POST", "/console/login", {"username": "x", "password": "y"}, BAD, REDIRECT, REDIRECT,
     REDIRECT),
    ("POST", "/console/logout", {}, LOGIN, REDIRECT, REDIRECT, REDIRECT),
    ("GET", "/console/account/password", None, LOGIN, OK, OK, OK),
    ("POST", "/console/account/password", {"current": "wrong"}, LOGIN, BAD, BAD, BAD),
    ("GET", "/console/overview", None, LOGIN, OK, OK, OK),
    ("GET", "/console/reports", None, LOGIN, OK, OK, OK),
    ("GET", "/console/reports.csv", None, LOGIN, OK, OK, OK),
    ("GET", "/console/reports/held", None, LOGIN, OK, OK, OK),
    ("GET", f"/console/reports/{REF}", None, LOGIN, OK, MISSING, OK),
    ("GET", f"/console/reports/{REF}/media/{{media}}", None, LOGIN, OK, MISSING, OK),
    ("POST", f"/console/reports/{REF}/acknowledge", {}, LOGIN, REDIRECT, MISSING, REDIRECT),
    ("POST", f"/console/reports/{REF}/status", {"status": "investigating"}, LOGIN, REDIRECT,
     MISSING, REDIRECT),
    ("POST", f"/console/reports/{REF}/note", {"note": "Patrol sent"}, LOGIN, REDIRECT,
     MISSING, REDIRECT),
    ("POST", f"/console/reports/{REF}/reveal", {"reason": "call back"}, LOGIN, FORBIDDEN,
     MISSING, OK),
    # Reviewing held reports is for admins (REF is routed: the admin is told so).
    ("POST", f"/console/reports/{REF}/release", {}, LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT),
    ("POST", f"/console/reports/{REF}/dismiss", {}, LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT),
    ("GET", "/console/scripts", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("GET", "/console/scripts/report", None, LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT),
    ("GET", "/console/scripts/report/versions/1", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/scripts/report/versions/1/check", {"body": "id: x"}, LOGIN, FORBIDDEN,
     FORBIDDEN, OK),
    ("POST", "/console/scripts/report/drafts", {"body": "id: x"}, LOGIN, FORBIDDEN, FORBIDDEN,
     REDIRECT),
    ("POST", "/console/scripts/report/versions/1/simulate", {"channel": "ussd"}, LOGIN,
     FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/scripts/report/versions/1/publish", {}, LOGIN, FORBIDDEN, FORBIDDEN,
     REDIRECT),
    ("GET", "/console/scripts/report/versions/1/translations/tuv.po", None, LOGIN, FORBIDDEN,
     FORBIDDEN, OK),
    # No file chosen: the admin is told so (400).
    ("POST", "/console/scripts/report/translations", {}, LOGIN, FORBIDDEN, FORBIDDEN, BAD),
    ("GET", "/console/scripts/report/diff", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("GET", "/console/scripts/report/funnel", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("GET", "/console/admin/teams", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/admin/teams", {"name": ""}, LOGIN, FORBIDDEN, FORBIDDEN, BAD),
    ("GET", "/console/admin/teams/{team}", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/admin/teams/{team}", {"name": ""}, LOGIN, FORBIDDEN, FORBIDDEN, BAD),
    ("POST", "/console/admin/teams/{team}/members", {"name": ""}, LOGIN, FORBIDDEN, FORBIDDEN,
     BAD),
    ("POST", "/console/admin/members/{member}", {"name": ""}, LOGIN, FORBIDDEN, FORBIDDEN, BAD),
    ("POST", "/console/admin/teams/{team}/endpoints", {"name": ""}, LOGIN, FORBIDDEN, FORBIDDEN,
     BAD),
    ("POST", "/console/admin/endpoints/{endpoint}", {"name": ""}, LOGIN, FORBIDDEN, FORBIDDEN,
     BAD),
    ("GET", "/console/admin/rules", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/admin/rules", {"team_id": "0"}, LOGIN, FORBIDDEN, FORBIDDEN, BAD),
    ("POST", "/console/admin/rules/{rule}", {"team_id": "0"}, LOGIN, FORBIDDEN, FORBIDDEN, BAD),
    ("GET", "/console/admin/counties", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    # Wajir is enabled already: the admin is told so (409), nothing saved.
    ("POST", "/console/admin/counties/wajir/enable", {}, LOGIN, FORBIDDEN, FORBIDDEN, 409),
    ("GET", "/console/admin/escalation", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/admin/escalation", {"high": "0"}, LOGIN, FORBIDDEN, FORBIDDEN, BAD),
    ("GET", "/console/admin/users", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/admin/users", {"username": ""}, LOGIN, FORBIDDEN, FORBIDDEN, BAD),
    ("POST", "/console/admin/users/{user}", {"role": "nobody"}, LOGIN, FORBIDDEN, FORBIDDEN,
     BAD),
    ("GET", "/console/admin/messages", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("GET", "/console/admin/audit", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
]
ROLES = ("anonymous", "turkana-officer", "mandera-officer", "admin")


@pytest.fixture
def ids(svc, users):
    make_report(svc, reference=REF, county="turkana", contact=True, route=True)
    with svc.db() as db:
        team = db.scalar(select(Team).where(Team.name == "Turkana county team"))
        team.endpoints.append(AgencyEndpoint(name="Agency", url="https://agency.example/hook",
                                             secret="s" * 24))
        db.commit()
        return {
            "team": team.id,
            "member": db.scalar(select(TeamMember.id).where(TeamMember.team_id == team.id)),
            "endpoint": db.scalar(select(AgencyEndpoint.id)),
            "rule": db.scalar(select(RoutingRule.id)),
            "user": db.scalar(select(User.id).where(User.username == "turkana-officer")),
            "media": add_attachment(svc, REF),
        }


def request_as(app, svc, role, method, path, form):
    client = app.test_client()
    if role == "anonymous":
        token = csrf_token(client)
    else:
        login_as(client, svc, role)
        token = csrf_token(client, "/console/account/password")
    if method == "GET":
        return client.get(path)
    return client.post(path, data=dict(form or {}, csrf_token=token))


@pytest.mark.parametrize("role", ROLES)
def test_every_route_checks_role_and_county(app, svc, ids, role):
    """For this role, every console route answers the status in the table (anonymous
    users are sent to the login page); one fresh session per request."""
    column = ROLES.index(role)
    wrong = []
    for method, path, form, *expected in ROUTES:
        want = expected[column]
        response = request_as(app, svc, role, method, path.format(**ids), form)
        if want == LOGIN:
            ok = response.status_code == 302 and "/console/login" in response.location
        else:
            ok = response.status_code == want
        if not ok:
            wrong.append(f"{method} {path}: expected {want}, got {response.status_code}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def _shape(path: str) -> str:
    """A path with every variable part replaced by <>, as in a URL rule."""
    path = re.sub(r"\{\w+\}", "<>", path).replace(REF, "<>")
    return path.replace("/scripts/report", "/scripts/<>").replace("/versions/1", "/versions/<>") \
        .replace("/tuv.po", "/<>.po").replace("/counties/wajir/", "/counties/<>/")


def test_every_route_is_in_the_table(app):
    """Every console URL rule has a row in the authorization table."""
    covered = {(method, _shape(path)) for method, path, *_ in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        if not (rule.rule == "/" or rule.rule.startswith("/console")):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, re.sub(r"<[^>]+>", "<>", rule.rule)) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"routes missing from the authorization table: {missing}"
