"""``mpaka reporter forget`` and ``mpaka retention run``: erasure and retention."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from gateway.core.services import current_services
from gateway.errors import InvalidPhone
from gateway.ops.progress import progress
from gateway.privacy import retention as retention_module
from handlers.phones import mask_phone, normalise_phone


@click.group()
def reporter():
    """Reporters' data (erasure requests)."""


@reporter.command()
@click.argument("phone")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def forget(phone, yes):
    """Erase everything linked to PHONE: unfinished dialogues, sessions, numbers and media on
    reports, ledger."""
    try:
        e164 = normalise_phone(phone)
    except InvalidPhone as exc:
        raise click.BadParameter(str(exc), param_hint="PHONE") from None
    if not yes:
        click.confirm(f"Erase everything linked to {mask_phone(e164)}?", abort=True)
    erased = retention_module.forget(current_services(), e164)
    click.echo(f"Erased for {mask_phone(e164)}:")
    click.echo(f"  reports whose number was removed: {erased['reports']}")
    click.echo(f"  ledger messages stripped:         {erased['messages']}")
    click.echo(f"  photos, voice notes and videos:   {erased['attachments']} deleted")
    click.echo(f"  unfinished dialogues, sessions and limits:      {erased['redis_keys']} Redis key(s)")
    click.echo(f"  reports waiting for the database: {erased['parked_reports']}")


@click.group()
def retention():
    """Data retention."""


@retention.command("run")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def run_retention(as_json):
    """Remove numbers and descriptions older than RETENTION_DAYS now."""
    counts = retention_module.purge_expired(current_services(), iterate=progress)
    if as_json:
        click.echo(json.dumps(counts))
    else:
        click.echo(f"stripped {counts['reports']} report(s) and {counts['messages']} message(s); "
                   f"deleted {counts['attachments']} media file(s)")


@click.group()
def keys():
    """Encryption keys."""


@keys.command()
@with_appcontext
def rotate():
    """Re-encrypt every stored number under the newest ENCRYPTION_KEYS key.

    Put the new key first in ENCRYPTION_KEYS (old keys after it), restart, run
    this, then remove the old key."""
    counts = retention_module.reencrypt(current_services(), iterate=progress)
    click.echo(f"re-encrypted {counts['reports']} report number(s), "
               f"{counts['messages']} ledger number(s) and {counts['media']} media file(s)")
