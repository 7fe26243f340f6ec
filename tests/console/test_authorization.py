"""Authorization as a table over every console route: anonymous, a county
officer of the report's county, an officer of another county, and an admin.
A route added without a row here fails ``test_every_route_is_in_the_table``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.accounts import partners, tokens
from gateway.store.models import AgencyEndpoint, Incident, RoutingRule, Team, TeamMember, User
from gateway.store.models import IncidentReport as _IncidentReport
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
    ("GET", "/console/queue", None, LOGIN, OK, OK, OK),
    ("GET", "/console/queue/rows", None, LOGIN, OK, OK, OK),
    ("GET", "/console/reports", None, LOGIN, OK, OK, OK),
    ("GET", "/console/reports.csv", None, LOGIN, OK, OK, OK),
    ("GET", "/console/reports.xlsx?hxl=1", None, LOGIN, OK, OK, OK),
    ("GET", "/console/reports/held", None, LOGIN, OK, OK, OK),
    # The weekly summary: an officer sees their own counties', not another county's.
    ("GET", "/console/digest?county=turkana", None, LOGIN, OK, FORBIDDEN, OK),
    ("GET", f"/console/reports/{REF}", None, LOGIN, OK, MISSING, OK),
    ("GET", f"/console/reports/{REF}/media/{{media}}", None, LOGIN, OK, MISSING, OK),
    ("POST", f"/console/reports/{REF}/acknowledge", {}, LOGIN, REDIRECT, MISSING, REDIRECT),
    ("POST", f"/console/reports/{REF}/status", {"status": "investigating"}, LOGIN, REDIRECT,
     MISSING, REDIRECT),
    ("POST", f"/console/reports/{REF}/note", {"note": "Patrol sent"}, LOGIN, REDIRECT,
     MISSING, REDIRECT),
    ("POST", f"/console/reports/{REF}/assign", {"user": "turkana-officer"}, LOGIN, REDIRECT,
     MISSING, REDIRECT),
    ("POST", f"/console/reports/{REF}/reveal", {"reason": "call back"}, LOGIN, FORBIDDEN,
     MISSING, OK),
    # Reviewing held reports is for admins (REF is routed: the admin is told so).
    ("POST", f"/console/reports/{REF}/release", {}, LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT),
    ("POST", f"/console/reports/{REF}/dismiss", {}, LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT),
    ("GET", "/console/map", None, LOGIN, OK, OK, OK),
    ("GET", "/console/incidents", None, LOGIN, OK, OK, OK),
    ("GET", "/console/incidents/{incident}", None, LOGIN, OK, MISSING, OK),
    # Refused actions (nothing to unlink, no reason, no incident chosen) redirect with a message.
    ("POST", "/console/incidents/{incident}/link", {"reference": REF}, LOGIN, REDIRECT, MISSING,
     REDIRECT),
    ("POST", "/console/incidents/{incident}/unlink", {"reference": REF}, LOGIN, REDIRECT,
     MISSING, REDIRECT),
    ("POST", "/console/incidents/{incident}/merge", {"other": ""}, LOGIN, REDIRECT, MISSING,
     REDIRECT),
    ("POST", "/console/incidents/{incident}/close", {"reason": ""}, LOGIN, REDIRECT, MISSING,
     REDIRECT),
    ("POST", "/console/incidents/{incident}/status", {"status": "monitoring"}, LOGIN, REDIRECT,
     MISSING, REDIRECT),
    ("POST", "/console/incidents/{incident}/note", {"note": "Seen"}, LOGIN, REDIRECT, MISSING,
     REDIRECT),
    ("GET", "/console/scripts", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("GET", "/console/scripts/report", None, LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT),
    ("GET", "/console/scripts/report/versions/1", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/scripts/report/versions/1/check", {"body": "id: x"}, LOGIN, FORBIDDEN,
     FORBIDDEN, OK),
    ("POST", "/console/scripts/report/drafts", {"body": "id: x"}, LOGIN, FORBIDDEN, FORBIDDEN,
     REDIRECT),
    ("POST", "/console/scripts/report/versions/1/simulate", {"channel": "ussd"}, LOGIN,
     FORBIDDEN, FORBIDDEN, OK),
    # Without confirm=1: to the confirmation page (v1 is live: back to the editor).
    ("POST", "/console/scripts/report/versions/1/publish", {}, LOGIN, FORBIDDEN, FORBIDDEN,
     REDIRECT),
    ("GET", "/console/scripts/report/versions/1/publish", None, LOGIN, FORBIDDEN, FORBIDDEN,
     REDIRECT),
    ("GET", "/console/scripts/report/versions/1/texts", None, LOGIN, FORBIDDEN, FORBIDDEN,
     REDIRECT),
    ("GET", "/console/scripts/report/versions/1/texts/swa", None, LOGIN, FORBIDDEN, FORBIDDEN,
     OK),
    # Nothing typed: nothing changed, back to the table.
    ("POST", "/console/scripts/report/versions/1/texts/swa", {}, LOGIN, FORBIDDEN, FORBIDDEN,
     REDIRECT),
    ("POST", "/console/scripts/report/versions/1/texts/swa/check", {}, LOGIN, FORBIDDEN,
     FORBIDDEN, OK),
    ("GET", "/console/scripts/report/versions/1/translations/tuv.po", None, LOGIN, FORBIDDEN,
     FORBIDDEN, OK),
    # No file chosen: the admin is told so (400).
    ("POST", "/console/scripts/report/translations", {}, LOGIN, FORBIDDEN, FORBIDDEN, BAD),
    ("GET", "/console/scripts/report/diff", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("GET", "/console/scripts/report/versions/1/prompts", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    # No recording chosen: the admin is told so (400).
    ("POST", "/console/scripts/report/versions/1/prompts/tuv/messages.help", {}, LOGIN,
     FORBIDDEN, FORBIDDEN, BAD),
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
    ("GET", "/console/admin/partners", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/admin/partners", {"name": ""}, LOGIN, FORBIDDEN, FORBIDDEN, BAD),
    ("GET", "/console/admin/partners/{partner}", None, LOGIN, FORBIDDEN, FORBIDDEN, OK),
    ("POST", "/console/admin/partners/{partner}", {"level": "all"}, LOGIN, FORBIDDEN, FORBIDDEN,
     BAD),
    # The new token is shown once, in the answer (200), never through a redirect.
    ("POST", "/console/admin/partners/{partner}/tokens", {"name": "x"}, LOGIN, FORBIDDEN,
     FORBIDDEN, OK),
    ("POST", "/console/admin/partners/{partner}/tokens/{partner_token}/revoke", {}, LOGIN,
     FORBIDDEN, FORBIDDEN, REDIRECT),
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
        partner = partners.create(db, "Partner", "incident")
        partner_token, _secret = tokens.create_for_partner(db, partner)
        db.commit()
        return {
            "partner": partner.id, "partner_token": partner_token.id,
            "team": team.id,
            "member": db.scalar(select(TeamMember.id).where(TeamMember.team_id == team.id)),
            "endpoint": db.scalar(select(AgencyEndpoint.id)),
            "rule": db.scalar(select(RoutingRule.id)),
            "user": db.scalar(select(User.id).where(User.username == "turkana-officer")),
            "media": add_attachment(svc, REF),
            "incident": db.scalar(select(_IncidentReport.incident_id)),  # routing grouped REF
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
    path = re.sub(r"\{\w+\}", "<>", path).replace(REF, "<>").split("?")[0]
    return path.replace("/scripts/report", "/scripts/<>").replace("/versions/1", "/versions/<>") \
        .replace("/tuv.po", "/<>.po").replace("/texts/swa", "/texts/<>") \
        .replace("/prompts/tuv/messages.help", "/prompts/<>/<>") \
        .replace("/counties/wajir/", "/counties/<>/")


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


# -- the REST API: the same table for every /api/v1 endpoint, by token --------------------

UNAUTHORIZED, CREATED = 401, 201
# method, path, JSON body, no token, officer of the county, officer of another county, admin
API_ROUTES = [
    ("GET", "/api/v1/openapi.json", None, OK, OK, OK, OK),
    ("GET", "/api/v1/me", None, UNAUTHORIZED, OK, OK, OK),
    ("GET", "/api/v1/reports", None, UNAUTHORIZED, OK, OK, OK),
    ("GET", "/api/v1/reports?sub_county=turkana_north&q=Turkana", None, UNAUTHORIZED, OK, OK, OK),
    ("GET", f"/api/v1/reports/{REF}", None, UNAUTHORIZED, OK, MISSING, OK),
    ("GET", f"/api/v1/reports/{REF}/attachments/{{media}}", None, UNAUTHORIZED, OK, MISSING, OK),
    ("POST", f"/api/v1/reports/{REF}/acknowledge", None, UNAUTHORIZED, OK, MISSING, OK),
    ("POST", f"/api/v1/reports/{REF}/status", {"status": "investigating"}, UNAUTHORIZED, OK,
     MISSING, OK),
    ("POST", f"/api/v1/reports/{REF}/assign", {"user": "turkana-officer"}, UNAUTHORIZED, OK,
     MISSING, OK),
    ("GET", f"/api/v1/reports/{REF}/notes", None, UNAUTHORIZED, OK, MISSING, OK),
    ("POST", f"/api/v1/reports/{REF}/notes", {"text": "Patrol sent"}, UNAUTHORIZED, CREATED,
     MISSING, CREATED),
    # REF is routed, not held: the admin is told so (409).
    ("POST", f"/api/v1/reports/{REF}/release", None, UNAUTHORIZED, FORBIDDEN, FORBIDDEN, 409),
    ("POST", f"/api/v1/reports/{REF}/dismiss", None, UNAUTHORIZED, FORBIDDEN, FORBIDDEN, 409),
    ("GET", "/api/v1/incidents", None, UNAUTHORIZED, OK, OK, OK),
    ("GET", "/api/v1/incidents/{incident}", None, UNAUTHORIZED, OK, MISSING, OK),
    ("GET", "/api/v1/teams", None, UNAUTHORIZED, OK, OK, OK),
    ("GET", "/api/v1/teams/{team}", None, UNAUTHORIZED, OK, MISSING, OK),
    ("GET", "/api/v1/messages", None, UNAUTHORIZED, OK, OK, OK),
    # Partners' endpoints: a user's token is refused whatever its role.
    ("GET", "/api/v1/shared/partner", None, UNAUTHORIZED, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ("GET", "/api/v1/shared/aggregates", None, UNAUTHORIZED, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ("GET", "/api/v1/shared/incidents", None, UNAUTHORIZED, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ("GET", "/api/v1/shared/reports", None, UNAUTHORIZED, FORBIDDEN, FORBIDDEN, FORBIDDEN),
]


@pytest.fixture
def api_ids(svc, ids):
    with svc.db() as db:
        at = datetime.now(UTC)
        incident = Incident(category="terrorism", county="turkana", sub_county="turkana_north",
                            first_report_at=at, last_report_at=at)
        db.add(incident)
        bearer = {}
        for username in ROLES[1:]:
            user = db.scalar(select(User).where(User.username == username))
            bearer[username] = tokens.create(db, user, "authorization table")[1]
        db.commit()
        return ids | {"incident": incident.id, "tokens": bearer}


@pytest.mark.parametrize("role", ROLES)
def test_every_api_endpoint_checks_token_and_county(app, svc, api_ids, role):
    """For this role, every API endpoint answers the status in the table (no token: 401)."""
    column = ROLES.index(role)
    client = app.test_client()
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {api_ids['tokens'][role]}"}
    wrong = []
    for method, path, body, *expected in API_ROUTES:
        url = path.format(**api_ids)
        response = (client.get(url, headers=headers) if method == "GET"
                    else client.post(url, headers=headers, json=body))
        if response.status_code != expected[column]:
            wrong.append(f"{method} {path}: expected {expected[column]}, got {response.status_code}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def test_every_api_endpoint_is_in_the_table(app):
    """Every /api/v1 URL rule has a row in the API authorization table."""
    from tests.api.test_incidents_api import API_ROUTES as INCIDENT_ROUTES  # officers' actions

    covered = {(method, _shape(path.split("?")[0])) for method, path, *_ in
               [*API_ROUTES, *INCIDENT_ROUTES]}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, re.sub(r"<[^>]+>", "<>", rule.rule)) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"API endpoints missing from the authorization table: {missing}"
