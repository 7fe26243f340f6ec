"""Routing rules and the escalation policy."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from gateway.store.models import EscalationPolicy, RoutingRule, Team
from gateway.store.queries import SEVERITIES
from gateway.web.context import vocabulary

from ..common import audit, db
from . import bp, forms

MAX_DEADLINE_MINUTES = 7 * 24 * 60


def render_rules(form_id=None, errors=None, status=200):
    rules = db().scalars(select(RoutingRule).order_by(RoutingRule.id)).all()
    teams = db().scalars(select(Team).order_by(Team.name)).all()
    return render_template(
        "console/admin/rules.html", rules=rules, teams=teams,
        team_names={t.id: t.name for t in teams}, counties=list(vocabulary().counties), categories=list(vocabulary().categories),
        severities=SEVERITIES, form_id=form_id, errors=errors or {},
        values=request.form if errors else {},
    ), status


def active_team_ids() -> set[int]:
    return set(db().scalars(select(Team.id).where(Team.active.is_(True))))


@bp.get("/rules")
def rules():
    return render_rules()


@bp.post("/rules")
def create_rule():
    values, errors = forms.rule(request.form, active_team_ids())
    values["active"] = True
    if errors:
        return render_rules("new-rule", errors, 400)
    rule = RoutingRule(**values)
    db().add(rule)
    db().flush()
    audit("rule.created", f"rule {rule.id}", **_describe(values))
    db().commit()
    flash("Rule added.")
    return redirect(url_for("admin.rules"))


@bp.post("/rules/<int:rule_id>")
def update_rule(rule_id):
    rule = db().get(RoutingRule, rule_id)
    if rule is None:
        abort(404, "There is no such rule.")
    values, errors = forms.rule(request.form, active_team_ids() | {rule.team_id})
    if errors:
        return render_rules(f"rule-{rule.id}", errors, 400)
    before = _describe({k: getattr(rule, k) for k in values})
    for key, value in values.items():
        setattr(rule, key, value)
    audit("rule.updated", f"rule {rule.id}", before=before, after=_describe(values))
    db().commit()
    flash("Rule saved.")
    return redirect(url_for("admin.rules"))


def _describe(values: dict) -> dict:
    return {k: values.get(k) for k in ("county", "categories", "min_severity", "team_id",
                                       "active")}


@bp.route("/escalation", methods=["GET", "POST"])
def escalation():
    policies = {p.severity: p for p in db().scalars(select(EscalationPolicy))}
    errors = {}
    if request.method == "POST":
        minutes = {}
        for severity in SEVERITIES:
            raw = request.form.get(severity, "").strip()
            if not raw.isdigit() or not 1 <= int(raw) <= MAX_DEADLINE_MINUTES:
                errors[severity] = (f"Give a whole number of minutes from 1 to "
                                    f"{MAX_DEADLINE_MINUTES}.")
            else:
                minutes[severity] = int(raw)
        if not errors:
            before = {s: p.deadline_minutes for s, p in policies.items()}
            for severity, value in minutes.items():
                if severity in policies:
                    policies[severity].deadline_minutes = value
                else:
                    db().add(EscalationPolicy(severity=severity, deadline_minutes=value))
            audit("escalation.updated", "escalation policy", before=before, after=minutes)
            db().commit()
            flash("Escalation deadlines saved; they apply to alerts sent from now on.")
            return redirect(url_for("admin.escalation"))
    current = {s: (request.form.get(s) if errors else
                   policies[s].deadline_minutes if s in policies else "") for s in SEVERITIES}
    return render_template("console/admin/escalation.html", severities=SEVERITIES,
                           current=current, errors=errors), (400 if errors else 200)
