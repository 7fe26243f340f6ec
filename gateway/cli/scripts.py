"""``mpaka scripts ...``: check a dialogue script file with the linter."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gateway.defaults import gazetteer_text
from gateway.dialogue import lint_script


@click.group()
def scripts():
    """Dialogue scripts."""


@scripts.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(path):
    """Lint a script file: errors, warnings, translation coverage, screen sizes."""
    report = lint_script(path.read_text("utf-8"), gazetteer_text=gazetteer_text())
    click.echo(report.format())
    sys.exit(0 if report.ok else 1)
