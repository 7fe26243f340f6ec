"""Mpaka's web application: ``create_app`` builds it (no module-level app but
in ``wsgi.py``)."""

from __future__ import annotations

from flask import Flask

from gateway.core import config as config_module
from gateway.core import production
from gateway.core.services import Services
from gateway.errors import ConfigError
from gateway.ops import logs
from gateway.web import (
    api,
    bandwidth,
    console,
    context,
    feeds,
    health,
    metrics,
    prompts,
    proxies,
    webhooks,
)
from gateway.web.proxies import TrustedProxies


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

    # X-Forwarded-* only from the proxies named in TRUSTED_PROXY_ADDRESSES.
    try:
        trusted = proxies.networks(settings["TRUSTED_PROXY_ADDRESSES"])
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if trusted and settings["TRUSTED_PROXIES"]:
        app.wsgi_app = TrustedProxies(app.wsgi_app, trusted, hops=settings["TRUSTED_PROXIES"])

    @app.after_request
    def _transport_security(response):
        if settings["MPAKA_ENV"] == "production":
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        return response

    app.extensions["mpaka"] = Services(app.config)


    logs.init_app(app)
    context.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(prompts.bp)
    api.init_app(app)
    app.register_blueprint(feeds.bp)
    console.init_app(app)
    bandwidth.init_app(app)
    return app

