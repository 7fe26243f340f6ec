"""Production mode (``MPAKA_ENV=production``) refuses to start with insecure
settings, naming each problem so the operator can fix them all at once."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from gateway.core.config import DEV_SECRET_KEY
from gateway.errors import ConfigError


def inbound_providers(config) -> set[str]:
    return {p.strip() for p in str(config.get("INBOUND_PROVIDERS") or "").split(",") if p.strip()}


def problems(config) -> list[str]:
    found = []
    secret = config.get("SECRET_KEY")
    if not secret or secret == DEV_SECRET_KEY:
        found.append("SECRET_KEY is missing or the development default: set a long random value")
    elif len(secret) < 32:
        found.append("SECRET_KEY is shorter than 32 characters")
    if not config.get("ENCRYPTION_KEYS"):
        found.append("ENCRYPTION_KEYS is missing: reporters' numbers would be encrypted with a "
                     "key derived from SECRET_KEY (generate one with "
                     "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)")
    if not config.get("PHONE_HASH_KEY") or str(config["PHONE_HASH_KEY"]).startswith("phone-hash:"):
        found.append("PHONE_HASH_KEY is missing: set a random value, kept apart from SECRET_KEY")
    providers = inbound_providers(config) | {config.get("SMS_PROVIDER"), config.get("WHATSAPP_PROVIDER")}
    if "twilio" in providers and not config.get("TWILIO_AUTH_TOKEN"):
        found.append("TWILIO_AUTH_TOKEN is missing while Twilio is enabled: webhooks would be unauthenticated")
    if "africastalking" in providers and not config.get("AT_WEBHOOK_SECRET"):
        found.append("AT_WEBHOOK_SECRET is missing while Africa's Talking is enabled: "
                     "callbacks would be unauthenticated")
    if "console" in (config.get("SMS_PROVIDER"), config.get("WHATSAPP_PROVIDER")):
        found.append("SMS_PROVIDER/WHATSAPP_PROVIDER is `console`: alerts would never be sent")
    if config.get("DEBUG"):
        found.append("debug mode is on (FLASK_DEBUG): it exposes an interactive debugger")
    url = config.get("DATABASE_URL") or ""
    if url and make_url(url).get_backend_name() == "sqlite" and not config.get("ALLOW_SQLITE_IN_PRODUCTION"):
        found.append("DATABASE_URL is SQLite: use PostgreSQL, or set ALLOW_SQLITE_IN_PRODUCTION=1 "
                     "for a single small installation")
    return found


def check(config) -> None:
    """Raise ``ConfigError`` listing every problem when in production mode."""
    if config.get("MPAKA_ENV") != "production":
        return
    found = problems(config)
    if found:
        raise ConfigError(
            "refusing to start in production mode:\n" + "\n".join(f"  - {p}" for p in found)
        )
