"""Teams, their members and agency endpoints."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from gateway.core.services import current_services
from gateway.delivery import outbox
from gateway.store.models import AgencyEndpoint, Partner, Team, TeamMember
from gateway.web.context import vocabulary

from ..common import audit, db
from . import bp, forms


def team_or_404(team_id: int) -> Team:
    team = db().get(Team, team_id)
    if team is None:
        abort(404, "There is no such team.")
    return team


def name_taken(name: str, team_id: int | None = None) -> bool:
    other = db().scalar(select(Team.id).where(Team.name == name))
    return other is not None and other != team_id


@bp.get("/teams")
def teams():
    return render_teams()


def render_teams(errors=None, values=None, status=200):
    rows = db().scalars(select(Team).order_by(Team.tier, Team.name)).all()
    return render_template("console/admin/teams.html", teams=rows, counties=list(vocabulary().counties),
                           tiers=forms.TIERS, errors=errors or {}, values=values or {}), status


@bp.post("/teams")
def create_team():
    values, errors = forms.team(request.form)
    values["active"] = True
    first, member_errors = forms.member({
        "name": request.form.get("member_name", ""), "phone": request.form.get("member_phone", ""),
        "channel": request.form.get("member_channel", "sms"), "active": "1"})
    errors.update({f"member_{k}": v for k, v in member_errors.items()})
    if not errors.get("name") and name_taken(values["name"]):
        errors["name"] = "Another team has this name."
    if errors:
        return render_teams(errors, request.form, 400)
    team = Team(**values)
    team.members = [TeamMember(**first)]
    db().add(team)
    db().flush()
    audit("team.created", team.name, team_id=team.id)
    db().commit()
    flash(f"Team {team.name} created. Add routing rules so it receives reports.")
    return redirect(url_for("admin.team", team_id=team.id))


@bp.get("/teams/<int:team_id>")
def team(team_id):
    return render_team(team_or_404(team_id))


def render_team(team: Team, form_id: str | None = None, errors=None, status=200):
    return render_template("console/admin/team.html", team=team, counties=list(vocabulary().counties),
                           tiers=forms.TIERS, channels=forms.CHANNELS, form_id=form_id,
                           partners=db().scalars(select(Partner).order_by(Partner.name)).all(),
                           endpoint_formats=forms.ENDPOINT_FORMATS,
                           errors=errors or {}, values=request.form if errors else {}), status


@bp.post("/teams/<int:team_id>")
def update_team(team_id):
    team = team_or_404(team_id)
    values, errors = forms.team(request.form)
    if not errors.get("name") and name_taken(values["name"], team.id):
        errors["name"] = "Another team has this name."
    if values["active"] and not any(m.active for m in team.members):
        errors["active"] = "An active team needs at least one active member: add one first."
    if errors:
        return render_team(team, "team", errors, 400)
    changed = {k: v for k, v in values.items() if getattr(team, k) != v}
    for key, value in values.items():
        setattr(team, key, value)
    audit("team.updated", team.name, team_id=team.id, changed=sorted(changed))
    db().commit()
    flash("Team saved.")
    return redirect(url_for("admin.team", team_id=team.id))


@bp.post("/teams/<int:team_id>/members")
def add_member(team_id):
    team = team_or_404(team_id)
    values, errors = forms.member(request.form)
    if not errors and any(m.phone == values["phone"] for m in team.members):
        errors["phone"] = "This number is already a member of the team."
    if errors:
        return render_team(team, "new-member", errors, 400)
    team.members.append(TeamMember(**values))
    audit("member.added", team.name, name=values["name"])
    db().commit()
    flash(f"{values['name']} added.")
    return redirect(url_for("admin.team", team_id=team.id))


@bp.post("/members/<int:member_id>")
def update_member(member_id):
    member = db().get(TeamMember, member_id)
    if member is None:
        abort(404, "There is no such member.")
    team = member.team
    values, errors = forms.member(request.form)
    if not errors and any(m.phone == values["phone"] and m.id != member.id for m in team.members):
        errors["phone"] = "Another member of the team has this number."
    others_active = any(m.active for m in team.members if m.id != member.id)
    if not values["active"] and team.active and not others_active:
        errors["active"] = ("This is the team's last active member: add another member, or "
                            "deactivate the team, first.")
    if errors:
        return render_team(team, f"member-{member.id}", errors, 400)
    for key, value in values.items():
        setattr(member, key, value)
    audit("member.updated", team.name, member_id=member.id, active=values["active"])
    db().commit()
    flash("Member saved.")
    return redirect(url_for("admin.team", team_id=team.id))


def partner_ids() -> set[int]:
    return set(db().scalars(select(Partner.id)))


@bp.post("/teams/<int:team_id>/endpoints")
def add_endpoint(team_id):
    team = team_or_404(team_id)
    values, errors = forms.endpoint(request.form, outbox.agency_url_checks(current_services().config),
                                    partner_ids())
    if errors:
        return render_team(team, "new-endpoint", errors, 400)
    values["secret"] = values["secret"] or secrets.token_urlsafe(24)
    values["active"] = True
    team.endpoints.append(AgencyEndpoint(**values))
    audit("endpoint.added", team.name, name=values["name"], url=values["url"],
          partner_id=values["partner_id"],
          format=values["format"])
    db().commit()
    flash(f"Endpoint {values['name']} added; its signing secret is shown on the team page.")
    return redirect(url_for("admin.team", team_id=team.id))


@bp.post("/endpoints/<int:endpoint_id>")
def update_endpoint(endpoint_id):
    endpoint = db().get(AgencyEndpoint, endpoint_id)
    if endpoint is None:
        abort(404, "There is no such endpoint.")
    team = team_or_404(endpoint.team_id)
    values, errors = forms.endpoint(request.form, outbox.agency_url_checks(current_services().config),
                                    partner_ids())
    if errors:
        return render_team(team, f"endpoint-{endpoint.id}", errors, 400)
    values["secret"] = values["secret"] or endpoint.secret
    for key, value in values.items():
        setattr(endpoint, key, value)
    audit("endpoint.updated", team.name, endpoint_id=endpoint.id, active=values["active"],
          partner_id=values["partner_id"],
          format=values["format"])
    db().commit()
    flash("Endpoint saved.")
    return redirect(url_for("admin.team", team_id=team.id))
