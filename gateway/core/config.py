"""Configuration from environment variables.

Every setting is documented in the README's configuration table.  Order, as in
Flask's tutorial: defaults, then the environment, then the test override.
"""

from __future__ import annotations

import os
from pathlib import Path

DEV_SECRET_KEY = "dev-insecure-change-me"

_INT = int


def _bool(value: str) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str) -> list[str]:
    return [part.strip() for part in str(value).split(",") if part.strip()]


#: name -> (default, parser).  Parsers turn the environment's strings into values.
SETTINGS: dict[str, tuple[object, object]] = {
    "MPAKA_ENV": ("development", str),
    "SECRET_KEY": (DEV_SECRET_KEY, str),
    "MPAKA_DATA_DIR": ("instance", str),
    "REDIS_URL": (None, str),
    # Redis behind Sentinel: "host:port,host:port" of the sentinels; REDIS_URL then
    # gives only the database number and password (gateway.core.services.connect_redis).
    "REDIS_SENTINELS": (None, str),
    "REDIS_SENTINEL_SERVICE": ("mymaster", str),
    "DATABASE_URL": (None, str),
    # Dialogue sessions
    "SESSION_TTL_USSD": (180, _INT),
    "SESSION_TTL_MESSAGE": (1800, _INT),
    "RESUME_WINDOW": (1800, _INT),
    "SESSION_LOCK_TIMEOUT": (5, _INT),
    "DEDUPE_TTL": (86400, _INT),
    # Providers
    "SMS_PROVIDER": ("console", str),
    "WHATSAPP_PROVIDER": ("console", str),
    "AT_USERNAME": ("sandbox", str),
    "AT_API_KEY": (None, str),
    "AT_SENDER_ID": (None, str),
    "AT_WEBHOOK_SECRET": (None, str),
    "TWILIO_ACCOUNT_SID": (None, str),
    "TWILIO_AUTH_TOKEN": (None, str),
    "TWILIO_FROM_NUMBER": (None, str),
    "TWILIO_WHATSAPP_FROM": (None, str),
    "PUBLIC_BASE_URL": (None, str),
    # Voice (Africa's Talking Voice): the missed-call callback and audio prompts
    "VOICE_PROVIDER": ("console", str),  # africastalking | console
    "VOICE_CALLBACK_NUMBERS": ([], _list),  # E.164 numbers whose calls are rejected and called back
    "VOICE_CALLBACKS_PER_DAY": (3, _INT),  # per caller, beside the one per 10 minutes
    "PROMPT_MAX_BYTES": (5 * 1024 * 1024, _INT),  # an uploaded recording
    "TRUSTED_PROXIES": (1, _INT),  # hops of X-Forwarded-* to apply, from a trusted proxy
    "TRUSTED_PROXY_ADDRESSES": ([], _list),  # the proxies' addresses or networks
    "AGENCY_ALLOW_PRIVATE": (False, _bool),
    # Voice (Africa's Talking): recorded prompts, answers by keypad, the description recorded
    "PROMPTS_DIR": (None, str),  # default: <data dir>/prompts (<version>/<language>/<key>.mp3)
    "VOICE_DIGITS_TIMEOUT": (20, _INT),  # seconds a caller has to press a key
    "VOICE_RECORD_SECONDS": (60, _INT),  # longest recorded description
    "AT_MEDIA_HOSTS": ([], _list),  # hosts beyond *.africastalking.com recordings may come from
    # Reporters' media (WhatsApp photos, voice notes, videos)
    "MEDIA_DIR": (None, str),  # default: <data dir>/media
    "MEDIA_MAX_BYTES": (10 * 1024 * 1024, _INT),
    "MEDIA_ALLOWED_TYPES": ([], _list),  # default: handlers.twilio_media.DEFAULT_ALLOWED_TYPES
    "MEDIA_PER_REPORT": (5, _INT),
    "MEDIA_S3_BUCKET": (None, str),  # set: media go to this bucket, not MEDIA_DIR
    "MEDIA_S3_ENDPOINT_URL": (None, str),  # an S3-compatible service (MinIO, Ceph...)
    "MEDIA_S3_PREFIX": ("media/", str),  # agency webhooks inside our own network
    # Limits
    "MAX_CONTENT_LENGTH": (16 * 1024, _INT),
    "INBOUND_PER_10_MINUTES": (60, _INT),
    "REPORTS_PER_HOUR": (5, _INT),
    "LOOP_WINDOW_SECONDS": (30, _INT),
    "LOOP_REPEATS": (4, _INT),
    "RETENTION_DAYS": (365, _INT),
    "INBOUND_PROVIDERS": ("africastalking,twilio", str),
    "ALLOW_SQLITE_IN_PRODUCTION": (False, _bool),
    "PHONE_HASH_KEY": (None, str),
    "ENCRYPTION_KEYS": (None, str),
    "MPAKA_ADMIN_PASSWORD": (None, str),
    # Routing (issue: routing)
    "ESCALATION_HIGH_MINUTES": (10, _INT),
    "ESCALATION_MEDIUM_MINUTES": (60, _INT),
    "ESCALATION_LOW_MINUTES": (1440, _INT),
    "INCIDENT_WINDOW_HOURS": (6, _INT),
    "INCIDENT_THRESHOLD": (3, _INT),
    "DELIVERY_MAX_ATTEMPTS": (6, _INT),
    "DELIVERY_BACKOFF_BASE": (5, _INT),
    "DELIVERY_BACKOFF_CAP": (600, _INT),
    "SWEEP_INTERVAL_SECONDS": (60, _INT),
    "WORKER_REDIS_PATIENCE_SECONDS": (120, _INT),
    "ROUTE_GRACE_SECONDS": (30, _INT),
    "STUCK_DELIVERY_SECONDS": (300, _INT),
    # The weekly digest to every team, Mondays 06:00 EAT (gateway/routing/digest.py)
    "WEEKLY_DIGEST": (True, _bool),
    # Operations (issue 7): logs, metrics, readiness
    "MPAKA_LOG_FORMAT": ("json", str),
    "MPAKA_LOG_LEVEL": ("INFO", str),
    "MPAKA_RQ_LOG_LEVEL": ("INFO", str),
    # Our per-request access line; gunicorn.conf.py turns it off (gunicorn's own line carries the id)
    "MPAKA_ACCESS_LOG": (True, _bool),
    "METRICS_TOKEN": (None, str),
    "METRICS_ALLOW": ([], _list),
    "READY_QUEUE_THRESHOLD": (1000, _INT),
    # /readyz fails when a ledger row has waited this long in the ledger stream
    "READY_LEDGER_SECONDS": (120, _INT),
    # The CAP feed (issue 14): /feeds/cap.atom, agency webhooks in CAP
    "CAP_SENDER": ("mpaka@localhost", str),
    "CAP_RESTRICTION": (None, str),  # default: gateway.routing.cap.RESTRICTION
    "CAP_SINGLE_HIGH_SEVERITY": (False, _bool),
    "CAP_FEED_ALLOW": ([], _list),
    "CAP_FEED_DAYS": (7, _INT),
}


def from_environment(environ: dict | None = None) -> dict:
    """Read every known setting from the environment, applying defaults."""
    environ = os.environ if environ is None else environ
    config: dict = {}
    for name, (default, parse) in SETTINGS.items():
        raw = environ.get(name)
        config[name] = parse(raw) if raw not in (None, "") else default
    return config


def finalise(config: dict) -> dict:
    """Derive settings that depend on others (data directory, URLs)."""
    # Any case of a mode's name is that mode (``production.check`` refuses unknown ones).
    config["MPAKA_ENV"] = str(config.get("MPAKA_ENV") or "development").strip().lower()
    data_dir = Path(config["MPAKA_DATA_DIR"]).resolve()
    config["MPAKA_DATA_DIR"] = str(data_dir)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{data_dir / 'mpaka.sqlite3'}"
    if not config.get("MEDIA_DIR"):
        config["MEDIA_DIR"] = str(data_dir / "media")
    if not config.get("PROMPTS_DIR"):
        config["PROMPTS_DIR"] = str(data_dir / "prompts")
    if not config.get("PHONE_HASH_KEY"):
        # Derived so development needs no extra setting; production sets its own.
        config["PHONE_HASH_KEY"] = "phone-hash:" + config["SECRET_KEY"]
    return config
