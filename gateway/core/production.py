"""Production mode (``MPAKA_ENV=production``) refuses to start with insecure
settings, naming each problem so the operator can fix them all at once.

Checked: placeholders left from the example files, secrets that are short or
of low entropy, encryption keys that are not Fernet keys (in every mode: a
bad key must stop start-up, never answer a reporter with a 500 later),
unauthenticated webhooks and ``/metrics``, the console provider, debug mode
and SQLite.
"""

from __future__ import annotations

import math
import re
import sys
from typing import TextIO

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from gateway.core import config as config_module
from gateway.core.config import DEV_SECRET_KEY
from gateway.errors import ConfigError

#: The values ``MPAKA_ENV`` may take (any case).
ENVIRONMENTS = ("development", "test", "production")

#: Words that mark a value copied from an example instead of generated.
PLACEHOLDER = re.compile(r"change-?me|replace-?me|your[-_]|example|placeholder|xxxx|<[^>]*>|\.\.\.",
                         re.IGNORECASE)

#: Secrets we generate ourselves: name -> (minimum length, minimum estimated bits).
OUR_SECRETS = {"SECRET_KEY": (32, 128), "PHONE_HASH_KEY": (32, 128),
               "AT_WEBHOOK_SECRET": (16, 64), "METRICS_TOKEN": (16, 64)}
