"""Production mode refuses each insecure setting by name."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from gateway.app import create_app
from gateway.errors import ConfigError

SECURE = {
    "MPAKA_ENV": "production",
    "SECRET_KEY": "k" * 48,
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "PHONE_HASH_KEY": "h" * 40,
    "TWILIO_AUTH_TOKEN": "token",
    "AT_WEBHOOK_SECRET": "secret",
    "SMS_PROVIDER": "africastalking",
    "WHATSAPP_PROVIDER": "twilio",
    "DATABASE_URL": "postgresql://mpaka@127.0.0.1/mpaka",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_secure_configuration_starts():
    """With every setting secure, production mode starts."""
    app = create_app(dict(SECURE))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize(
    ("change", "named"),
    [
        pytest.param({"SECRET_KEY": None}, "SECRET_KEY", id="secret key missing"),
        pytest.param({"SECRET_KEY": "dev-insecure-change-me"}, "SECRET_KEY", id="secret key default"),
        pytest.param({"ENCRYPTION_KEYS": None}, "ENCRYPTION_KEYS", id="encryption key missing"),
        pytest.param({"PHONE_HASH_KEY": None}, "PHONE_HASH_KEY", id="hash key missing"),
        pytest.param({"TWILIO_AUTH_TOKEN": None}, "TWILIO_AUTH_TOKEN", id="twilio token missing"),
        pytest.param({"AT_WEBHOOK_SECRET": None}, "AT_WEBHOOK_SECRET", id="AT secret missing"),
        pytest.param({"SMS_PROVIDER": "console"}, "console", id="console provider"),
        pytest.param({"DATABASE_URL": "sqlite:////tmp/x.db"}, "SQLite", id="sqlite"),
    ],
)
def test_insecure_setting_is_refused_by_name(change, named):
    """Each insecure setting stops start-up with a message naming it."""
    config = {**SECURE, **change}
    with pytest.raises(ConfigError) as excinfo:
        create_app({k: v for k, v in config.items() if v is not None} | {
            k: "" for k, v in change.items() if v is None})
    assert named in str(excinfo.value)


def test_debug_is_refused(monkeypatch):
    """Debug mode is refused in production."""
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="debug"):
        create_app(dict(SECURE))


def test_sqlite_allowed_with_explicit_override():
    """ALLOW_SQLITE_IN_PRODUCTION=1 lets a small installation use SQLite."""
    create_app({**SECURE, "DATABASE_URL": "sqlite:////tmp/x.db", "ALLOW_SQLITE_IN_PRODUCTION": True})


def test_disabled_provider_webhook_is_404(app, client):
    """A provider left out of INBOUND_PROVIDERS has no webhook at all."""
    app.config["INBOUND_PROVIDERS"] = "africastalking"
    assert client.post("/webhooks/twilio/messages", data={"MessageSid": "x"}).status_code == 404
