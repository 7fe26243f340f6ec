"""Dialogue scripts (admins): versions, the editor with the linter beside it,
the simulator, publish and roll back, diff, and the funnel of the live script."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import date, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from gateway.core import localtime
from gateway.core.services import current_services
from gateway.dialogue import ScriptError
from gateway.dialogue.yamltext import MAX_BYTES as MAX_SCRIPT_BYTES
from gateway.errors import ScriptNotFound, TranslationError
from gateway.store import funnel as funnel_module
from gateway.store import script_versions, translations
from gateway.store.models import ScriptVersion
from gateway.vocab import ScriptStatus
from gateway.web.context import allow_large_bodies

from . import charts, lintview, scriptdiff, simulator
from .common import audit, console_blueprint, db, now

bp = console_blueprint("scripts", admin_only=True)
#: A form-encoded script can be three times its size (percent-encoded letters):
#: the editor accepts what the loader does, and the loader's own error names the limit.
allow_large_bodies("scripts", 3 * MAX_SCRIPT_BYTES + 64 * 1024)
MAX_BODY = MAX_SCRIPT_BYTES  # what the loader accepts


def versions(script_id: str) -> list[ScriptVersion]:
    return list(db().scalars(select(ScriptVersion).where(ScriptVersion.script_id == script_id)
                             .order_by(ScriptVersion.version.desc())))


def version_row(script_id: str, number: int) -> ScriptVersion:
    row = db().scalar(select(ScriptVersion).where(ScriptVersion.script_id == script_id,
                                                  ScriptVersion.version == number))
    if row is None:
        abort(404, f"Script {script_id} has no version {number}.")
    return row


@bp.get("/scripts")
def index():
    rows = db().scalars(select(ScriptVersion).order_by(ScriptVersion.script_id,
                                                       ScriptVersion.version.desc())).all()
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(row.script_id, []).append(row)
    return render_template("console/scripts.html", scripts=grouped)


@bp.get("/scripts/<script_id>")
def latest(script_id):
    rows = versions(script_id)
    if not rows:
        abort(404, f"There is no script {script_id}.")
    return redirect(url_for("scripts.edit", script_id=script_id, number=rows[0].version))


def editor(row: ScriptVersion, body: str | None = None, sim=None, status: int = 200):
    body = row.body if body is None else body
    rows = versions(row.script_id)
    live = next((r for r in rows if r.is_live), None)
    languages = []
    view = lintview.lint(body)
    if view.ok:
        languages = view.languages
    return render_template(
        "console/script_edit.html", row=row, body=body, lint=view, versions=rows, live=live,
        sim=sim, languages=languages, edited=body != row.body,
    ), status


@bp.get("/scripts/<script_id>/versions/<int:number>")
def edit(script_id, number):
    return editor(version_row(script_id, number))


def posted_body() -> str:
    body = request.form.get("body", "").replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        abort(400, f"The script is longer than the {MAX_BODY // 1024} KB a script may have: "
                   "go back and shorten it (your text is still in the editor).")
    return body


@bp.post("/scripts/<script_id>/versions/<int:number>/check")
def check(script_id, number):
    """The linter's verdict on the text being edited; the page's script asks
    for the panel alone, a browser without JavaScript gets the whole editor."""
    body = posted_body()
    if request.headers.get("X-Requested-With") == "fetch":
        return render_template("console/_lint.html", lint=lintview.lint(body))
    return editor(version_row(script_id, number), body)


@bp.post("/scripts/<script_id>/drafts")
def save(script_id):
    body = posted_body()
    if not versions(script_id):
        abort(404, f"There is no script {script_id}.")
    view = lintview.lint(body)
    row = script_versions.save_draft(db(), script_id, body, current_user.username)
    audit("script.draft_saved", f"{script_id} v{row.version}", errors=len(view.report.errors))
    db().commit()
    if view.ok:
        flash(f"Saved as draft version {row.version}. Try it in the simulator, then publish.")
    else:
        flash(f"Saved as draft version {row.version}, with {len(view.report.errors)} error(s): "
              "fix them before publishing.", "error")
    return redirect(url_for("scripts.edit", script_id=script_id, number=row.version))


@bp.get("/scripts/<script_id>/versions/<int:number>/translations/<language>.po")
def export_translations(script_id, number, language):
    """This version's texts in one language as a gettext PO file, for translators."""
    row = version_row(script_id, number)
    try:
        text = translations.export_text(row.body, language)
    except TranslationError as exc:
        abort(404, str(exc))
    audit("script.translations_exported", f"{script_id} v{number}", language=language)
    db().commit()
    name = f"{script_id}-v{number}-{language}.po"
    return Response(text, mimetype="text/x-gettext-translation",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/scripts/<script_id>/translations")
def import_translations(script_id):
    """A translator's PO file merged into a new draft version of the live
    script (entries not fuzzy become reviewed); refused whole, saving nothing,
    when a text breaks a screen's size or a placeholder."""
    upload = request.files.get("po")
    if not versions(script_id):
        abort(404, f"There is no script {script_id}.")
    if upload is None or not upload.filename:
        abort(400, "Choose a PO file to upload.")
    try:
        po_text = upload.read(translations.MAX_PO_BYTES + 1).decode("utf-8")
    except UnicodeDecodeError:
        abort(400, "The PO file is not UTF-8.")
    try:
        row, imported = translations.import_into_draft(db(), script_id, po_text,
                                                       current_user.username)
    except (TranslationError, ScriptNotFound) as exc:
        db().rollback()
        problems = getattr(exc, "problems", [str(exc)])
        flash(f"The PO file was not imported, nothing was saved ({len(problems)} "
              "problem(s)):", "error")
        for problem in problems[:20]:
            flash(problem, "error")
        live = next((r for r in versions(script_id) if r.is_live), versions(script_id)[0])
        return editor(live, status=400)
    audit("script.translations_imported", f"{script_id} v{row.version}",
          language=imported.language, changed=len(imported.changed),
          reviewed=len(imported.reviewed), draft=len(imported.draft),
          file=(upload.filename or "")[:100])
    db().commit()
    flash(f"Imported {imported.language} as draft version {row.version}: "
          f"{len(imported.changed)} text(s) changed, {len(imported.reviewed)} reviewed, "
          f"{len(imported.draft)} draft. Try it in the simulator, then publish.")
    return redirect(url_for("scripts.edit", script_id=script_id, number=row.version))


def translated_languages(view: lintview.LintView) -> list[str]:
    return [code for code in view.languages if code != view.report.base_language]


#: The texts table's views: (label, which rows it shows).
TEXT_VIEWS: dict[str, tuple[str, Callable[[translations.TextRow], bool]]] = {
    "all": ("All", lambda r: True),
    "untranslated": ("Untranslated", lambda r: not r.translation),
    "draft": ("Not reviewed", lambda r: r.state == "draft"),
    "flagged": ("Too long or flagged", lambda r: r.over or bool(r.problems)),
}


def texts_page(row: ScriptVersion, language: str, *,
               typed: dict[str, tuple[str, bool]] | None = None,
               problems: list[str] | None = None, checked: lintview.LintView | None = None,
               status: int = 200):
    """The texts table of ``language``: each text of this version with its
    translation, size and review state; ``typed`` is what the admin sent,
    shown back when it was refused or only checked (nothing is lost)."""
    try:
        script = script_versions.parse_version(row)
    except ScriptError as exc:
        abort(400, f"Version {row.version} has errors ({exc}); fix them in the YAML editor "
                   "first.")
    view = lintview.lint(row.body)
    languages = translated_languages(view)
    if language not in languages:
        abort(404, f"Script {row.script_id} has no translated language {language!r} "
                   f"(one of: {', '.join(languages)}).")
    report = view.report
    every = translations.text_rows(script, language, list(report.screens),
                                   report.errors + report.warnings)
    show = request.args.get("show", "all")
    show = show if show in TEXT_VIEWS else "all"
    counts = {name: sum(1 for r in every if keep(r)) for name, (_label, keep) in TEXT_VIEWS.items()}
    rows = [r for r in every if TEXT_VIEWS[show][1](r) or r.key in (typed or {})]
    refused = {key for key in (typed or {}) if any(key in p for p in problems or [])}
    return render_template("console/script_texts.html", row=row, language=language,
                           language_name=script.languages[language].name,
                           review=script.languages[language].review, rows=rows,
                           languages=languages, names={c: script.languages[c].name
                                                       for c in languages},
                           lint=checked or view, typed=typed or {}, problems=problems or [],
                           refused=refused, show=show, counts=counts,
                           views={name: label for name, (label, _keep) in TEXT_VIEWS.items()}
                           ), status


def posted_texts() -> dict[str, tuple[str, bool]]:
    """The table's rows as sent: ``text:<key>`` and the ``reviewed:<key>`` box."""
    form = request.form
    return {name[len("text:"):]: (form[name][:2000], form.get("reviewed:" + name[5:]) == "1")
            for name in form if name.startswith("text:")}


def edits_of(typed: dict[str, tuple[str, bool]]) -> list[translations.Edit]:
    return [translations.Edit(key, text, reviewed, repr(key))
            for key, (text, reviewed) in typed.items()]


@bp.get("/scripts/<script_id>/versions/<int:number>/texts")
def texts_index(script_id, number):
    row = version_row(script_id, number)
    languages = translated_languages(lintview.lint(row.body))
    if not languages:
        abort(404, f"Version {number} has no translated language.")
    return redirect(url_for("scripts.texts", script_id=script_id, number=number,
                            language=languages[0]))


@bp.get("/scripts/<script_id>/versions/<int:number>/texts/<language>")
def texts(script_id, number, language):
    return texts_page(version_row(script_id, number), language)


@bp.post("/scripts/<script_id>/versions/<int:number>/texts/<language>")
def save_texts(script_id, number, language):
    """The table's edits saved as a new draft version (audited); refused whole,
    saving nothing and showing back what was typed, when a text drops a
    placeholder, leaves GSM-7 or makes a screen too long."""
    row = version_row(script_id, number)
    typed = posted_texts()
    try:
        merged = translations.edit_texts(row.body, language, edits_of(typed))
    except TranslationError as exc:
        problems = getattr(exc, "problems", [str(exc)])
        if language not in translated_languages(lintview.lint(row.body)):
            abort(404, problems[0])
        flash(f"Nothing was saved: {len(problems)} text(s) refused (see below).", "error")
        return texts_page(row, language, typed=typed, problems=problems, status=400)
    if merged.body == row.body:
        flash("Nothing changed: no new version was saved.")
        return redirect(url_for("scripts.texts", script_id=script_id, number=number,
                                language=language, show=request.args.get("show")))
    saved = script_versions.save_draft(db(), script_id, merged.body, current_user.username)
    states = scriptdiff.summarise(row.body, merged.body)
    mine = next((lang for lang in states.languages if lang.code == language), None)
    audit("script.texts_edited", f"{script_id} v{saved.version}", language=language,
          base=number, changed=len(merged.changed),
          reviewed=len(mine.reviewed) if mine else 0,
          draft=len(mine.unreviewed) if mine else 0)
    db().commit()
    flash(f"Saved {language} as draft version {saved.version}: {len(merged.changed)} text(s) "
          "changed. Try it in the simulator, then publish.")
    return redirect(url_for("scripts.texts", script_id=script_id, number=saved.version,
                            language=language, show=request.args.get("show")))


@bp.post("/scripts/<script_id>/versions/<int:number>/texts/<language>/check")
def check_texts(script_id, number, language):
    """The linter's verdict on the table as typed, without saving: the panel
    alone for the page's script, the whole table for a browser without it."""
    row = version_row(script_id, number)
    typed = posted_texts()
    problems: list[str] = []
    body = row.body
    try:
        body = translations.edit_texts(row.body, language, edits_of(typed)).body
    except TranslationError as exc:
        problems = getattr(exc, "problems", [str(exc)])
    view = lintview.lint(body)
    if request.headers.get("X-Requested-With") == "fetch":
        return render_template("console/_lint.html", lint=view, problems=problems,
                               compact=True)
    return texts_page(row, language, typed=typed, problems=problems, checked=view)


@bp.post("/scripts/<script_id>/versions/<int:number>/simulate")
def simulate(script_id, number):
    row = version_row(script_id, number)
    try:
        script = script_versions.parse_version(row)
    except ScriptError as exc:
        sim = simulator.Simulation(error=f"This version has errors; fix them first ({exc}).")
    else:
        if request.form.get("action") == "send" and request.form.get("session"):
            sim = simulator.send(script, request.form)
        else:
            sim = simulator.start(script, request.form.get("channel", "ussd"),
                                  request.form.get("language", ""))
    if request.headers.get("X-Requested-With") == "fetch":
        return render_template("console/_simulator.html", row=row, sim=sim,
                               languages=lintview.lint(row.body).languages)
    return editor(row, sim=sim)


def publishable(row: ScriptVersion):
    """None when ``row`` may be published, else the response that says why not."""
    if row.is_live:
        flash(f"Version {row.version} is already live.")
        return redirect(url_for("scripts.edit", script_id=row.script_id, number=row.version))
    view = lintview.lint(row.body)
    if not view.ok:
        flash(f"Version {row.version} has {len(view.report.errors)} error(s) and cannot be "
              "published.", "error")
        return editor(row, status=400)
    return None


@bp.get("/scripts/<script_id>/versions/<int:number>/publish")
def confirm_publish(script_id, number):
    """The confirmation step: what publishing this version changes, compared
    with the live one (texts per language, review states, steps), and the
    unified diff below."""
    row = version_row(script_id, number)
    refused = publishable(row)
    if refused is not None:
        return refused
    rows = versions(script_id)
    live = next((r for r in rows if r.is_live), row)
    return render_template("console/script_diff.html", script_id=script_id, a=live, b=row,
                           lines=unified(live, row), versions=rows, confirm=True,
                           summary=scriptdiff.summarise(live.body, row.body))


@bp.post("/scripts/<script_id>/versions/<int:number>/publish")
def publish(script_id, number):
    """Publish once confirmed (``confirm=1``, sent by the confirmation page);
    without it, the confirmation page."""
    row = version_row(script_id, number)
    refused = publishable(row)
    if refused is not None:
        return refused
    if request.form.get("confirm") != "1":
        return redirect(url_for("scripts.confirm_publish", script_id=script_id, number=number))
    previous = next((r.version for r in versions(script_id) if r.is_live), None)
    rollback = row.status == ScriptStatus.PUBLISHED
    script_versions.publish(current_services(), db(), row, current_user.username)
    audit("script.rollback" if rollback else "script.published", f"{script_id} v{number}",
          previous=previous, version=number)
    db().commit()
    flash(f"Version {number} is live: new sessions use it now; sessions under way finish on "
          "the version they started with.")
    return redirect(url_for("scripts.edit", script_id=script_id, number=number))


def unified(a: ScriptVersion, b: ScriptVersion) -> list[str]:
    return list(difflib.unified_diff(a.body.splitlines(), b.body.splitlines(),
                                     f"version {a.version}", f"version {b.version}",
                                     lineterm="", n=3))


@bp.get("/scripts/<script_id>/diff")
def diff(script_id):
    rows = versions(script_id)
    if not rows:
        abort(404, f"There is no script {script_id}.")
    live = next((r for r in rows if r.is_live), rows[-1])

    def pick(name, default):
        try:
            return version_row(script_id, int(request.args.get(name, default)))
        except ValueError:
            abort(400, "Versions are numbers.")

    a, b = pick("a", live.version), pick("b", rows[0].version)
    return render_template("console/script_diff.html", script_id=script_id, a=a, b=b,
                           lines=unified(a, b), versions=rows,
                           summary=scriptdiff.summarise(a.body, b.body))


def day_arg(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default


@bp.get("/scripts/<script_id>/funnel")
def funnel(script_id):
    rows = versions(script_id)
    if not rows:
        abort(404, f"There is no script {script_id}.")
    live = next((r for r in rows if r.is_live), rows[0])
    try:
        chosen = version_row(script_id, int(request.args.get("version", live.version)))
    except ValueError:
        chosen = live
    today = localtime.today(now())  # funnel days are East Africa Time days
    until = day_arg("until", today)
    week_before = until - timedelta(days=6) if until > date.min + timedelta(days=6) else until
    since = min(day_arg("since", week_before), until)
    try:
        script = script_versions.parse_version(chosen)
    except ScriptError:
        abort(400, f"Version {chosen.version} has errors; it was never live.")
    try:  # counts buffered in Redis since the last sweep
        funnel_module.flush(current_services())
    except (RedisError, SQLAlchemyError):
        pass  # show what is stored
    steps = funnel_module.funnel(db(), script, since, until)
    # Shares are of the dialogues started; counts from before starts were
    # recorded fall back on the first step's (shares then capped at 100%).
    first = funnel_module.starts(db(), script, since, until) or (steps[0].reached if steps else 0)
    chart = charts.bars([(s.step, s.reached) for s in steps],
                        title=f"Sessions reaching each step, {since} to {until}")
    return render_template("console/script_funnel.html", script_id=script_id, row=chosen,
                           versions=rows, steps=steps, first=first, since=since, until=until,
                           chart=chart)
