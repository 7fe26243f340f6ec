"""Translators' PO files: `mpaka scripts export-translations` and
`import-translations`, on SQLite and PostgreSQL (the ``app`` fixture)."""

from __future__ import annotations

import polib
import pytest
from sqlalchemy import select

from gateway.cli.main import main
from gateway.defaults import gazetteer_text
from gateway.dialogue import load_script
from gateway.store.models import AuditEntry, ScriptVersion


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(main, args=list(args))

    return invoke


def exported(cli, tmp_path, language="tuv") -> polib.POFile:
    out = tmp_path / f"{language}.po"
    result = cli("scripts", "export-translations", "--language", language, "--output", str(out))
    assert result.exit_code == 0, result.output
    return polib.pofile(str(out))


def versions(svc) -> list[ScriptVersion]:
    with svc.db() as db:
        return list(db.scalars(select(ScriptVersion).order_by(ScriptVersion.version)))


def entry(po: polib.POFile, key: str) -> polib.POEntry:
    return next(e for e in po if e.msgctxt == key)


def texts_total() -> int:
    """How many texts the shipped script has (each language's coverage total)."""
    from gateway.defaults import default_script_text, gazetteer_text
    from gateway.dialogue import lint_script

    return lint_script(default_script_text(), gazetteer_text()).coverage["tuv"]["total"]


def test_export_writes_every_text_with_key_english_budget_and_draft_flag(cli, tmp_path):
    """The PO file has one entry per text: msgctxt the key, msgid the English,
    msgstr the Turkana draft, flagged fuzzy, with a size-budget comment."""
    po = exported(cli, tmp_path)
    assert po.metadata["Language"] == "tuv"
    done = entry(po, "steps.done.text")
    assert done.msgid.startswith("Sent. Reference {reference}.")
    assert "{reference}" in done.msgstr and done.fuzzy
    assert "160 GSM-7 characters" in done.comment and "Keep exactly: {reference}" in done.comment
    assert len(po) == texts_total() and all(e.msgstr and e.fuzzy for e in po)


def test_round_trip_edit_import_makes_a_reviewed_draft_version(cli, svc, tmp_path):
    """Export, correct one entry and confirm another, import: a new draft
    version (not live) holds the new text, both entries reviewed, the rest
    draft; an audit row records it."""
    po = exported(cli, tmp_path)
    fixed = entry(po, "steps.when.prompt")
    fixed.msgstr = "Ani ekiyakar?"
    fixed.flags.remove("fuzzy")
    entry(po, "messages.quick_exit").flags.remove("fuzzy")
    po.save(str(tmp_path / "edited.po"))

    result = cli("scripts", "import-translations", str(tmp_path / "edited.po"))
    assert result.exit_code == 0, result.output
    assert "saved draft version 2" in result.output and "2 marked reviewed" in result.output
    rows = versions(svc)
    assert [(r.version, r.is_live, r.status) for r in rows] == [
        (1, True, "published"), (2, False, "draft")]
    script = load_script(rows[1].body, gazetteer_text())
    assert script.text("steps.when.prompt", "tuv") == "Ani ekiyakar?"
    assert script.review_state("tuv", "steps.when.prompt") == "reviewed"
    assert script.review_state("tuv", "messages.quick_exit") == "reviewed"
    assert script.review_state("tuv", "steps.when.summary") == "draft"
    assert not script.fully_reviewed("tuv")
    # Everything outside the Turkana block is unchanged, comments included.
    assert rows[1].body.split("  tuv:\n")[0] == rows[0].body.split("  tuv:\n")[0]
    assert rows[1].body.split("  gax:\n")[1] == rows[0].body.split("  gax:\n")[1]
    with svc.db() as db:
        audit = db.scalar(select(AuditEntry).where(
            AuditEntry.action == "script.translations_imported"))
    assert audit.target == "report v2" and audit.detail["language"] == "tuv"

    again = exported_from_body(rows[1].body)
    assert not entry(again, "steps.when.prompt").fuzzy


def exported_from_body(body: str) -> polib.POFile:
    from gateway.store.translations import export_text

    return polib.pofile(export_text(body, "tuv"))


