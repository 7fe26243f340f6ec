"""Voice prompts of a script version (admins): per language, every text with
its prompt's state (recorded by a person, draft spoken by espeak-ng, missing),
a player, and an upload of a person's recording (MP3 or WAV, checked by its
first bytes, converted to the MP3 Africa's Talking plays; audited)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from gateway.store import prompts, script_versions
from gateway.web.context import allow_large_bodies

from .common import audit, console_blueprint, db
from .script_editor import version_row

bp = console_blueprint("voice_prompts", admin_only=True)
#: The HTTP body's ceiling; the recording's own limit is PROMPT_MAX_BYTES,
#: checked in the view so that an admin is told the limit in words.
UPLOAD_CEILING = 32 * 1024 * 1024
allow_large_bodies("voice_prompts", UPLOAD_CEILING)


def _script(script_id: str, number: int):
    row = version_row(script_id, number)
    return row, script_versions.parse_version(row)


@bp.get("/scripts/<script_id>/versions/<int:number>/prompts")
def index(script_id, number):
    row, script = _script(script_id, number)
    language = request.args.get("language") or script.base_language
    if language not in script.languages:
        abort(404, f"The script has no language {language}.")
    root = current_app.config["PROMPTS_DIR"]
    statuses = prompts.status(root, number, script)
    entries = []
    for key, text in prompts.texts(script, language).items():
        path = prompts.prompt_path(root, number, language, key)
        state = ("recorded" if prompts.is_recorded(root, number, language, key)
                 else "draft" if path.is_file() else "missing")
        src = (f"{prompts.url_path(number, language, key)}?v={int(path.stat().st_mtime)}"
               if path.is_file() else None)
        entries.append({"key": key, "text": text, "state": state, "src": src})
    return render_template("console/voice_prompts.html", row=row, script=script,
                           language=language, statuses=statuses, entries=entries,
                           max_kb=current_app.config["PROMPT_MAX_BYTES"] // 1024)


@bp.post("/scripts/<script_id>/versions/<int:number>/prompts/<language>/<key>")
def upload(script_id, number, language, key):
    _row, script = _script(script_id, number)
    if language not in script.languages or key not in prompts.texts(script, language):
        abort(404, "The script has no such text in that language.")
    upload_file = request.files.get("recording")
    if upload_file is None or not upload_file.filename:
        abort(400, "Choose an MP3 or WAV file to upload.")
    limit = current_app.config["PROMPT_MAX_BYTES"]
    data = upload_file.read(limit + 1)
    try:
        prompts.save_recording(current_app.config["PROMPTS_DIR"], number, language, key, data,
                               max_bytes=limit)
    except prompts.PromptError as exc:
        abort(400, f"The recording was not saved: {exc}.")
    audit("voice.prompt_uploaded", f"{script_id} v{number}", language=language, key=key,
          bytes=len(data))
    db().commit()
    flash(f"Recording saved for {key} ({language}).")
    return redirect(url_for("voice_prompts.index", script_id=script_id, number=number,
                            language=language) + f"#{key}")