#: Credentials a provider issues: only checked for placeholders.
PROVIDER_CREDENTIALS = ("AT_API_KEY", "AT_USERNAME", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


def environment(config) -> str:
    """``MPAKA_ENV`` lower-cased; ``ConfigError`` for a value that is not one of ours
    (``prod`` must not silently run as development)."""
    raw = str(config.get("MPAKA_ENV") or "development")
    value = raw.strip().lower()
    if value not in ENVIRONMENTS:
        raise ConfigError(f"MPAKA_ENV={raw!r} is not one of {', '.join(ENVIRONMENTS)}")
    return value


def is_production(config) -> bool:
    return environment(config) == "production"


def inbound_providers(config) -> set[str]:
    return {p.strip() for p in str(config.get("INBOUND_PROVIDERS") or "").split(",") if p.strip()}


def entropy_bits(value: str) -> float:
    """A generous estimate: length × log2(distinct characters).  ``aaaa…`` is 0."""
    distinct = len(set(value))
    return len(value) * math.log2(distinct) if distinct > 1 else 0.0


def secret_problem(name: str, value: str | None, min_length: int, min_bits: int) -> str | None:
    if not value:
        return None
    if PLACEHOLDER.search(value):
        return f"{name} is a placeholder from an example file: generate a random value"
    if len(value) < min_length:
        return f"{name} is shorter than {min_length} characters"
    if entropy_bits(value) < min_bits:
        return (f"{name} is too predictable (repeated or few distinct characters): "
                "generate it with `python -c 'import secrets; print(secrets.token_hex(32))'`")
    return None


def encryption_key_problems(config) -> list[str]:
    """Every ``ENCRYPTION_KEYS`` entry must be a Fernet key; checked in every mode."""
    found = []
    keys = [k.strip() for k in str(config.get("ENCRYPTION_KEYS") or "").split(",") if k.strip()]
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            found.append(
                f"ENCRYPTION_KEYS entry {position} is not a Fernet key (44 URL-safe base64 "
                "characters): generate one with `python -c 'from cryptography.fernet import "
                "Fernet; print(Fernet.generate_key().decode())'`")
    return found


def problems(config) -> list[str]:
    found = []
    secret = config.get("SECRET_KEY")
    if not secret or secret == DEV_SECRET_KEY:
        found.append("SECRET_KEY is missing or the development default: set a long random value")
    if not config.get("ENCRYPTION_KEYS"):
        found.append("ENCRYPTION_KEYS is missing: reporters' numbers would be encrypted with a "
                     "key derived from SECRET_KEY (generate one with "
                     "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)")
    if not config.get("PHONE_HASH_KEY") or str(config["PHONE_HASH_KEY"]).startswith("phone-hash:"):
        found.append("PHONE_HASH_KEY is missing: set a random value, kept apart from SECRET_KEY")
    for name, (min_length, min_bits) in OUR_SECRETS.items():
        value = config.get(name)
        if name == "SECRET_KEY" and value == DEV_SECRET_KEY:
            continue
        if name == "PHONE_HASH_KEY" and str(value or "").startswith("phone-hash:"):
            continue
        problem = secret_problem(name, value, min_length, min_bits)
        if problem:
            found.append(problem)
    for name in PROVIDER_CREDENTIALS:
        if config.get(name) and PLACEHOLDER.search(str(config[name])):
            found.append(f"{name} is a placeholder from an example file: set the provider's value")
    found += encryption_key_problems(config)
    providers = inbound_providers(config) | {config.get("SMS_PROVIDER"), config.get("WHATSAPP_PROVIDER")}
    if "twilio" in providers and not config.get("TWILIO_AUTH_TOKEN"):
        found.append("TWILIO_AUTH_TOKEN is missing while Twilio is enabled: webhooks would be unauthenticated")
    if "africastalking" in providers and not config.get("AT_WEBHOOK_SECRET"):
        found.append("AT_WEBHOOK_SECRET is missing while Africa's Talking is enabled: "
                     "callbacks would be unauthenticated")
    if "console" in (config.get("SMS_PROVIDER"), config.get("WHATSAPP_PROVIDER")):
        found.append("SMS_PROVIDER/WHATSAPP_PROVIDER is `console`: alerts would never be sent")
    if config.get("VOICE_CALLBACK_NUMBERS") and config.get("VOICE_PROVIDER") == "console":
        found.append("VOICE_PROVIDER is `console` while VOICE_CALLBACK_NUMBERS is set: "
                     "missed calls would never be called back (set VOICE_PROVIDER=africastalking)")
    if not config.get("METRICS_TOKEN") and not config.get("METRICS_ALLOW"):
        found.append("/metrics would be open to anyone: set METRICS_TOKEN or METRICS_ALLOW")
    if config.get("DEBUG"):
        found.append("debug mode is on (FLASK_DEBUG): it exposes an interactive debugger")
    url = config.get("DATABASE_URL") or ""
    if url and make_url(url).get_backend_name() == "sqlite" and not config.get("ALLOW_SQLITE_IN_PRODUCTION"):
        found.append("DATABASE_URL is SQLite: use PostgreSQL, or set ALLOW_SQLITE_IN_PRODUCTION=1 "
                     "for a single small installation")
    return found


def check(config) -> None:
    """Raise ``ConfigError`` listing every problem: in production mode every
    check, in any mode the encryption keys and ``MPAKA_ENV`` itself."""
    found = problems(config) if is_production(config) else encryption_key_problems(config)
    if found:
        mode = "in production mode" if is_production(config) else "with these settings"
        raise ConfigError(f"refusing to start {mode}:\n" + "\n".join(f"  - {p}" for p in found))


#: Exit status of a process that refused to start (``EX_CONFIG``): the systemd
#: units do not restart on it (``RestartPreventExitStatus``).
REFUSED_EXIT_STATUS = 78


def print_refusal(error: ConfigError, stream: TextIO | None = None) -> None:
    """The refusal as plain text, one line per problem, each prefixed ``mpaka:``
    so it stands out among the server's JSON log lines."""
    stream = stream or sys.stderr
    for line in str(error).splitlines():
        print(f"mpaka: {line}", file=stream)
    stream.flush()


def refuse_to_start_if_insecure(environ: dict | None = None) -> None:
    """For a server's master process (``gunicorn.conf.py``), before any worker
    boots: run ``check`` on the settings from the environment and, when it
    refuses, print the problems one per line on stderr and exit with
    ``REFUSED_EXIT_STATUS`` (no traceback, no worker started)."""
    try:
        check(config_module.finalise(config_module.from_environment(environ)))
    except ConfigError as exc:
        print_refusal(exc)
        raise SystemExit(REFUSED_EXIT_STATUS) from None
