"""``mpaka scripts ...``: check a dialogue script file with the linter; export
and import translators' PO files (gateway.store.translations)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import ScriptInfo, with_appcontext

from gateway.core import config
from gateway.defaults import gazetteer_text
from gateway.dialogue import lint_script, load_script
from gateway.dialogue.cost import path_costs
from gateway.errors import ScriptNotFound, TranslationError
from gateway.store import prompts, script_versions, translations
from gateway.store.models import AuditEntry


@click.group()
def scripts():
    """Dialogue scripts."""


@scripts.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--prompts-version", type=int,
              help="Count the voice prompts of this script version number in PROMPTS_DIR "
                   "(default: the file's own version, when it is a number).")
def check(path, prompts_version):
    """Lint a script file: errors, warnings, translation coverage, screen sizes,
    voice prompts present and still to record per language."""
    report = lint_script(path.read_text("utf-8"), gazetteer_text=gazetteer_text())
    click.echo(report.format())
    if report.ok:  # what a full report costs, per language and channel
        script = load_script(path.read_text("utf-8"), gazetteer_text=gazetteer_text())
        for cost in path_costs(script):
            click.echo(cost.format())
        version = prompts_version if prompts_version is not None else script.version
        if str(version).isdigit():
            root = _prompts_dir()
            for st in prompts.status(root, version, script):
                click.echo(f"{st.format()} (version {version})")
    sys.exit(0 if report.ok else 1)


def _prompts_dir() -> str:
    """``PROMPTS_DIR`` of the app the command runs under, else of the environment."""
    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None:
        try:
            return str(info.load_app().config["PROMPTS_DIR"])
        except Exception:  # no app to load (a bare `scripts check`): the settings will do
            pass
    return str(config.finalise(config.from_environment())["PROMPTS_DIR"])


@scripts.command("export-translations")
@click.option("--language", required=True, help="ISO 639-3 code, e.g. tuv.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the PO file here (default: standard output).")
@click.option("--script", "script_id", default=script_versions.DEFAULT_SCRIPT_ID,
              show_default=True, help="The script whose live version is exported.")
@with_appcontext
def export_translations(language, output, script_id):
    """Write the live script's texts in LANGUAGE as a gettext PO file: msgid the
    English text, msgctxt its key, a comment with its screen budget, msgstr the
    translation, `fuzzy` for a draft."""
    from gateway.core.services import current_services

    try:
        with current_services().db() as db:
            row = script_versions.live_row(db, script_id)
            body, version = row.body, row.version
        text = translations.export_text(body, language)
    except (ScriptNotFound, TranslationError) as exc:
        click.echo(f"not exported: {exc}", err=True)
        sys.exit(1)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, "utf-8")
        click.echo(f"wrote {output}: {language} texts of {script_id} v{version}", err=True)


@scripts.command("import-translations")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--script", "script_id", default=script_versions.DEFAULT_SCRIPT_ID,
              show_default=True, help="The script whose live version the file is merged into.")
@with_appcontext
def import_translations(path, script_id):
    """Merge a PO file into a new DRAFT version of the live script (never
    published): entries not marked fuzzy become reviewed.  A translation that
    drops a placeholder or makes a screen too long refuses the file, nothing saved."""
    from gateway.core.services import current_services

    try:
        po_text = path.read_text("utf-8")
    except UnicodeDecodeError:
        click.echo("not imported: the PO file is not UTF-8", err=True)
        sys.exit(1)
    with current_services().db() as db:
        try:
            row, imported = translations.import_into_draft(db, script_id, po_text, "cli")
        except (ScriptNotFound, TranslationError) as exc:
            problems = getattr(exc, "problems", [str(exc)])
            click.echo(f"not imported ({len(problems)} problem(s)), nothing saved:", err=True)
            for problem in problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        db.add(AuditEntry(actor="cli", action="script.translations_imported",
                          target=f"{script_id} v{row.version}",
                          detail={"language": imported.language, "changed": len(imported.changed),
                                  "reviewed": len(imported.reviewed),
                                  "draft": len(imported.draft), "file": path.name}))
        db.commit()
        report = lint_script(row.body, gazetteer_text=gazetteer_text())
        cov = report.coverage[imported.language]
        click.echo(f"saved draft version {row.version} of {script_id}: {imported.language} "
                   f"{len(imported.changed)} text(s) changed, {len(imported.reviewed)} marked "
                   f"reviewed, {len(imported.draft)} draft; coverage {imported.language}: "
                   f"{cov['translated']}/{cov['total']} translated, {cov['reviewed']} reviewed. "
                   "Try it in the console's simulator, then publish it there.")
