"""Translators' files: a script's texts in one language as a gettext PO file,
and a PO file merged back into a new draft version of the script.

One PO entry per text of the script (docs/dialogue-scripts.md, "Translators'
files"): ``msgctxt`` is the text's flat key (``steps.confirm.prompt``),
``msgid`` the base-language (English) text, ``msgstr`` the translation (empty
when the language has none of its own), a translator comment gives the screen
budget, and a draft text carries the ``fuzzy`` flag.  Importing a file writes
the language's ``translations`` block anew, marks the entries that are not
fuzzy ``reviewed`` and the fuzzy ones draft, and refuses the whole file, saving
nothing, when a translation drops or adds a placeholder, uses a character
outside GSM-7, or makes a screen too long; each refusal names the text's key
and its line in the PO file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import polib
import yaml
from sqlalchemy.orm import Session

from gateway.defaults import gazetteer_text
from gateway.dialogue import Script, ScriptError, gsm, lint_script, load_script, yamltext
from gateway.dialogue.script import REVIEWED
from gateway.errors import TranslationError
from gateway.store import script_versions
from gateway.store.models import ScriptVersion

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
MAX_PO_BYTES = 512 * 1024
STEP_TEXT_ORDER = ("prompt", "summary", "change", "text")


@dataclass
class Imported:
    """What an import changed: the new script body, ready to save as a draft."""

    language: str
    body: str
    changed: list[str] = field(default_factory=list)  # keys whose text is new or different
    reviewed: list[str] = field(default_factory=list)  # keys now reviewed
    draft: list[str] = field(default_factory=list)  # keys now draft (fuzzy entries)


def _screens_of(script: Script, key: str) -> str:
    """The rendered screens a text appears on, as the linter names them."""
    parts = key.split(".")
    if parts[0] == "steps":
        return parts[1]
    if parts[0] == "gazetteer":
        steps = [s.id for s in script.steps.values() if s.options_from == parts[1]]
        return steps[0] if steps else ""
    return key  # messages.<name>: its own screen, if it has one


def budget_comment(script: Script, key: str, language: str, screens: list[dict[str, Any]]
                   ) -> str:
    """The size budget of a text, for the translator."""
    s = script.settings
    where = _screens_of(script, key)
    mine = [e for e in screens if e["step"] == where and e["language"] == language]
    base = [e for e in screens if e["step"] == where and e["language"] == script.base_language]
    lines = [f"Budget: each USSD screen at most {s.ussd_screen_chars} GSM-7 characters, each "
             f"SMS one segment ({s.sms_screen_chars} GSM-7 characters), the error line "
             "included; this text shares its screen with the rest of it."]
    if base:
        lines.append(f"Its screen ({where}) in {script.base_language}: longest "
                     f"{max(e['length_with_error'] for e in base)} characters.")
    if mine:
        lines.append(f"In {language} today: longest {max(e['length_with_error'] for e in mine)} "
                     "characters.")
    if key.startswith("messages.") and not mine:
        lines.append("It is a line on other screens (an error line, a menu entry).")
    holders = sorted(set(PLACEHOLDER.findall(script.text(key, script.base_language) or "")))
    if holders:
        lines.append("Keep exactly: " + " ".join(holders))
    lines.append("Use the straight apostrophe ('), never a curly one.")
    return "\n".join(lines)


def export_po(script: Script, language: str, *, screens: list[dict[str, Any]] | None = None
              ) -> polib.POFile:
    """The script's texts in ``language`` as a PO file (see the module docstring)."""
    if language not in script.languages or language == script.base_language:
        others = ", ".join(c for c in script.languages if c != script.base_language)
        raise TranslationError([f"{language!r} is not a translated language of script "
                                f"{script.id} (one of: {others})"])
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": f"mpaka {script.id} {script.version}",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Mpaka-Script": script.id,
        "X-Mpaka-Language-Name": script.languages[language].name,
    }
    screens = screens or []
    own = script.texts.get(language, {})
    for key in script.translatable_keys():
        entry = polib.POEntry(
            msgctxt=key, msgid=script.texts[script.base_language][key],
            msgstr=own.get(key, ""), comment=budget_comment(script, key, language, screens),
        )
        if key in own and script.review_state(language, key) != REVIEWED:
            entry.flags.append("fuzzy")
        po.append(entry)
    return po


def export_text(body: str, language: str) -> str:
    """A stored script body's texts in ``language``, as the text of a PO file."""
    script = _load(body)
    screens = [dict(e) for e in lint_script(body, gazetteer_text()).screens]
    return str(export_po(script, language, screens=screens))


