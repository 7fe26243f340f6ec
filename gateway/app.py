"""Mpaka's web application: ``create_app`` builds it (no module-level app but
in ``wsgi.py``)."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.core import config as config_module
from gateway.core import production
from gateway.core.services import Services
from gateway.ops import logs
from gateway.web import api, console, context, health, metrics, webhooks


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    settings = config_module.from_environment()
    if test_config:
        settings.update(test_config)
    settings = config_module.finalise(settings)
    app.config.update(settings)
    app.config["SECRET_KEY"] = settings["SECRET_KEY"]
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_CONTENT_LENGTH"]
    production.check({**settings, "DEBUG": app.debug})
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["MPAKA_ENV"] == "production",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings["MPAKA_ENV"] == "production",
    )

    # Behind a TLS-terminating proxy, Twilio's signature is computed on the public
    # https URL: trust X-Forwarded-Proto/Host from the configured number of proxies.
    if settings["TRUSTED_PROXIES"]:
        n = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    app.extensions["mpaka"] = Services(app.config)


    logs.init_app(app)
    context.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    api.init_app(app)
    console.init_app(app)
    return app

