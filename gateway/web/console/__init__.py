"""The web console: county teams' reports, dialogue script editing and
administration.  Server-rendered pages, one small CSS and one small JS file.

Every console blueprint is made by ``common.console_blueprint``, which checks
on the server, before any view runs: a logged-in user (but on the login page),
the CSRF token of every POST, and the admin role for admin-only blueprints.
County checks happen in the views, through ``gateway.store.queries.Scope``.
"""

from __future__ import annotations

from flask import Flask, redirect, url_for
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect

from gateway import vocab
from gateway.ops.logs import mask_text

from . import auth_views, common, digest, incidents, maps, reports, script_editor, voice_prompts
from . import queue as _queue  # noqa: F401  (its views are on the reports blueprint)
from .admin import bp as admin_bp

csrf = CSRFProtect()
login_manager = LoginManager()


def init_app(app: Flask) -> None:
    # Only console blueprints check CSRF (common.console_blueprint): provider
    # webhooks post without a token and are authenticated by signature.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the login session
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    if app.config.get("MPAKA_ENV") == "production":
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
    csrf.init_app(app)
    common.csrf = csrf

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.user_loader(common.load_user)

    for bp in (auth_views.bp, reports.bp, incidents.bp, maps.bp, digest.bp, script_editor.bp,
               voice_prompts.bp, admin_bp):
        app.register_blueprint(bp)
    app.add_url_rule("/", "console_home", lambda: redirect(url_for("auth.index")))
    app.register_error_handler(CSRFError, common.csrf_error)
    app.after_request(common.security_headers)
    app.jinja_env.globals.update(static_url=common.static_url, labels=common.label,
                                 held_count=reports.held_count, vocab=vocab,
                                 overview_map=maps.overview_map)
    app.jinja_env.filters.update(numbers_masked=mask_text,
                                 ago=common.ago, when=common.format_time, label=common.label,
                                 input_day=common.input_day)