def test_import_refuses_a_dropped_placeholder_with_key_and_line(cli, svc, tmp_path):
    """The end text without {reference} is refused: the key and its PO line
    are named, the exit code is 1 and no version is saved."""
    po = exported(cli, tmp_path)
    done = entry(po, "steps.done.text")
    done.msgstr = "Ipeyi. Alakara."
    path = tmp_path / "broken.po"
    po.save(str(path))
    line = polib.pofile(str(path)).find("Sent. Reference {reference}. Thank you. In danger? "
                                        "Call 999 or 112.", by="msgid").linenum
    result = cli("scripts", "import-translations", str(path))
    assert result.exit_code == 1
    assert f"'steps.done.text' (line {line})" in result.output
    assert "{reference}" in result.output and "nothing saved" in result.output
    assert len(versions(svc)) == 1


def test_import_refuses_a_screen_too_long(cli, svc, tmp_path):
    """A confirm prompt that makes the confirm screen longer than one SMS is
    refused with its key; nothing is saved."""
    po = exported(cli, tmp_path, "gax")
    entry(po, "steps.confirm.prompt").msgstr = "Gabaasa kana amma erguu barbaaddaa? " * 3
    path = tmp_path / "long.po"
    po.save(str(path))
    result = cli("scripts", "import-translations", str(path))
    assert result.exit_code == 1
    assert "steps.confirm.prompt (line" in result.output
    assert "confirm (gax)" in result.output
    assert len(versions(svc)) == 1


def test_import_refuses_a_file_that_is_not_po(cli, svc, tmp_path):
    """Garbage is a clear refusal, not a traceback."""
    path = tmp_path / "x.po"
    path.write_text('msgid "unterminated\n', "utf-8")
    result = cli("scripts", "import-translations", str(path))
    assert result.exit_code == 1 and "not imported" in result.output
    assert len(versions(svc)) == 1


def test_export_of_an_unknown_language_is_refused(cli, tmp_path):
    result = cli("scripts", "export-translations", "--language", "xyz")
    assert result.exit_code == 1 and "not a translated language" in result.output


def test_scripts_check_prints_coverage_and_review_per_language(cli, tmp_path):
    """`mpaka scripts check` prints translated and reviewed per language and
    warns that Turkana is not fully reviewed."""
    from gateway.defaults import default_script_text

    path = tmp_path / "default.yaml"
    path.write_text(default_script_text(), "utf-8")
    output = cli("scripts", "check", str(path)).output
    total = texts_total()
    assert f"coverage tuv: {total}/{total} translated, 0 reviewed" in output
    assert f"coverage swa: {total}/{total} translated, {total} reviewed" in output
    assert "tuv (Ng'aturkana) is not fully reviewed" in output


def test_import_of_a_gazetteer_label_is_kept_in_the_script():
    """A corrected gazetteer label goes into the script's own translations
    (`gazetteer:` in the language's block) and wins over the gazetteer file."""
    from gateway.defaults import default_script_text
    from gateway.store.translations import export_text, import_po

    po = polib.pofile(export_text(default_script_text(), "gax"))
    label = entry(po, "gazetteer.sub_counties.ethiopia")
    label.msgstr, label.flags = "Gama Itoophiyaa (daangaa)", []
    body = import_po(default_script_text(), str(po)).body
    assert "    gazetteer:\n      sub_counties:\n        ethiopia: Gama Itoophiyaa (daangaa)" in body
    script = load_script(body, gazetteer_text())
    assert script.text("gazetteer.sub_counties.ethiopia", "gax") == "Gama Itoophiyaa (daangaa)"
    assert script.review_state("gax", "gazetteer.sub_counties.ethiopia") == "reviewed"


def test_import_turns_curly_apostrophes_straight():
    """A translator's editor may type ’: it is stored as the straight apostrophe."""
    from gateway.defaults import default_script_text
    from gateway.store.translations import export_text, import_po

    po = polib.pofile(export_text(default_script_text(), "gax"))
    entry(po, "steps.when.options.today").msgstr = "Har’a"
    body = import_po(default_script_text(), str(po)).body
    assert load_script(body, gazetteer_text()).text("steps.when.options.today", "gax") == "Har'a"


def test_a_po_upload_naming_a_server_file_is_not_read():
    """A "PO file" whose content is a path on the server is refused, never opened."""
    from gateway.defaults import default_script_text
    from gateway.errors import TranslationError
    from gateway.store.translations import import_po

    with pytest.raises(TranslationError, match="not a PO file"):
        import_po(default_script_text(), "/etc/hostname")
