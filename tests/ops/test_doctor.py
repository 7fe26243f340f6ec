"""``mpaka doctor`` on a good and on a broken configuration."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import delete

from bench import env
from gateway.cli.doctor import diagnose, doctor
from gateway.core import config as config_module
from gateway.store.models import Report, TeamMember
from gateway.store.seed import demo_numbers

GOOD = {
    "MPAKA_ENV": "production",
    "SECRET_KEY": "a-long-random-secret-for-the-doctor-test-0123456789",
    "PHONE_HASH_KEY": "another-random-value-for-hashing-0123456789",
    "SMS_PROVIDER": "africastalking",
    "WHATSAPP_PROVIDER": "twilio",
    "AT_USERNAME": "mpaka",
    "AT_API_KEY": "atsk_test",
    "AT_WEBHOOK_SECRET": "s3cret-for-callbacks",
    "TWILIO_ACCOUNT_SID": "AC123",
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_WHATSAPP_FROM": "whatsapp:+254700000000",
    "PUBLIC_BASE_URL": "https://mpaka.example.org",
    "METRICS_TOKEN": "scrape-token-7f3a9c2e1b",
    "ALLOW_SQLITE_IN_PRODUCTION": "1",
}


def settings(config, **overrides) -> dict:
    return config_module.finalise(config_module.from_environment({}) | config | overrides)


def without_demo_members(svc) -> None:
    with svc.db() as db:
        db.execute(delete(TeamMember).where(TeamMember.phone.in_(demo_numbers())))
        db.commit()


def test_doctor_passes_a_good_configuration(app, svc, config):
    """Every dependency answers and nothing is insecure: no FAIL, all checks ok."""
    without_demo_members(svc)
    findings = diagnose(settings(config, **GOOD, ENCRYPTION_KEYS=Fernet.generate_key().decode()))
    assert not [f for f in findings if f.status == "FAIL"], findings
    by_check = {f.check: f for f in findings}
    for check in ("redis", "database", "migrations", "dialogue script", "PUBLIC_BASE_URL",
                  "Africa's Talking", "Twilio", "MEDIA_DIR"):
        assert by_check[check].status == "ok", by_check[check]


def test_doctor_command_reports_what_to_fix_on_a_broken_configuration(app, config):
    """Unreachable Redis, default secrets in production, missing provider
    credentials, an http public URL: exit 1, each named with its fix, even
    though production mode would refuse to start the app itself."""
    env = {k: str(v) for k, v in config.items() if isinstance(v, str)}
    env |= {"MPAKA_ENV": "production", "REDIS_URL": "redis://127.0.0.1:1/0",
            "SMS_PROVIDER": "africastalking", "PUBLIC_BASE_URL": "http://mpaka.example.org",
            "SECRET_KEY": "short"}
    result = CliRunner(env=env).invoke(doctor, [])
    assert result.exit_code == 1, result.output
    failed = " ".join(line for line in result.output.splitlines()
                      if line.lstrip().startswith("FAIL"))
    for check in ("redis", "SECRET_KEY", "ENCRYPTION_KEYS", "Africa's Talking", "PUBLIC_BASE_URL",
                  "AT_WEBHOOK_SECRET"):
        assert check in failed, result.output
    assert "fix: start Redis or correct REDIS_URL" in result.output
    assert "problem(s)" in result.output.splitlines()[-1]
    json_result = CliRunner(env=env).invoke(doctor, ["--json"])
    assert {"status": "FAIL", "check": "redis"}.items() <= next(
        f for f in json.loads(json_result.stdout) if f["check"] == "redis").items()


def test_doctor_fails_on_demo_numbers_in_production(app, config):
    """Seeded demo teams (+254 700 000 xxx) left in production are a FAIL with the fix."""
    findings = {f.check: f for f in diagnose(settings(
        config, **GOOD, ENCRYPTION_KEYS=Fernet.generate_key().decode()))}
    assert findings["demo data"].status == "FAIL"
    assert "teams import" in findings["demo data"].fix


def test_doctor_names_numbers_no_configured_key_can_read(app, svc, config):
    """With only a key that did not encrypt them, stored numbers are a FAIL that
    says the old key is missing, not a silent blank."""
    with svc.db() as db:
        db.add(Report(reference="R-OLDKEY", channel="sms", language="eng", category="other",
                      county="busia", severity="low", contact_allowed=True,
                      reporter_phone=svc.protector.encrypt("+254712000111"),
                      script_id="report", script_version="1", answers={}))
        db.commit()
    findings = {f.check: f for f in diagnose(settings(
        config, ENCRYPTION_KEYS=Fernet.generate_key().decode()))}
    assert findings["encryption keys"].status == "FAIL"
    assert "not in ENCRYPTION_KEYS" in findings["encryption keys"].message
    assert "mpaka keys rotate" in findings["encryption keys"].fix


def test_doctor_fails_on_a_media_dir_it_cannot_write(app, config, tmp_path):
    """A MEDIA_DIR that is not a writable folder is a FAIL naming the fix."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    findings = diagnose(settings(config, MEDIA_DIR=str(blocker / "media")))
    [media] = [f for f in findings if f.check == "MEDIA_DIR"]
    assert media.status == "FAIL" and "MEDIA_DIR" in media.fix


