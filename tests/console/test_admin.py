"""Administration: teams, members, endpoints, rules, escalation, users, the
ledger and the audit log."""

from __future__ import annotations

from sqlalchemy import select

from gateway.store import ledger
from gateway.store.models import (
    AgencyEndpoint,
    AuditEntry,
    EscalationPolicy,
    RoutingRule,
    Team,
    TeamMember,
    User,
)

from .conftest import post

NEW_TEAM = {"name": "Lodwar rapid response", "tier": "county", "counties": "turkana",
            "language": "eng", "member_name": "Jane Ekai", "member_phone": "0712345678",
            "member_channel": "sms"}


def test_creating_a_team_normalises_the_members_number(admin_client, svc):
    """A team is created with its first member; a national number becomes E.164."""
    response = post(admin_client, "/console/admin/teams", NEW_TEAM)
    assert response.status_code == 302
    with svc.db() as db:
        team = db.scalar(select(Team).where(Team.name == NEW_TEAM["name"]))
        assert [m.phone for m in team.members] == ["+254712345678"]
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "team.created"))


def test_an_invalid_number_is_refused_plainly(admin_client, svc):
    """A number that is not a phone number is refused with a sentence saying how to write it."""
    response = post(admin_client, "/console/admin/teams", dict(NEW_TEAM, member_phone="12345"))
    assert response.status_code == 400
    assert "international form" in response.text
    assert 'aria-invalid="true"' in response.text
    with svc.db() as db:
        assert db.scalar(select(Team).where(Team.name == NEW_TEAM["name"])) is None


def test_a_team_name_must_be_unique(admin_client):
    """A second team with an existing name is refused."""
    response = post(admin_client, "/console/admin/teams", dict(NEW_TEAM, name="National desk"))
    assert response.status_code == 400 and "Another team has this name." in response.text


def test_the_last_active_member_cannot_be_deactivated(admin_client, svc):
    """An active team keeps at least one active member."""
    with svc.db() as db:
        team = db.scalar(select(Team).where(Team.name == "National desk"))
        member = team.members[0]
    response = post(admin_client, f"/console/admin/members/{member.id}",
                    {"name": member.name, "phone": member.phone, "channel": "sms"})
    assert response.status_code == 400
    assert "last active member" in response.text
    with svc.db() as db:
        assert db.get(TeamMember, member.id).active


def test_a_member_can_be_deactivated_when_others_remain(admin_client, svc):
    """With two members, one can be deactivated."""
    with svc.db() as db:
        member = db.scalar(select(Team).where(Team.name == "Turkana county team")).members[0]
    post(admin_client, f"/console/admin/members/{member.id}",
         {"name": member.name, "phone": member.phone, "channel": "sms"})
    with svc.db() as db:
        assert not db.get(TeamMember, member.id).active


def test_adding_an_endpoint_needs_a_full_url(admin_client, svc):
    """An endpoint address must be a URL; a good one is stored with a generated secret."""
    team_id = _team_id(svc, "Turkana county team")
    bad = post(admin_client, f"/console/admin/teams/{team_id}/endpoints",
               {"name": "County system", "url": "not a url"})
    assert bad.status_code == 400 and "https://" in bad.text
    post(admin_client, f"/console/admin/teams/{team_id}/endpoints",
         {"name": "County system", "url": "https://county.example/mpaka"})
    with svc.db() as db:
        endpoint = db.scalar(select(AgencyEndpoint))
        assert endpoint.url == "https://county.example/mpaka" and len(endpoint.secret) >= 16


def _team_id(svc, name):
    with svc.db() as db:
        return db.scalar(select(Team.id).where(Team.name == name))


def test_a_rule_must_name_an_existing_team(admin_client, svc):
    """A rule pointing at a team that does not exist is refused; a good one is audited."""
    with svc.db() as db:
        count = len(db.scalars(select(RoutingRule)).all())
    response = post(admin_client, "/console/admin/rules",
                    {"county": "wajir", "min_severity": "low", "team_id": "9999"})
    assert response.status_code == 400 and "existing, active team" in response.text
    post(admin_client, "/console/admin/rules", {
        "county": "wajir", "categories": "trafficking", "min_severity": "medium",
        "team_id": str(_team_id(svc, "National desk"))})
    with svc.db() as db:
        assert len(db.scalars(select(RoutingRule)).all()) == count + 1
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "rule.created"))
        assert entry.detail["categories"] == ["trafficking"]


