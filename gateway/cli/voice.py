"""``mpaka voice ...``: audio prompts for the voice dialogue (gateway.store.prompts)."""

from __future__ import annotations

import sys
import textwrap

import click
from flask.cli import with_appcontext

from gateway.errors import ScriptNotFound
from gateway.store import prompts, script_versions


@click.group()
def voice():
    """Voice calls: audio prompts."""


@voice.group("prompts")
def prompts_group():
    """Audio prompts: one file per text and language of a script version."""


@prompts_group.command("build")
@click.option("--version", "version", type=int,
              help="Script version number (default: the published one).")
@click.option("--language", "languages", multiple=True,
              help="Only this language (ISO 639-3 code as in the script, e.g. swa); repeatable.")
@click.option("--script", "script_id", default=script_versions.DEFAULT_SCRIPT_ID,
              show_default=True)
@with_appcontext
def build(version, languages, script_id):
    """Speak draft prompts with espeak-ng (English, Kiswahili, Borana through
    its Oromo voice) and list, per language, the texts that still need a
    person's recording.  Recordings uploaded in the console are never
    overwritten; drafts whose text is unchanged are not spoken again."""
    from flask import current_app

    from gateway.core.services import current_services

    try:
        with current_services().db() as db:
            if version is None:
                version = script_versions.live_row(db).version
            script = script_versions.get_version(db, script_id, str(version))
    except ScriptNotFound as exc:
        click.echo(f"not built: {exc}", err=True)
        sys.exit(1)
    unknown = [code for code in languages if code not in script.languages]
    if unknown:
        click.echo(f"not built: the script has no language {', '.join(unknown)} "
                   f"(it has {', '.join(script.languages)})", err=True)
        sys.exit(1)
    missing_tools = prompts.tools_missing()
    if missing_tools:
        click.echo(f"not built: install {' and '.join(missing_tools)} "
                   "(Debian: apt-get install espeak-ng ffmpeg)", err=True)
        sys.exit(1)
    root = current_app.config["PROMPTS_DIR"]
    chosen = list(languages) or list(script.languages)
    click.echo(f"prompts of {script_id} v{version} in {root}/{version}")
    try:
        for language in chosen:
            result = prompts.build_drafts(root, version, script, language)
            if result.voice is None:
                click.echo(f"{language}: espeak-ng has no voice for it, no drafts")
            else:
                click.echo(f"{language}: {result.spoken} draft(s) spoken (espeak-ng {result.voice}), "
                           f"{result.unchanged} unchanged, {result.kept} recording(s) kept")
    except prompts.PromptError as exc:
        click.echo(f"not built: {exc}", err=True)
        sys.exit(1)
    for st in prompts.status(root, version, script):
        if st.language not in chosen:
            continue
        click.echo(st.format())
        if st.missing_recording:
            keys = ", ".join(st.missing_recording)
            click.echo(textwrap.indent(textwrap.fill(
                f"need a recording ({st.language}): {keys}", 96), "  "))