# -- Redis persistence, against real redis-server processes ----------------------------

needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None,
                                        reason="the redis-server binary is not installed")


@pytest.fixture
def redis_server(tmp_path):
    """Start a private redis-server on a free loopback port with the given extra
    arguments; every one started is stopped by its pid at the end."""
    started: list[env.Process] = []

    def start(*args: str) -> str:
        port = env.free_port()
        directory = tmp_path / f"redis-{port}"
        directory.mkdir()
        proc = env.Process([shutil.which("redis-server"), "--port", str(port), "--bind",
                            "127.0.0.1", "--dir", str(directory), "--protected-mode", "no",
                            *args], log=directory / "redis.log").start()
        started.append(proc)
        env.wait_for_port(port, proc=proc.proc)
        return f"redis://127.0.0.1:{port}/0"

    yield start
    for proc in started:
        proc.stop(timeout=10)


def persistence(config, redis_url: str):
    return {f.check: f for f in diagnose(settings(config, REDIS_URL=redis_url))}[
        "redis persistence"]


@needs_redis_server
def test_doctor_warns_when_redis_does_not_persist(app, config, redis_server):
    """A Redis with neither AOF nor RDB snapshots is a warning that says what a
    restart loses and how to turn AOF on."""
    finding = persistence(config, redis_server("--appendonly", "no", "--save", ""))
    assert finding.status == "warn"
    assert "no AOF, no RDB" in finding.message and "retries" in finding.message
    assert "appendonly yes" in finding.fix


@needs_redis_server
def test_doctor_accepts_redis_with_aof(app, config, redis_server):
    """`--appendonly yes`: persistence is ok, with its fsync policy named."""
    finding = persistence(config, redis_server("--appendonly", "yes", "--save", ""))
    assert finding.status == "ok"
    assert finding.message == "AOF on (appendfsync everysec)"


@needs_redis_server
def test_doctor_accepts_redis_with_rdb_snapshots_only(app, config, redis_server):
    """RDB snapshots alone persist: ok, saying what a crash can lose."""
    finding = persistence(config, redis_server("--appendonly", "no", "--save", "60 1"))
    assert finding.status == "ok"
    assert finding.message.startswith("RDB snapshots only (save 60 1)")


@needs_redis_server
def test_doctor_says_it_could_not_check_when_config_is_disabled(app, config, redis_server):
    """CONFIG renamed away (as on managed servers): with AOF on, INFO still
    shows it (ok); with AOF off, a warning says it could not check."""
    finding = persistence(config, redis_server("--appendonly", "yes", "--rename-command",
                                               "CONFIG", ""))
    assert finding.status == "ok" and "CONFIG is not available" in finding.message
    finding = persistence(config, redis_server("--appendonly", "no", "--save", "",
                                               "--rename-command", "CONFIG", ""))
    assert finding.status == "warn"
    assert finding.message.startswith("could not check: CONFIG GET is refused")


def test_doctor_warns_about_the_default_cap_sender(app, config):
    """The CAP feed's default sender is a warning; an organisation's own is not."""
    default = {f.check: f for f in diagnose(settings(config, **GOOD))}
    assert default["CAP_SENDER"].status == "warn"
    own = {f.check for f in diagnose(settings(config, **GOOD, CAP_SENDER="mpaka@ncc.go.ke"))}
    assert "CAP_SENDER" not in own