def test_a_rule_can_be_deactivated(admin_client, svc):
    """Saving a rule without its active box deactivates it; the change is audited."""
    with svc.db() as db:
        rule = db.scalar(select(RoutingRule).where(RoutingRule.county == "busia"))
    post(admin_client, f"/console/admin/rules/{rule.id}", {
        "county": "busia", "min_severity": "low", "team_id": str(rule.team_id)})
    with svc.db() as db:
        assert not db.get(RoutingRule, rule.id).active
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "rule.updated"))


def test_escalation_deadlines_are_validated_and_saved(admin_client, svc):
    """Minutes must be whole numbers in range; good ones are saved."""
    bad = post(admin_client, "/console/admin/escalation", {"high": "soon", "medium": "60",
                                                          "low": "1440"})
    assert bad.status_code == 400 and "whole number of minutes" in bad.text
    post(admin_client, "/console/admin/escalation", {"high": "5", "medium": "30", "low": "600"})
    with svc.db() as db:
        assert db.get(EscalationPolicy, "high").deadline_minutes == 5


def test_admin_creates_a_county_officer(admin_client, svc):
    """A county officer is created with their counties; without one it is refused."""
    refused = post(admin_client, "/console/admin/users", {
        "username": "wajir-officer", "role": "county_officer", "password": "long-enough-pw"})
    assert refused.status_code == 400 and "at least one county" in refused.text
    post(admin_client, "/console/admin/users", {
        "username": "wajir-officer", "role": "county_officer", "counties": "wajir",
        "password": "long-enough-pw"})
    with svc.db() as db:
        user = db.scalar(select(User).where(User.username == "wajir-officer"))
        assert (user.role, user.counties) == ("county_officer", ["wajir"])


def test_admin_cannot_lock_themselves_out(admin_client, svc):
    """An admin cannot remove their own admin role or deactivate themselves."""
    with svc.db() as db:
        admin_id = db.scalar(select(User.id).where(User.username == "admin"))
    response = post(admin_client, f"/console/admin/users/{admin_id}",
                    {"role": "county_officer", "counties": "turkana", "active": "1"})
    assert response.status_code == 400 and "cannot" in response.text


def test_ledger_masks_reporters_numbers(admin_client, svc):
    """The message ledger shows numbers masked, never in full."""
    protector = svc.protector
    with svc.db() as db:
        db.add(ledger.outbound(channel="sms", provider="console", to="+254712345123",
                               text="Received", status="failed", protector=protector))
        db.commit()
    page = admin_client.get("/console/admin/messages?direction=out&status=failed").text
    assert "+254 7•• ••• 123" in page
    assert "+254712345123" not in page


def test_audit_log_lists_who_did_what(admin_client, svc):
    """A change made in the console appears in the audit log with actor and address."""
    post(admin_client, "/console/admin/escalation", {"high": "5", "medium": "30", "low": "600"})
    page = admin_client.get("/console/admin/audit?action=escalation").text
    assert "escalation.updated" in page and "admin" in page and "127.0.0.1" in page


def test_an_agency_endpoint_into_our_own_network_is_refused(app, admin_client, svc):
    """Saving an endpoint on a loopback or private address answers the form's own error."""
    app.config["AGENCY_ALLOW_PRIVATE"] = False
    with svc.db() as db:
        team_id = db.scalar(select(Team.id).where(Team.name == "Turkana county team"))
    response = post(admin_client, f"/console/admin/teams/{team_id}/endpoints",
                    {"name": "Metadata", "url": "https://169.254.169.254/latest",
                     "secret": "s" * 20, "active": "1"})
    assert response.status_code == 400
    assert "link-local" in response.text
    with svc.db() as db:
        assert db.scalar(select(AgencyEndpoint.id)) is None


def test_an_endpoint_can_choose_cap_xml(admin_client, svc):
    """An endpoint is JSON unless CAP is chosen; an unknown format is refused."""
    team_id = _team_id(svc, "Turkana county team")
    bad = post(admin_client, f"/console/admin/teams/{team_id}/endpoints",
               {"name": "EOC", "url": "https://eoc.example/cap", "format": "rss"})
    assert bad.status_code == 400 and "CAP 1.2 XML" in bad.text
    post(admin_client, f"/console/admin/teams/{team_id}/endpoints",
         {"name": "EOC", "url": "https://eoc.example/cap", "format": "cap"})
    post(admin_client, f"/console/admin/teams/{team_id}/endpoints",
         {"name": "County system", "url": "https://county.example/mpaka"})
    with svc.db() as db:
        formats = {e.name: e.format for e in db.scalars(select(AgencyEndpoint))}
    assert formats == {"EOC": "cap", "County system": "json"}
