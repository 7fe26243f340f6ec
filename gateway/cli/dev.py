"""``mpaka dev`` (the whole system in one command), ``serve``, ``worker``, ``seed``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from gateway.core import config as config_module
from gateway.core.services import QUEUE_NAMES, Services, start_embedded_redis, uses_external_redis
from gateway.store import migrate
from gateway.store.seed import seed
from workers import runner

#: Seconds the children get to stop before they are killed (the whole stop stays under 10).
STOP_GRACE_SECONDS = 7


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--data-dir", default=lambda: os.environ.get("MPAKA_DATA_DIR", "instance"),
              show_default="instance", help="Where the SQLite file and embedded Redis live.")
@click.option("--verbose", is_flag=True,
              help="Also show RQ's own lines (worker and scheduler chatter at INFO).")
def dev(host, port, data_dir, verbose):
    """Start everything: web app, one worker with its scheduler, embedded Redis,
    SQLite and the console provider.  Ctrl-C stops it all.

    The terminal shows the gateway's own lines: requests, dialogues, routing,
    alerts sent through the console provider; RQ's lines only from WARNING up
    unless ``--verbose``."""
    env = os.environ.copy()
    env["MPAKA_DATA_DIR"] = str(Path(data_dir).resolve())
    env.setdefault("SMS_PROVIDER", "console")
    env.setdefault("WHATSAPP_PROVIDER", "console")
    env.setdefault("MPAKA_LOG_FORMAT", "console")
    if verbose:
        env["MPAKA_RQ_LOG_LEVEL"] = "INFO"
    else:
        env.setdefault("MPAKA_RQ_LOG_LEVEL", "WARNING")
    settings = config_module.finalise(config_module.from_environment(env))
    env["DATABASE_URL"] = settings["DATABASE_URL"]

    embedded = None
    if not uses_external_redis(settings):
        embedded = start_embedded_redis(settings["MPAKA_DATA_DIR"])
        env["REDIS_URL"] = f"unix://{embedded.socket_file}"
        click.echo(f"embedded Redis: {embedded.socket_file} (pid {embedded.pid})")
    click.echo(f"database: {settings['DATABASE_URL']}")

    migrate.upgrade(settings["DATABASE_URL"])
    _seed(config_module.finalise(config_module.from_environment(env)))

    # Each child leads its own process group (the worker's scheduler joins the
    # worker's), so stopping a group stops everything under it, whoever was
    # signalled: Ctrl-C in the terminal, or SIGTERM/SIGINT to this process alone.
    signal.signal(signal.SIGTERM, _interrupt)
    children = [
        _Child("worker", [sys.executable, "-m", "gateway.cli.main", "worker"], env),
        _Child("web", [sys.executable, "-m", "gateway.cli.main", "serve", "--host", host,
                       "--port", str(port)], env),
    ]
    click.echo(f"Mpaka is running on http://{host}:{port}  (Ctrl-C to stop)")
    click.echo(f"Try it: mpaka simulate --channel ussd --phone +254712345678 --url http://{host}:{port}")
    try:
        while True:  # a child that dies is started again, with backoff; Ctrl-C stops all
            for child in children:
                child.tend()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        _stop([child.proc for child in children])
        if embedded is not None:
            embedded.shutdown()
    click.echo("stopped")


class _Child:
    """One process of ``mpaka dev``, started again when it dies: after 1 s, then
    2, 4 … up to ``RESTART_BACKOFF_CAP`` while it keeps dying; a child that ran
    ``HEALTHY_SECONDS`` starts from 1 s again."""

    RESTART_BACKOFF_CAP = 30.0
    HEALTHY_SECONDS = 60.0

    def __init__(self, name: str, argv: list[str], env: dict) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.backoff = 1.0
        self.restart_at: float | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv, env=self.env, start_new_session=True)
        self.started_at = time.monotonic()
        self.restart_at = None

    def tend(self) -> None:
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                click.echo(f"starting the {self.name} again", err=True)
                self.start()
            return
        code = self.proc.poll()
        if code is None:
            return
        _signal_group(self.proc, signal.SIGKILL)  # what it leaves (a worker's scheduler)
        if now - self.started_at > self.HEALTHY_SECONDS:
            self.backoff = 1.0
        click.echo(f"the {self.name} exited with code {code}: starting it again in "
                   f"{self.backoff:.0f} s", err=True)
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, self.RESTART_BACKOFF_CAP)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(child.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _stop(children: list[subprocess.Popen], grace: float = STOP_GRACE_SECONDS) -> None:
    """Ask every child's process group to stop (SIGINT: warm shutdown), then
    kill whatever is left once ``grace`` seconds have passed."""
    for child in children:
        _signal_group(child, signal.SIGINT)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for child in children:  # the group too: a scheduler must not outlive its worker
        _signal_group(child, signal.SIGKILL)
        child.wait()


def _seed(settings: dict) -> None:
    svc = Services(settings)
    try:
        with svc.db() as db:
            # Demo teams have real-looking numbers: never in production.
            demo = settings.get("MPAKA_ENV") != "production"
            created = seed(db, admin_password=settings.get("MPAKA_ADMIN_PASSWORD"), demo=demo)
        if not demo:
            click.echo("production: no demo teams were created; add your teams in the console "
                       "or with `mpaka teams import FILE.csv`")
        if created.get("admin_password"):
            click.echo(
                "Created the admin user.  Username: admin  Password: "
                f"{created['admin_password']}  (shown once; set MPAKA_ADMIN_PASSWORD to choose)"
            )
    finally:
        svc.engine.dispose()


@click.command("seed")
@with_appcontext
def seed_command():
    """Create the default script, the admin user and demo teams (idempotent)."""
    _seed(dict(current_app.config))
    click.echo("seeded")


@click.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def serve(host, port):
    """Run the web app on the development server (use gunicorn in production)."""
    from werkzeug.serving import run_simple

    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--queue", "queues", multiple=True, help="Queues to listen on (default: all).")
@click.option("--fork", is_flag=True,
              help="Run each job in a forked process (isolation at the cost of latency).")
@with_appcontext
def worker(burst, queues, fork):
    """Run an RQ worker with its scheduler (delayed jobs, escalation checks).

    By default jobs run in the worker's own process: the parsed script and
    translation tables, and the database pool, are reused from job to job,
    which keeps report-to-alert well under a second.  Run several workers for
    throughput (and isolation: one stuck job holds up only its own worker).

    The worker rides out a Redis outage (``WORKER_REDIS_PATIENCE_SECONDS``,
    then it keeps trying): its scheduler is restarted within seconds if it
    dies, and the worker itself never exits on a Redis error.
    """
    settings = dict(current_app.config)
    runner.run(runner.worker_services(settings), queues=queues or QUEUE_NAMES, burst=burst,
               fork=fork, logging_level=str(settings["MPAKA_RQ_LOG_LEVEL"]).upper())