def _load(body: str) -> Script:
    try:
        return load_script(body, gazetteer_text=gazetteer_text())
    except ScriptError as exc:
        raise TranslationError([f"the script itself has errors; fix them first ({exc})"]) \
            from None


def read_po(text: str) -> polib.POFile:
    if len(text.encode("utf-8")) > MAX_PO_BYTES:
        raise TranslationError([f"the PO file is larger than {MAX_PO_BYTES // 1024} KB"])
    if "\n" not in text.strip() or "\x00" in text:
        # polib.pofile reads a *path* when given one: an uploaded "file" whose
        # whole content is "/etc/passwd" must never be opened.  A PO file has lines.
        raise TranslationError(["not a PO file: a PO file has a header and entries, "
                                "one part per line"])
    try:
        return polib.pofile(text, wrapwidth=0)
    except (OSError, ValueError) as exc:  # polib raises OSError for a malformed file
        raise TranslationError([f"not a PO file: {exc}"]) from None


@dataclass
class Edit:
    """One text as a translator or the console's texts table gives it."""

    key: str
    text: str  # "" when the language has no text of its own for the key
    reviewed: bool
    where: str  # how a refusal names it: "'steps.x.prompt' (line 12)"
    line: int | None = None  # its line in a PO file


def import_po(body: str, po_text: str) -> Imported:
    """Merge a PO file into the script ``body``; the new body, or TranslationError."""
    script = _load(body)
    po = read_po(po_text)
    language = po.metadata.get("Language", "").strip()
    _check_language(script, language, f"the PO file's Language header {language!r} is")
    keys = set(script.translatable_keys())
    problems: list[str] = []
    edits: list[Edit] = []
    for entry in po:
        if entry.obsolete:
            continue
        key = entry.msgctxt or ""
        where = f"{key or entry.msgid[:30]!r} (line {entry.linenum})"
        if key not in keys:
            problems.append(f"{where}: no text {key!r} in script {script.id}")
            continue
        edits.append(Edit(key, entry.msgstr, not entry.fuzzy, where, entry.linenum or 0))
    if problems:
        raise TranslationError(problems)
    return merge(body, script, language, edits, clear_empty=False)


def edit_texts(body: str, language: str, edits: list[Edit]) -> Imported:
    """The console's texts table: translations typed in place merged into
    ``body`` (an emptied text is removed: the language falls back again);
    the new body, or TranslationError naming each refused text by its key."""
    script = _load(body)
    _check_language(script, language, f"{language!r} is")
    keys = set(script.translatable_keys())
    unknown = [f"{e.where}: no text {e.key!r} in script {script.id}" for e in edits
               if e.key not in keys]
    if unknown:
        raise TranslationError(unknown)
    return merge(body, script, language, edits, clear_empty=True)


def _check_language(script: Script, language: str, what: str) -> None:
    if language not in script.languages or language == script.base_language:
        raise TranslationError([f"{what} not a translated language of script {script.id}"])


def merge(body: str, script: Script, language: str, edits: list[Edit], *,
          clear_empty: bool) -> Imported:
    """Edits merged into the ``translations.<language>`` block of ``body``.

    Refused whole (TranslationError, every problem named) when a text drops
    or adds a placeholder, uses a character outside GSM-7, or brings a
    linter error (a screen too long ...).  An empty text keeps what the
    script has, or with ``clear_empty`` removes the language's own text."""
    base = script.texts[script.base_language]
    own = script.texts.get(language, {})
    problems: list[str] = []
    updates: dict[str, str] = {}
    removed: set[str] = set()
    names: dict[str, str] = {}
    reviewed = {k for k in own if script.review_state(language, k) == REVIEWED}
    result = Imported(language, body)
    for edit in edits:
        key, where = edit.key, edit.where
        names[key] = key if edit.line is None else f"{key} (line {edit.line})"
        text = gsm.normalise_punctuation(edit.text.replace("\r\n", "\n").strip())
        if not text:
            if clear_empty and key in own:
                removed.add(key)
                reviewed.discard(key)
                result.changed.append(key)
            continue  # untranslated: keep what the script has
        expected = sorted(PLACEHOLDER.findall(base[key]))
        if sorted(PLACEHOLDER.findall(text)) != expected:
            problems.append(f"{where}: the translation must keep the placeholders "
                            f"{' '.join(expected) or '(none)'} exactly, as the English has them")
            continue
        odd = "".join(ch for _i, ch in gsm.non_gsm7(text))
        if odd:
            problems.append(f"{where}: characters outside GSM-7 ({odd}) would make every SMS "
                            "cost 2 to 3 times as much")
            continue
        if text != own.get(key):
            updates[key] = text
            result.changed.append(key)
        if edit.reviewed:
            reviewed.add(key)
            result.reviewed.append(key)
        else:
            reviewed.discard(key)
            result.draft.append(key)
    if problems:
        raise TranslationError(problems)
    new_body = rewrite_language(body, script, language, updates, reviewed, removed)
    refuse_new_errors(body, new_body, script, language, names)
    result.body = new_body
    return result


