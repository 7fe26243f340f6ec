"""Log in, log out, change password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from gateway.accounts import auth
from gateway.core.services import current_services
from gateway.store.models import User

from .common import audit, console_blueprint, db

bp = console_blueprint("auth")


@bp.get("/")
def index():
    """The landing page: the queue of what needs action (the overview is one link away)."""
    return redirect(url_for("reports.queue"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/") \
            and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("auth.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.index"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:64]
        password = request.form.get("password", "")
        if not username or not password:
            error = "Enter your username and password."
        else:
            result = auth.authenticate(current_services(), db(), username, password,
                                       request.remote_addr or "")
            if result.user is None:
                error = result.error
                if result.audit:  # the first failure per address and window, and throttles
                    audit("login.failed", username, actor=username, reason=result.reason)
            else:
                session["sid"] = auth.start_session(current_services(), result.user.id)
                login_user(result.user)
                audit("login", username)
            db().commit()
        if error is None:
            return redirect(_safe_next(request.args.get("next")))
    return render_template("console/login.html", error=error, username=username), \
        (200 if error is None else 400)


@bp.post("/logout")
def logout():
    audit("logout", current_user.username)
    db().commit()
    auth.end_session(current_services(), session.pop("sid", None))
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def password():
    errors = {}
    if request.method == "POST":
        row = db().scalar(select(User).where(User.id == current_user.id))
        current = request.form.get("current", "")
        new = request.form.get("new", "")
        if not auth.check_password_hash(row.password_hash, current):
            errors["current"] = "Your current password is not right."
        problem = auth.password_problem(new, row.username)
        if problem:
            errors["new"] = problem
        elif new != request.form.get("repeat", ""):
            errors["repeat"] = "The two new passwords are not the same."
        if not errors:
            row.password_hash = auth.hash_password(new)
            audit("password.changed", row.username)
            db().commit()
            login_user(auth.ConsoleUser.from_row(row))  # other sessions end
            flash("Your password is changed.")
            return redirect(url_for("auth.index"))
    return render_template("console/password.html", errors=errors), (400 if errors else 200)
