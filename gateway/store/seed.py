"""Idempotent seed data: the default dialogue script, an admin user and, outside
production, demo teams (one per shipped county that has demo members below,
two members each, and a national desk) with routing rules covering every
category.  Running it again changes nothing."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from gateway.store import script_versions
from gateway.store.models import EscalationPolicy, RoutingRule, Team, TeamMember, User
from gateway.store.script_versions import shipped_vocabulary

NATIONAL_DESK = "National desk"


def demo_counties() -> list[str]:
    """The shipped script's counties that have demo members (not "other")."""
    return [c for c in shipped_vocabulary().counties if c in DEMO_MEMBERS]


#: Demo numbers in Safaricom's 0700 000 xxx range: obviously not real people.
DEMO_MEMBERS = {
    "turkana": [("Turkana officer A", "+254700000101"), ("Turkana officer B", "+254700000102")],
    "marsabit": [("Marsabit officer A", "+254700000201"), ("Marsabit officer B", "+254700000202")],
    "mandera": [("Mandera officer A", "+254700000301"), ("Mandera officer B", "+254700000302")],
    "wajir": [("Wajir officer A", "+254700000401"), ("Wajir officer B", "+254700000402")],
    "busia": [("Busia officer A", "+254700000501"), ("Busia officer B", "+254700000502")],
    "national": [("National duty officer", "+254700000901")],
}


def demo_numbers() -> list[str]:
    return [phone for members in DEMO_MEMBERS.values() for _name, phone in members]


def demo_members_present(db) -> int:
    """How many team members still carry a demo number (``mpaka doctor`` warns)."""
    return db.scalar(select(func.count(TeamMember.id)).where(
        TeamMember.phone.in_(demo_numbers()))) or 0


def team_name(county: str) -> str:
    return f"{county.title()} county team"


def seed(db, *, admin_password: str | None = None, demo: bool = True,
         admin_password_hash: str | None = None) -> dict:
    """Seed what is missing; returns what was created (and a generated password once).

    ``admin_password_hash`` lets tests hash once instead of once per test."""
    created: dict = {"script": script_versions.seed_default(db)}

    if db.scalar(select(User.id).where(User.username == "admin")) is None:
        password = admin_password or secrets.token_urlsafe(12)
        db.add(
            User(
                username="admin",
                password_hash=admin_password_hash or generate_password_hash(password),
                role="admin", counties=[],
            )
        )
        created["admin_password"] = None if admin_password else password
        created["admin"] = True

    if demo:
        created["teams"] = _seed_teams(db)
    db.commit()
    return created


def _seed_teams(db) -> int:
    count = 0
    specs = [(team_name(c), "county", [c], DEMO_MEMBERS[c]) for c in demo_counties()]
    specs.append((NATIONAL_DESK, "national", [], DEMO_MEMBERS["national"]))
    for name, tier, counties, members in specs:
        if db.scalar(select(Team.id).where(Team.name == name)) is not None:
            continue
        # Only the county team that acts may call a consenting reporter back.
        team = Team(
            name=name, tier=tier, counties=counties, language="eng",
            sees_contacts=tier == "county",
        )
        team.members = [TeamMember(name=n, phone=p, channel="sms") for n, p in members]
        db.add(team)
        count += 1
    db.flush()
    if count:
        _seed_rules(db)
    return count


def _seed_rules(db) -> None:
    """Every category of a county to its county team; terrorism also straight
    to the national desk; the default escalation deadlines."""
    for county in demo_counties():
        team_id = db.scalar(select(Team.id).where(Team.name == team_name(county)))
        db.add(RoutingRule(county=county, categories=[], min_severity="low", team_id=team_id))
    desk = db.scalar(select(Team.id).where(Team.name == NATIONAL_DESK))
    db.add(RoutingRule(county=None, categories=["terrorism"], min_severity="low", team_id=desk))
    for severity, minutes in (("high", 10), ("medium", 60), ("low", 1440)):
        if db.get(EscalationPolicy, severity) is None:
            db.add(EscalationPolicy(severity=severity, deadline_minutes=minutes))
    db.flush()
