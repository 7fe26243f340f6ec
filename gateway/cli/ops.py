"""``mpaka db ...`` (Alembic migrations) and ``mpaka queue ...`` (RQ)."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from gateway.core.services import QUEUE_NAMES, current_services
from gateway.store import migrate


@click.group()
def db():
    """Database schema migrations."""


@db.command()
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision):
    """Apply migrations up to REVISION (default: the latest)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db.command()
@click.argument("revision")
@with_appcontext
def downgrade(revision):
    """Revert migrations down to REVISION."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db.command()
@with_appcontext
def current():
    """Show the applied and the latest revision."""
    url = current_app.config["DATABASE_URL"]
    click.echo(f"applied: {migrate.current_revision(current_services().engine)}")
    click.echo(f"latest:  {migrate.head_revision(url)}")


@click.group()
def queue():
    """Background job queues."""


@queue.command()
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def status(as_json):
    """Queue depths, failed jobs and scheduled checks."""
    svc = current_services()
    rows = []
    for name in QUEUE_NAMES:
        q = svc.queue(name)
        rows.append({
            "queue": name, "queued": q.count, "failed": q.failed_job_registry.count,
            "scheduled": q.scheduled_job_registry.count, "started": q.started_job_registry.count,
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'queue':<12} {'queued':>7} {'started':>8} {'scheduled':>10} {'failed':>7}")
    for r in rows:
        click.echo(f"{r['queue']:<12} {r['queued']:>7} {r['started']:>8} {r['scheduled']:>10} {r['failed']:>7}")


@queue.command("retry-failed")
@with_appcontext
def retry_failed():
    """Requeue every failed job."""
    svc = current_services()
    total = 0
    for name in QUEUE_NAMES:
        registry = svc.queue(name).failed_job_registry
        for job_id in registry.get_job_ids():
            registry.requeue(job_id)
            total += 1
    click.echo(f"requeued {total} failed job(s)")