def refuse_new_errors(old: str, new: str, script: Script, language: str,
                      names: dict[str, str]) -> None:
    """The linter's errors the edits bring (a screen too long ...), each named
    by the keys that may cause it (``names``: key -> how to name it)."""
    before = {i.message for i in lint_script(old, gazetteer_text()).errors}
    problems = []
    for issue in lint_script(new, gazetteer_text()).errors:
        if issue.message in before:
            continue
        suspects = [k for k in names if _screens_of(script, k) == (issue.step or "")
                    or issue.message.startswith(k + " ")]
        if not suspects:  # a line shared by many screens (an error line, Back, More)
            suspects = [k for k in names if k.startswith("messages.")] or list(names)
        named = ", ".join(names[k] for k in suspects)
        problems.append(f"{named}: {issue.message}")
    if problems:
        raise TranslationError(problems)


def _flatten(block: Any) -> tuple[dict[str, str], list[str]]:
    """A ``translations.<code>`` block as flat keys, plus its ``reviewed`` list."""
    texts: dict[str, str] = {}
    if not isinstance(block, dict):
        return texts, []
    for name, text in (block.get("messages") or {}).items():
        texts[f"messages.{name}"] = str(text)
    for sid, spec in (block.get("steps") or {}).items():
        for key, value in (spec or {}).items():
            if isinstance(value, dict):
                for sub, text in value.items():
                    texts[f"steps.{sid}.{key}.{sub}"] = str(text)
            elif value is not None:
                texts[f"steps.{sid}.{key}"] = str(value)
    for list_name, labels in (block.get("gazetteer") or {}).items():
        for value, text in (labels or {}).items():
            texts[f"gazetteer.{list_name}.{value}"] = str(text)
    reviewed = block.get("reviewed") or []
    return texts, [str(k) for k in reviewed] if isinstance(reviewed, list) else []


def _nest(texts: dict[str, str], order: list[str], reviewed: list[str]) -> dict[str, Any]:
    """Flat keys back into the YAML shape, in the script's order."""
    out: dict[str, Any] = {}
    rank = {k: i for i, k in enumerate(order)}
    for key in sorted(texts, key=lambda k: rank.get(k, len(rank))):
        parts = key.split(".")
        if parts[0] == "messages":
            out.setdefault("messages", {})[parts[1]] = texts[key]
        elif parts[0] == "steps" and len(parts) == 3:
            out.setdefault("steps", {}).setdefault(parts[1], {})[parts[2]] = texts[key]
        elif parts[0] == "steps":
            step = out.setdefault("steps", {}).setdefault(parts[1], {})
            step.setdefault(parts[2], {})[parts[3]] = texts[key]
        else:
            out.setdefault("gazetteer", {}).setdefault(parts[1], {})[parts[2]] = texts[key]
    if reviewed:
        out["reviewed"] = sorted(reviewed, key=lambda k: rank.get(k, len(rank)))
    return out


