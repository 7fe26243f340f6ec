"""``mpaka reporter forget`` and ``mpaka retention run``: erasure and retention."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from handlers.errors import BadRequest
from handlers.phones import mask_phone, normalise_phone


@click.group()
def reporter():
    """Reporters' data (erasure requests)."""


@reporter.command()
@click.argument("phone")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def forget(phone, yes):
    """Erase everything linked to PHONE: drafts, sessions, numbers on reports, ledger."""
    from gateway import retention, services

    try:
        e164 = normalise_phone(phone)
    except BadRequest as exc:
        raise click.BadParameter(str(exc), param_hint="PHONE") from None
    if not yes:
        click.confirm(f"Erase everything linked to {mask_phone(e164)}?", abort=True)
    erased = retention.forget(services(), e164)
    click.echo(f"Erased for {mask_phone(e164)}:")
    click.echo(f"  reports whose number was removed: {erased['reports']}")
    click.echo(f"  ledger messages stripped:         {erased['messages']}")
    click.echo(f"  drafts, sessions and limits:      {erased['redis_keys']} Redis key(s)")
    click.echo(f"  reports waiting for the database: {erased['parked_reports']}")


@click.group()
def retention():
    """Data retention."""


@retention.command("run")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def run_retention(as_json):
    """Remove numbers and descriptions older than RETENTION_DAYS now."""
    from gateway import retention as retention_module
    from gateway import services

    bar = None

    def progress(done, total):
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label="purging")
            bar.__enter__()
        bar.update(done - bar.pos)

    counts = retention_module.purge_expired(services(), progress=progress)
    if bar is not None:
        bar.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps(counts))
    else:
        click.echo(f"stripped {counts['reports']} report(s) and {counts['messages']} message(s)")
