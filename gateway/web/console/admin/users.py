"""Console users: create, change role and counties, deactivate, reset a
password, unlock after failed logins."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from gateway.accounts import auth
from gateway.core.services import current_services
from gateway.store.models import User
from gateway.web.context import vocabulary

from ..common import audit, db
from . import bp


def render_users(form_id=None, errors=None, status=200):
    rows = db().scalars(select(User).order_by(User.username)).all()
    return render_template("console/admin/users.html", users=rows, roles=auth.ROLES,
                           counties=list(vocabulary().counties), form_id=form_id, errors=errors or {},
                           values=request.form if errors else {}), status


@bp.get("/users")
def users():
    return render_users()


@bp.post("/users")
def create_user():
    try:
        row = auth.create_user(db(), request.form.get("username", ""),
                               request.form.get("password", ""), request.form.get("role", ""),
                               request.form.getlist("counties"), vocabulary().counties)
    except ValueError as exc:
        return render_users("new-user", {"form": str(exc)}, 400)
    audit("user.created", row.username, role=row.role, counties=row.counties)
    db().commit()
    flash(f"User {row.username} created.")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>")
def update_user(user_id):
    row = db().get(User, user_id)
    if row is None:
        abort(404, "There is no such user.")
    role = request.form.get("role", row.role)
    counties = sorted(set(request.form.getlist("counties")))
    active = request.form.get("active") in ("1", "on")
    password = request.form.get("password", "")
    problem = None
    if role not in auth.ROLES:
        problem = "Choose a role."
    elif any(c not in list(vocabulary().counties) for c in counties):
        problem = "Choose counties from the list."
    elif role == "county_officer" and not counties:
        problem = "A county officer needs at least one county."
    elif row.id == current_user.id and (not active or role != "admin"):
        problem = "You cannot deactivate yourself or remove your own admin role."
    elif password:
        problem = auth.password_problem(password, row.username)
    if problem:
        return render_users(f"user-{row.id}", {"form": problem}, 400)
    row.role, row.active = role, active
    row.counties = counties if role == "county_officer" else []
    if password:
        row.password_hash = auth.hash_password(password)
    if request.form.get("unlock"):
        auth.unlock(current_services(), row.username)
    audit("user.updated", row.username, role=role, counties=row.counties, active=active,
          password_reset=bool(password), unlocked=bool(request.form.get("unlock")))
    db().commit()
    flash(f"User {row.username} saved.")
    return redirect(url_for("admin.users"))