def rewrite_language(body: str, script: Script, language: str, updates: dict[str, str],
                     reviewed: set[str], removed: frozenset[str] | set[str] = frozenset()) -> str:
    """``body`` with its ``translations.<language>`` block written anew.

    Only that block changes (comments inside it are not kept); the rest of the
    script stays as it was, byte for byte."""
    parsed = yamltext.parse(body)
    data = parsed.data if isinstance(parsed.data, dict) else {}
    all_blocks = data.get("translations")
    block = all_blocks.get(language) if isinstance(all_blocks, dict) else None
    texts, _old_reviewed = _flatten(block)
    gaz_file = _gazetteer_texts(language)
    for key, text in updates.items():
        if key.startswith("gazetteer.") and gaz_file.get(key) == text:
            texts.pop(key, None)  # the gazetteer file says the same
        else:
            texts[key] = text
    for key in removed:
        texts.pop(key, None)
    own = set(texts) | {k for k in script.texts.get(language, {}) if k.startswith("gazetteer.")}
    nested = _nest(texts, script.translatable_keys(), [k for k in reviewed if k in own])
    dumped = yaml.safe_dump({language: nested}, allow_unicode=True, sort_keys=False,
                            default_flow_style=False, width=1000)
    lines = body.splitlines(keepends=True)
    if block is not None or ("translations", language) in parsed.lines:
        start = parsed.lines[("translations", language)] - 1
        indent = len(lines[start]) - len(lines[start].lstrip(" "))
        end = _block_end(lines, start, indent)
        new = _indented(dumped, indent)
        return "".join(lines[:start]) + new + "".join(lines[end:])
    if "translations" in data:
        start = parsed.lines[("translations",)] - 1
        end = _block_end(lines, start, 0)
        prefix = "".join(lines[:end])
        if prefix and not prefix.endswith("\n"):
            prefix += "\n"
        return prefix + _indented(dumped, 2) + "".join(lines[end:])
    tail = body if body.endswith("\n") or not body else body + "\n"
    return tail + "translations:\n" + _indented(dumped, 2)


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The index of the first line after the block whose key is at ``start``."""
    end = start + 1
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        if stripped and len(line) - len(line.lstrip(" ")) <= indent:
            break
        end += 1
    # Blank lines and comments right before the next key belong to it.
    while end > start + 1 and (not lines[end - 1].strip()
                               or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def _indented(text: str, indent: int) -> str:
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def _gazetteer_texts(language: str) -> dict[str, str]:
    data = yaml.safe_load(gazetteer_text()) or {}
    out: dict[str, str] = {}
    for list_name, labels in ((data.get("translations") or {}).get(language) or {}).items():
        for value, text in (labels or {}).items():
            out[f"gazetteer.{list_name}.{value}"] = str(text)
    return out


def import_into_draft(db: Session, script_id: str, po_text: str, author: str | None
                      ) -> tuple[ScriptVersion, Imported]:
    """A PO file merged into a new draft version of the live script (never published)."""
    live = script_versions.live_row(db, script_id)
    imported = import_po(live.body, po_text)
    return script_versions.save_draft(db, script_id, imported.body, author), imported


@dataclass
class TextRow:
    """One row of the console's texts table: a text in one language, its size
    against the screen budget and its review state."""

    key: str
    source: str  # the base-language (English) text
    translation: str  # the language's own text; "" when it falls back
    shown: str  # what a phone shows: its own text or a fallback language's
    state: str | None  # "reviewed", "draft", or None when it has no text of its own
    chars: int  # GSM-7 characters of ``shown`` (a non-GSM character counts double)
    screen: str  # the screen it is on, as the linter names it ("" for a shared line)
    longest: int | None  # the longest USSD screen it is on, error line included
    segments: int  # SMS segments of the longest SMS reply it is on (0: none measured)
    budget: int  # characters of a USSD screen
    placeholders: list[str]
    problems: list[str]  # the linter's errors and warnings about this text

    @property
    def over(self) -> bool:
        return (self.longest is not None and self.longest > self.budget) or self.segments > 1


def text_rows(script: Script, language: str, screens: list[Any], issues: list[Any]
              ) -> list[TextRow]:
    """Every translatable text of ``script`` in ``language`` (see TextRow),
    measured with the linter's ``screens`` and flagged with its ``issues``."""
    _check_language(script, language, f"{language!r} is")
    own = script.texts.get(language, {})
    base = script.texts[script.base_language]
    rows = []
    for key in script.translatable_keys():
        where = _screens_of(script, key)
        mine = [e for e in screens if e["step"] == where and e["language"] == language]
        ussd = [gsm.screen_cost(e["text"]) + e["length_with_error"] - e["length"]
                for e in mine if e["channel"] == "ussd"]
        sms = [e["sms_segments"] for e in mine if e["channel"] == "sms"]
        shown = own.get(key) or script.text(key, language) or ""
        problems = [i.message for i in issues if i.language == language and (
            (where and i.step == where) or i.message.startswith(f"{language} {key}:")
            or i.message.startswith(f"{where} ({language}"))]
        rows.append(TextRow(
            key=key, source=base[key], translation=own.get(key, ""), shown=shown,
            state=script.review_state(language, key), chars=gsm.screen_cost(shown),
            screen=where if mine else "", longest=max(ussd) if ussd else None,
            segments=max(sms) if sms else 0, budget=script.settings.ussd_screen_chars,
            placeholders=sorted(set(PLACEHOLDER.findall(base[key]))),
            problems=list(dict.fromkeys(problems))))
    return rows
