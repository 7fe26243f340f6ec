"""Production mode refuses each insecure setting by name."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from gateway.app import create_app
from gateway.errors import ConfigError
from tests.helpers import DEADLINE, free_port

SECURE = {
    "MPAKA_ENV": "production",
    "SECRET_KEY": secrets.token_hex(32),
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "PHONE_HASH_KEY": secrets.token_hex(32),
    "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
    "AT_WEBHOOK_SECRET": secrets.token_urlsafe(24),
    "METRICS_TOKEN": secrets.token_urlsafe(24),
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


EXAMPLE_ENV = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "mpaka.env.example"


def example_settings() -> dict:
    settings = {}
    for line in EXAMPLE_ENV.read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    return settings


def test_the_unedited_example_env_file_is_refused():
    """Every placeholder of deploy/systemd/mpaka.env.example stops start-up, each by name."""
    with pytest.raises(ConfigError) as excinfo:
        create_app(example_settings())
    message = str(excinfo.value)
    for name in ("SECRET_KEY", "ENCRYPTION_KEYS", "PHONE_HASH_KEY", "AT_WEBHOOK_SECRET",
                 "AT_API_KEY", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "METRICS_TOKEN"):
        assert name in message, name


@pytest.mark.parametrize(
    ("change", "named"),
    [
        pytest.param({"SECRET_KEY": "a" * 40}, "SECRET_KEY", id="one repeated character"),
        pytest.param({"SECRET_KEY": "abcd" * 10}, "SECRET_KEY", id="four characters repeated"),
        pytest.param({"SECRET_KEY": "change-me-64-random-hex-characters"}, "SECRET_KEY",
                     id="placeholder of 34 characters"),
        pytest.param({"PHONE_HASH_KEY": "y"}, "PHONE_HASH_KEY", id="hash key of one character"),
        pytest.param({"ENCRYPTION_KEYS": "change-me-fernet-key"}, "ENCRYPTION_KEYS",
                     id="not a Fernet key"),
        pytest.param({"AT_WEBHOOK_SECRET": "secret"}, "AT_WEBHOOK_SECRET", id="short webhook secret"),
        pytest.param({"METRICS_TOKEN": None, "METRICS_ALLOW": None}, "/metrics",
                     id="metrics open to anyone"),
    ],
)
def test_weak_secret_is_refused_by_name(change, named):
    """Placeholders, short keys, low-entropy keys and invalid Fernet keys are refused."""
    config = {**SECURE, **{k: v for k, v in change.items() if v is not None}}
    for name in (k for k, v in change.items() if v is None):
        config.pop(name, None)
    with pytest.raises(ConfigError) as excinfo:
        create_app(config)
    assert named in str(excinfo.value)


@pytest.mark.parametrize("spelling", ["Production", "PRODUCTION", " production "])
def test_any_case_of_production_is_production(spelling):
    """MPAKA_ENV=Production runs every check, as production does."""
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**SECURE, "MPAKA_ENV": spelling, "SECRET_KEY": "a" * 40})


@pytest.mark.parametrize("value", ["prod", "live", "staging"])
def test_unknown_environment_is_refused(value):
    """A mode that is not development, test or production stops start-up, by name."""
    with pytest.raises(ConfigError, match="MPAKA_ENV"):
        create_app({**SECURE, "MPAKA_ENV": value})


def test_invalid_encryption_key_is_refused_in_development_too():
    """An invalid Fernet key stops start-up in any mode, instead of a 500 on every report."""
    with pytest.raises(ConfigError, match="ENCRYPTION_KEYS entry 2"):
        create_app({"ENCRYPTION_KEYS": Fernet.generate_key().decode() + ",not-a-key",
                    "TESTING": True})

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


@pytest.mark.parametrize(("mode", "teams"), [("production", 0), ("development", 6)])
def test_seed_creates_demo_teams_only_outside_production(tmp_path, mode, teams):
    """`mpaka seed` in production creates the script and the admin, never teams
    with real-looking demo numbers."""
    from sqlalchemy import func, select

    from gateway.cli.dev import _seed
    from gateway.core import config as config_module
    from gateway.core.services import Services
    from gateway.store import migrate
    from gateway.store.models import Team, User

    url = f"sqlite:///{tmp_path / 'seed.sqlite3'}"
    migrate.upgrade(url)
    settings = config_module.finalise(config_module.from_environment({}) | {
        "MPAKA_ENV": mode, "DATABASE_URL": url, "MPAKA_DATA_DIR": str(tmp_path),
        "MPAKA_ADMIN_PASSWORD": "a-long-admin-password"})
    _seed(settings)
    svc = Services(settings)
    try:
        with svc.db() as db:
            assert db.scalar(select(func.count(Team.id))) == teams
            assert db.scalar(select(User.username)) == "admin"
    finally:
        svc.close()


# -- under gunicorn: the refusal as plain lines on stderr -------------------------------

ROOT = Path(__file__).resolve().parents[2]


def gunicorn_stderr(tmp_path, **settings) -> tuple[int, str]:
    """Run gunicorn with gunicorn.conf.py and ``settings`` (nothing else of
    ours from this environment); its exit status and stderr."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MPAKA", "PROMETHEUS")) and k not in SECURE}
    env |= {"PORT": str(free_port()), "MPAKA_DATA_DIR": str(tmp_path), "WEB_CONCURRENCY": "1",
            "GUNICORN_TIMEOUT": "60", "PYTHONPATH": str(ROOT)}
    env |= {k: v for k, v in settings.items() if v is not None}
    proc = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
        env=env, capture_output=True, text=True, timeout=DEADLINE)
    return proc.returncode, proc.stderr


def test_gunicorn_refusal_is_one_plain_line_per_problem_on_stderr(tmp_path):
    """Production mode with a short SECRET_KEY, no AT webhook secret and an open
    /metrics: gunicorn exits 78 before any worker boots, and stderr carries one
    readable ``mpaka:`` line per problem, not a JSON traceback."""
    status, stderr = gunicorn_stderr(
        tmp_path, **{**SECURE, "SECRET_KEY": "short", "AT_WEBHOOK_SECRET": None,
                     "METRICS_TOKEN": None})
    assert status == 78, stderr
    ours = [line for line in stderr.splitlines() if line.startswith("mpaka:")]
    assert ours[0] == "mpaka: refusing to start in production mode:"
    problems = ours[1:]
    assert len(problems) == 3, stderr
    assert problems[0].startswith("mpaka:   - SECRET_KEY is shorter than 32 characters")
    assert problems[1].startswith("mpaka:   - AT_WEBHOOK_SECRET is missing")
    assert problems[2].startswith("mpaka:   - /metrics would be open to anyone")
    assert "Traceback" not in stderr and "Booting worker" not in stderr


def test_gunicorn_worker_refusing_its_settings_stops_gunicorn_with_a_plain_line(tmp_path):
    """A setting only the app itself checks (a bad TRUSTED_PROXY_ADDRESSES):
    the worker prints it as one plain line and gunicorn stops ("App failed to
    load", status 4) instead of respawning workers with tracebacks."""
    status, stderr = gunicorn_stderr(tmp_path, TRUSTED_PROXY_ADDRESSES="not-an-address")
    assert status == 4, stderr
    assert "mpaka: TRUSTED_PROXY_ADDRESSES: 'not-an-address' is not an address or network" \
        in stderr.splitlines()
    assert "Traceback" not in stderr
