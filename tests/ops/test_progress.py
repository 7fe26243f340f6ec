"""Long commands report progress on stderr: plain lines when not on a terminal."""

from __future__ import annotations

import io

from gateway.cli.records import export_teams, import_teams
from gateway.ops.progress import progress


def test_plain_progress_lines_off_a_terminal():
    """Every tenth of the way, and at the end, a 'label: n/total (p%)' line."""
    out = io.StringIO()
    assert list(progress(range(200), "rows", stream=out)) == list(range(200))
    lines = out.getvalue().splitlines()
    assert lines[0] == "rows: 20/200 (10%)" and lines[-1] == "rows: 200/200 (100%)"
    assert len(lines) == 10


def test_short_runs_stay_quiet_off_a_terminal():
    """A handful of items prints nothing."""
    out = io.StringIO()
    assert list(progress(range(5), "rows", stream=out)) == list(range(5))
    assert out.getvalue() == ""


def test_teams_import_and_export_show_progress_on_stderr(app, tmp_path, monkeypatch):
    """The CSV stays clean on stdout; progress goes to stderr."""
    monkeypatch.setattr("gateway.ops.progress.MIN_ITEMS", 1)
    runner = app.test_cli_runner()
    exported = runner.invoke(export_teams)
    assert exported.exit_code == 0
    assert exported.stdout.startswith("team,") and "exporting teams" not in exported.stdout
    assert "exporting teams: 6/6 (100%)" in exported.stderr
    path = tmp_path / "teams.csv"
    path.write_text(exported.stdout)
    imported = runner.invoke(import_teams, [str(path)])
    assert imported.exit_code == 0, imported.output
    assert "importing rows:" in imported.stderr and "(100%)" in imported.stderr
