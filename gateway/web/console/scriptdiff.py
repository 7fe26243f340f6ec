"""What publishing a version would change, summed up for the confirmation
step: texts changed, added and removed per language, review states changed,
and the steps added, removed or changed (compared with the live version)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.defaults import gazetteer_text
from gateway.dialogue import Script, ScriptError, load_script, yamltext


@dataclass
class LanguageChanges:
    code: str
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reviewed: list[str] = field(default_factory=list)  # newly reviewed
    unreviewed: list[str] = field(default_factory=list)  # back to draft

    @property
    def any(self) -> bool:
        return bool(self.changed or self.added or self.removed or self.reviewed
                    or self.unreviewed)


@dataclass
class Summary:
    languages: list[LanguageChanges]
    steps_added: list[str]
    steps_removed: list[str]
    steps_changed: list[str]
    settings_changed: list[str]

    @property
    def same(self) -> bool:
        return not (any(lang.any for lang in self.languages) or self.steps_added
                    or self.steps_removed or self.steps_changed or self.settings_changed)


def _load(body: str) -> Script | None:
    try:
        return load_script(body, gazetteer_text=gazetteer_text())
    except ScriptError:
        return None


def _steps(body: str) -> dict[str, Any]:
    try:
        data = yamltext.parse(body).data
    except ScriptError:
        return {}
    steps = data.get("steps") if isinstance(data, dict) else None
    return {str(s["id"]): s for s in steps or [] if isinstance(s, dict) and "id" in s}


def _settings(body: str) -> dict[str, Any]:
    try:
        data = yamltext.parse(body).data
    except ScriptError:
        return {}
    settings = data.get("settings") if isinstance(data, dict) else None
    return settings if isinstance(settings, dict) else {}


def summarise(old_body: str, new_body: str) -> Summary:
    """What changes from ``old_body`` (the live version) to ``new_body``."""
    old, new = _load(old_body), _load(new_body)
    languages = []
    codes = list(dict.fromkeys([*(new.languages if new else []), *(old.languages if old else [])]))
    for code in codes:
        before = old.texts.get(code, {}) if old else {}
        after = new.texts.get(code, {}) if new else {}
        lang = LanguageChanges(code)
        lang.added = [k for k in after if k not in before]
        lang.removed = [k for k in before if k not in after]
        lang.changed = [k for k in after if k in before and after[k] != before[k]]
        if old and new:
            for key in after:
                was, now = old.review_state(code, key), new.review_state(code, key)
                if now == "reviewed" and was != "reviewed":
                    lang.reviewed.append(key)
                elif now == "draft" and was == "reviewed":
                    lang.unreviewed.append(key)
        languages.append(lang)
    a, b = _steps(old_body), _steps(new_body)
    sa, sb = _settings(old_body), _settings(new_body)
    return Summary(
        languages=languages,
        steps_added=[s for s in b if s not in a],
        steps_removed=[s for s in a if s not in b],
        steps_changed=[s for s in b if s in a and a[s] != b[s]],
        settings_changed=[k for k in dict.fromkeys([*sb, *sa]) if sa.get(k) != sb.get(k)],
    )
