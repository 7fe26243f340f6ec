"""The ``mpaka`` command: Flask's ``FlaskGroup`` (so ``mpaka routes`` and
``mpaka shell`` work) plus our own commands.  Every command works on the same
data: ``MPAKA_DATA_DIR`` (``instance/`` by default), unless ``REDIS_URL`` and
``DATABASE_URL`` say otherwise."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from gateway.app import create_app
from gateway.cli import (
    counties,
    dev,
    doctor,
    ops,
    partners,
    privacy,
    records,
    scripts,
    simulate,
    tokens,
    users,
    voice,
)


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def main():
    """Mpaka: community reporting gateway (USSD, SMS, WhatsApp)."""


for command in (
    dev.dev, dev.serve, dev.worker, dev.seed_command, ops.db, scripts.scripts,
    simulate.simulate, records.reports, records.messages, records.teams, records.incidents,
    ops.queue, users.users, tokens.tokens, doctor.doctor, privacy.reporter, privacy.retention,
    privacy.keys, voice.voice, partners.partners, counties.counties,
):
    main.add_command(command)


if __name__ == "__main__":
    main()
