"""What a response says about itself: HSTS in production, no caching of report
data, and X-Forwarded-* believed only from the configured proxies."""

from __future__ import annotations

import pytest

from tests.safety.test_production import SECURE


def test_production_sends_hsts(monkeypatch):
    """Every production response tells browsers to use https only."""
    from gateway.app import create_app

    app = create_app({**SECURE, "TESTING": True})
    response = app.test_client().get("/healthz")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_development_sends_no_hsts(client):
    """Development over plain http must not pin https in the browser."""
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/openapi.json"])
def test_api_responses_are_not_cached(client, path):
    """API answers carry Cache-Control: no-store, errors included."""
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_console_pages_are_not_cached(client):
    """Console pages carry Cache-Control: no-store."""
    assert client.get("/console/login").headers["Cache-Control"] == "no-store"


def remote_addr_seen(make_app, remote, forwarded, **config):
    """The address the app sees for a request from ``remote`` claiming ``forwarded``."""
    app = make_app(**config)
    seen = {}

    @app.get("/_peer")
    def _peer():
        from flask import request

        seen["addr"] = request.remote_addr
        return "ok"

    app.test_client().get("/_peer", headers={"X-Forwarded-For": forwarded},
                          environ_base={"REMOTE_ADDR": remote})
    return seen["addr"]


@pytest.mark.parametrize(
    ("remote", "trusted", "seen"),
    [
        pytest.param("203.0.113.9", "", "203.0.113.9", id="no proxy configured: the peer"),
        pytest.param("203.0.113.9", "127.0.0.1", "203.0.113.9",
                     id="reached directly: the header is ignored"),
        pytest.param("127.0.0.1", "127.0.0.1", "198.51.100.7", id="from the trusted proxy"),
        pytest.param("10.0.0.5", "10.0.0.0/8", "198.51.100.7", id="from a trusted network"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(make_app, remote, trusted, seen):
    """X-Forwarded-For changes the client address only when a configured proxy sent it."""
    config = {"TRUSTED_PROXY_ADDRESSES": [a for a in trusted.split(",") if a], "TRUSTED_PROXIES": 1}
    assert remote_addr_seen(make_app, remote, "198.51.100.7", **config) == seen


def test_a_bad_proxy_address_stops_start_up(make_app):
    """A typo in TRUSTED_PROXY_ADDRESSES is named at start, not ignored."""
    from gateway.errors import ConfigError

    with pytest.raises(ConfigError, match="TRUSTED_PROXY_ADDRESSES"):
        make_app(TRUSTED_PROXY_ADDRESSES=["not-an-address"])
