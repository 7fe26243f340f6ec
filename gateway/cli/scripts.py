"""``mpaka scripts ...``: check a dialogue script file with the linter."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gateway.defaults import gazetteer_text
from gateway.dialogue import lint_script, load_script
from gateway.dialogue.cost import path_costs


@click.group()
def scripts():
    """Dialogue scripts."""


@scripts.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(path):
    """Lint a script file: errors, warnings, translation coverage, screen sizes."""
    report = lint_script(path.read_text("utf-8"), gazetteer_text=gazetteer_text())
    click.echo(report.format())
    if report.ok:  # what a full report costs, per language and channel
        script = load_script(path.read_text("utf-8"), gazetteer_text=gazetteer_text())
        for cost in path_costs(script):
            click.echo(cost.format())
    sys.exit(0 if report.ok else 1)
