"""Build a Script from parsed YAML, recording every shape problem as a lint issue.

The builder is tolerant: it skips what it cannot use and keeps going, so one
lint run reports every problem at once.  It returns the Script plus where each
text and step came from (for line numbers); lint.py does the checks that need
the whole script.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .issues import ERROR, WARNING, LintIssue, LintReport
from .script import (
    CONFIRM_VALUES,
    KEYWORD_KINDS,
    LOOKUPS,
    MESSAGE_KEYS,
    OPTIONAL_MESSAGE_KEYS,
    PLACE_KINDS,
    PLACE_LISTS,
    SEVERITIES,
    STEP_KINDS,
    GazList,
    Language,
    Option,
    Place,
    Script,
    Settings,
    Step,
)
from .yamltext import Node, Parsed, Path

LANG_CODE = re.compile(r"[a-z]{3}\Z")  # ISO 639-3
IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")
DECIMAL = re.compile(r"-?\d{1,3}(\.\d+)?\Z")
TOP_KEYS = {"id", "version", "description", "base_language", "languages", "settings", "places",
            "messages", "steps", "translations", "lists"}
STEP_KEYS = {"id", "kind", "field", "prompt", "text", "summary", "summary_if_room", "change",
             "options", "options_from",
             "filter_by", "next", "min", "max", "errors", "change_to",
             "lookup", "lookup_from"}
OPTION_KEYS = {"value", "label", "next", "severity"}
STEP_TEXT_KEYS = ("prompt", "text", "summary", "summary_if_room", "change")
ERROR_KEYS = ("invalid", "too_short", "too_long")
SETTING_INTS = ("ussd_screen_chars", "sms_screen_chars", "long_text_chars", "max_invalid",
                "max_steps_per_turn", "quote_chars")

Where = dict[tuple[str, str], tuple[str, int | None]]  # (language, flat key) -> (source, line)


def _one_of(value: Node, allowed: tuple[str, ...]) -> str | None:
    """``value`` when it is one of the ``allowed`` names, else None."""
    return value if isinstance(value, str) and value in allowed else None


class Built:
    """A built script and where its pieces are in the YAML."""

    def __init__(self, script: Script | None, where: Where, step_lines: dict[str, int | None],
                 option_lines: dict[tuple[str, str], int | None], parsed: Parsed | None = None):
        self.script = script
        self.parsed = parsed
        self.where = where  # (language, flat key) -> (source, line)
        self.step_lines = step_lines  # step id -> line
        self.option_lines = option_lines  # (step id, value) -> line


class _Builder:
    def __init__(self, parsed: Parsed, gazetteer: Parsed | None, report: LintReport):
        self.p, self.g, self.report = parsed, gazetteer, report
        self.texts: dict[str, dict[str, str]] = {}
        self.where: Where = {}
        self.step_lines: dict[str, int | None] = {}
        self.option_lines: dict[tuple[str, str], int | None] = {}

    # -- reporting --------------------------------------------------------
    def issue(self, level: str, code: str, message: str, path: Path = (),
              step: str | None = None, language: str | None = None,
              source: str = "script") -> None:
        parsed = self.g if source == "gazetteer" else self.p
        line = parsed.line(path) if parsed is not None else None
        self.report.add(LintIssue(level, code, message, line, step, language, source))

    def error(self, code: str, message: str, path: Path = (), *, step: str | None = None,
              language: str | None = None, source: str = "script") -> None:
        self.issue(ERROR, code, message, path, step, language, source)

    def warn(self, code: str, message: str, path: Path = (), *, step: str | None = None,
             language: str | None = None, source: str = "script") -> None:
        self.issue(WARNING, code, message, path, step, language, source)

    def mapping(self, value: Node, path: Path, what: str, source: str = "script"
                ) -> dict[str, Node]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error("shape", f"{what} must be a mapping", path, source=source)
            return {}
        return value

    def put_text(self, lang: str, key: str, value: Node, path: Path, source: str = "script",
                 step: str | None = None) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.error("shape", f"{key} must be text", path, step=step, language=lang,
                       source=source)
            return
        parsed = self.g if source == "gazetteer" else self.p
        self.texts.setdefault(lang, {})[key] = str(value)
        self.where[(lang, key)] = (source, parsed.line(path) if parsed is not None else None)

    # -- the script ---------------------------------------------------------
    def build(self) -> Built:
        for path, line in self.p.duplicates:
            self.report.add(LintIssue(ERROR, "duplicate_key", f"key {path[-1]!r} is given twice "
                                      "(the second would silently win)", line))
        data = self.p.data
        if not isinstance(data, dict):
            self.error("shape", "a script must be a YAML mapping with id, languages and steps")
            return Built(None, self.where, self.step_lines, self.option_lines, self.p)
        for key in data:
            if key not in TOP_KEYS:
                self.warn("unknown_key", f"unknown top-level key {key!r}", (key,))
        script_id = data.get("id")
        if not isinstance(script_id, str) or not IDENT.match(script_id):
            self.error("shape", "id must be a lower-case identifier such as 'report'", ("id",))
            script_id = str(script_id or "")
        version = data.get("version")
        if version is None or isinstance(version, bool | dict | list):
            self.error("shape", "version must be given, e.g. version: \"1\"", ("version",))
        languages, base = self.languages(data)
        self.texts.setdefault(base, {})
        settings = self.settings(data.get("settings"), languages)
        messages = self.mapping(data.get("messages"), ("messages",), "messages")
        for key, value in messages.items():
            if key not in MESSAGE_KEYS and key not in OPTIONAL_MESSAGE_KEYS:
                self.warn("unknown_key", f"unknown message {key!r}", ("messages", key))
            self.put_text(base, f"messages.{key}", value, ("messages", key))
        steps = self.steps(data.get("steps"), base)
        lists = self.gazetteer(base)
        places = self.places(lists)
        languages = self.translations(data.get("translations"), languages, base, steps, lists)
        script = Script(
            id=script_id, version=str(version or ""), base_language=base, languages=languages,
            settings=settings, steps=steps, texts=self.texts, lists=lists, places=places,
        )
        return Built(script, self.where, self.step_lines, self.option_lines, self.p)

    def languages(self, data: dict[str, Node]) -> tuple[dict[str, Language], str]:
        base = data.get("base_language")
        raw = self.mapping(data.get("languages"), ("languages",), "languages")
        if not raw:
            self.error("bad_language", "languages must declare at least the base language",
                       ("languages",))
        languages: dict[str, Language] = {}
        for code, spec in raw.items():
            path = ("languages", code)
            if not LANG_CODE.match(code):
                self.error("bad_language", f"{code!r} is not an ISO 639-3 code (three "
                           "lower-case letters, e.g. swa)", path, language=code)
            if isinstance(spec, str):
                spec = {"name": spec}
            spec = self.mapping(spec, path, f"language {code}")
            name = spec.get("name")
            if not isinstance(name, str) or not name:
                self.error("missing_base_text", f"language {code} needs a name", path,
                           language=code)
                name = code
            fallback = spec.get("fallback") or []
            if isinstance(fallback, str):
                fallback = [fallback]
            if not isinstance(fallback, list):
                self.error("shape", "fallback must be a list of language codes",
                           path + ("fallback",), language=code)
                fallback = []
            languages[code] = Language(code, name, tuple(str(f) for f in fallback),
                                       spec.get("review") is True)
        for code, lang in languages.items():
            for other in lang.fallback:
                if other not in raw:
                    self.error("bad_fallback", f"language {code} falls back to {other}, which "
                               "is not declared", ("languages", code, "fallback"), language=code)
        if not isinstance(base, str) or base not in languages:
            self.error("bad_language", f"base_language {base!r} must be one of the declared "
                       "languages", ("base_language",))
            base = next(iter(languages), "eng")
        return languages, base

    def settings(self, raw: Node, languages: dict[str, Language]) -> Settings:
        raw = self.mapping(raw, ("settings",), "settings")
        ints: dict[str, int] = {}
        for key in SETTING_INTS:
            if key in raw:
                value = raw[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    self.error("bad_setting", f"settings.{key} must be a positive whole number",
                               ("settings", key))
                else:
                    ints[key] = value
        quick_exit = str(raw["quick_exit"]) if "quick_exit" in raw else Settings.quick_exit
        default_severity = Settings.default_severity
        if "default_severity" in raw:
            severity = _one_of(raw["default_severity"], SEVERITIES)
            if severity is None:
                self.error("bad_setting", f"settings.default_severity must be one of "
                           f"{', '.join(SEVERITIES)}", ("settings", "default_severity"))
            else:
                default_severity = severity
        keywords: dict[str, dict[str, str]] = {}
        kw_raw = self.mapping(raw.get("keywords"), ("settings", "keywords"), "settings.keywords")
        for kind, words in kw_raw.items():
            path = ("settings", "keywords", kind)
            if kind not in KEYWORD_KINDS:
                self.warn("unknown_key", f"unknown keyword kind {kind!r}", path)
                continue
            words = self.mapping(words, path, f"settings.keywords.{kind} (WORD: language)")
            for word, lang in words.items():
                if lang not in languages:
                    self.error("bad_language", f"keyword {word} names undeclared language "
                               f"{lang!r}", path + (word,))
                # str(): a non-text language is the error above; the script is unusable
                keywords.setdefault(kind, {})[str(word).casefold()] = str(lang)
        if not keywords.get("stop"):
            self.warn("no_stop_keyword", "no settings.keywords.stop: SMS reporters cannot "
                      "cancel by sending STOP", ("settings",))
        guess: dict[str, dict[str, tuple[str, ...]]] = {}
        g_raw = self.mapping(raw.get("guess"), ("settings", "guess"), "settings.guess")
        for step_id, values in g_raw.items():
            path = ("settings", "guess", step_id)
            values = self.mapping(values, path, f"settings.guess.{step_id} (value: [words])")
            for value, words in values.items():
                if not isinstance(words, list) or not all(isinstance(w, str) and w.strip()
                                                          for w in words):
                    self.error("bad_setting", f"settings.guess.{step_id}.{value} must be a "
                               "list of words or phrases", path + (value,))
                    continue
                guess.setdefault(str(step_id), {})[str(value)] = tuple(str(w) for w in words)
        for key in raw:
            if key not in {*SETTING_INTS, "quick_exit", "default_severity", "keywords", "guess"}:
                self.warn("unknown_key", f"unknown setting {key!r}", ("settings", key))
        return Settings(
            ussd_screen_chars=ints.get("ussd_screen_chars", Settings.ussd_screen_chars),
            sms_screen_chars=ints.get("sms_screen_chars", Settings.sms_screen_chars),
            long_text_chars=ints.get("long_text_chars", Settings.long_text_chars),
            quick_exit=quick_exit,
            max_invalid=ints.get("max_invalid", Settings.max_invalid),
            max_steps_per_turn=ints.get("max_steps_per_turn", Settings.max_steps_per_turn),
            default_severity=default_severity,
            quote_chars=ints.get("quote_chars", Settings.quote_chars),
            keywords=keywords,
            guess=guess,
        )

    def steps(self, raw: Node, base: str) -> dict[str, Step]:
        if not isinstance(raw, list) or not raw:
            self.error("shape", "steps must be a non-empty list", ("steps",))
            return {}
        steps: dict[str, Step] = {}
        for index, spec in enumerate(raw):
            path = ("steps", index)
            if not isinstance(spec, dict):
                self.error("shape", "each step must be a mapping with id and kind", path)
                continue
            step_id = spec.get("id")
            if not isinstance(step_id, str) or not IDENT.match(step_id):
                self.error("shape", "a step needs an id: a lower-case identifier", path)
                continue
            if step_id in steps:
                self.error("duplicate_step", f"step id {step_id!r} is used twice", path,
                           step=step_id)
                continue
            self.step_lines[step_id] = self.p.line(path)
            step = self.step(step_id, spec, path, base)
            if step is not None:
                steps[step_id] = step
        return steps

    def step(self, sid: str, spec: dict[str, Node], path: Path, base: str) -> Step | None:
        kind = _one_of(spec.get("kind"), STEP_KINDS)
        if kind is None:
            self.error("shape", f"step {sid}: kind must be one of {', '.join(STEP_KINDS)}",
                       path + ("kind",), step=sid)
            return None
        for key in spec:
            if key not in STEP_KEYS:
                self.warn("unknown_key", f"step {sid}: unknown key {key!r}", path + (key,),
                          step=sid)
        for key in STEP_TEXT_KEYS:
            self.put_text(base, f"steps.{sid}.{key}", spec.get(key), path + (key,), step=sid)
        errors = self.mapping(spec.get("errors"), path + ("errors",), f"step {sid}: errors")
        for key, value in errors.items():
            if key not in ERROR_KEYS:
                self.warn("unknown_key", f"step {sid}: unknown error {key!r}",
                          path + ("errors", key), step=sid)
            self.put_text(base, f"steps.{sid}.errors.{key}", value, path + ("errors", key),
                          step=sid)
        options = self.options(sid, kind, spec.get("options"), path + ("options",), base)
        lengths: dict[str, int] = {}
        for key in ("min", "max"):
            value = spec.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                self.error("shape", f"step {sid}: {key} must be a positive whole number",
                           path + (key,), step=sid)
            elif value is not None:
                lengths[f"{key}_length"] = value
        refs: dict[str, str] = {}
        for key in ("field", "options_from", "filter_by", "next", "change_to", "lookup",
                    "lookup_from"):
            value = spec.get(key)
            if value is not None and not isinstance(value, str):
                self.error("shape", f"step {sid}: {key} must be a name", path + (key,), step=sid)
            elif value is not None:
                refs[key] = value
        if refs.get("lookup") is not None:
            if kind != "end" or refs["lookup"] not in LOOKUPS:
                self.error("shape", f"step {sid}: lookup is for end steps, one of "
                           f"{', '.join(LOOKUPS)}", path + ("lookup",), step=sid)
            elif not refs.get("lookup_from"):
                self.error("shape", f"step {sid}: lookup needs lookup_from (the step whose "
                           "answer is looked up)", path + ("lookup",), step=sid)
        return Step(
            id=sid, kind=kind, options=options,
            field=refs.get("field"), options_from=refs.get("options_from"),
            filter_by=refs.get("filter_by"), next=refs.get("next"),
            change_to=refs.get("change_to"), lookup=refs.get("lookup"),
            lookup_from=refs.get("lookup_from"),
            min_length=lengths.get("min_length", Step.min_length),
            max_length=lengths.get("max_length", Step.max_length),
        )

    def options(self, sid: str, kind: str, raw: Node, path: Path, base: str
                ) -> tuple[Option, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.error("shape", f"step {sid}: options must be a list", path, step=sid)
            return ()
        options: list[Option] = []
        seen: set[str] = set()
        for i, spec in enumerate(raw):
            opath = path + (i,)
            if not isinstance(spec, dict) or spec.get("value") in (None, ""):
                self.error("option_no_value", f"step {sid}: option {i + 1} has no value", opath,
                           step=sid)
                continue
            value = str(spec["value"])
            for key in spec:
                if key not in OPTION_KEYS:  # often a comma in an unquoted {label: a, b}
                    self.warn("unknown_key", f"step {sid}: option {value}: unknown key {key!r} "
                              "(quote labels that contain a comma)", opath + (key,), step=sid)
            if value in seen:
                self.error("duplicate_value", f"step {sid}: option value {value!r} is used "
                           "twice", opath, step=sid)
                continue
            seen.add(value)
            self.option_lines[(sid, value)] = self.p.line(opath)
            severity = _one_of(spec.get("severity"), SEVERITIES)
            if spec.get("severity") is not None and severity is None:
                self.error("shape", f"step {sid}: severity must be one of "
                           f"{', '.join(SEVERITIES)}", opath + ("severity",), step=sid)
            if kind == "confirm" and value not in CONFIRM_VALUES:
                self.error("shape", f"step {sid}: confirm options are "
                           f"{', '.join(CONFIRM_VALUES)}, not {value!r}", opath, step=sid)
            nxt = spec.get("next")
            self.put_text(base, f"steps.{sid}.options.{value}", spec.get("label"),
                          opath + ("label",), step=sid)
            options.append(Option(value, str(nxt) if nxt is not None else None, severity))
        return tuple(options)

    def translations(self, raw: Node, languages: dict[str, Language], base: str,
                     steps: dict[str, Step], lists: dict[str, GazList]) -> dict[str, Language]:
        """Each language's texts, and its review state (``reviewed: [keys]``)."""
        raw = self.mapping(raw, ("translations",), "translations")
        languages = dict(languages)
        for lang, block in raw.items():
            path = ("translations", lang)
            if lang not in languages:
                self.error("bad_language", f"translations for undeclared language {lang!r}",
                           path, language=lang)
                continue
            block = self.mapping(block, path, f"translations.{lang}")
            for key, value in self.mapping(block.get("messages"), path + ("messages",),
                                           "messages").items():
                self.put_text(lang, f"messages.{key}", value, path + ("messages", key))
            for sid, texts in self.mapping(block.get("steps"), path + ("steps",),
                                           "steps").items():
                spath = path + ("steps", sid)
                if sid not in steps:
                    self.warn("unknown_translation", f"translation for unknown step {sid!r}",
                              spath, step=sid, language=lang)
                    continue
                texts = self.mapping(texts, spath, f"translations.{lang}.steps.{sid}")
                for key, value in texts.items():
                    if key in STEP_TEXT_KEYS:
                        self.put_text(lang, f"steps.{sid}.{key}", value, spath + (key,), step=sid)
                    elif key in ("options", "errors"):
                        for sub, text in self.mapping(value, spath + (key,), key).items():
                            self.put_text(lang, f"steps.{sid}.{key}.{sub}", text,
                                          spath + (key, sub), step=sid)
                    else:
                        self.warn("unknown_translation", f"unknown key {key!r} in translation "
                                  f"of step {sid}", spath + (key,), step=sid, language=lang)
            # A script may translate gazetteer labels itself (a PO import does):
            # they win over the gazetteer file's translations.
            for list_name, labels in self.mapping(block.get("gazetteer"), path + ("gazetteer",),
                                                  "gazetteer").items():
                gpath = path + ("gazetteer", list_name)
                if list_name not in lists:
                    self.warn("unknown_translation", f"translation for unknown gazetteer list "
                              f"{list_name!r}", gpath, language=lang)
                    continue
                for value, text in self.mapping(labels, gpath, list_name).items():
                    self.put_text(lang, f"gazetteer.{list_name}.{value}", text, gpath + (value,))
            reviewed = block.get("reviewed")
            if reviewed is not None and not (isinstance(reviewed, list) and all(
                    isinstance(k, str) for k in reviewed)):
                self.error("shape", f"translations.{lang}.reviewed must be a list of text keys",
                           path + ("reviewed",), language=lang)
            elif reviewed is not None:
                languages[lang] = replace(languages[lang],
                                          reviewed=frozenset(str(k) for k in reviewed))
            for key in block:
                if key not in ("messages", "steps", "gazetteer", "reviewed"):
                    self.warn("unknown_translation", f"unknown key {key!r} in translations."
                              f"{lang}", path + (key,), language=lang)
        return languages

    # -- the gazetteer --------------------------------------------------------
    def gazetteer(self, base: str) -> dict[str, GazList]:
        if self.g is None:
            return {}
        kw = {"source": "gazetteer"}
        for path, line in self.g.duplicates:
            self.report.add(LintIssue(ERROR, "duplicate_key", f"key {path[-1]!r} is given twice",
                                      line, source="gazetteer"))
        data = self.mapping(self.g.data, (), "the gazetteer", **kw)
        lists: dict[str, GazList] = {}
        for name, spec in self.mapping(data.get("lists"), ("lists",), "lists", **kw).items():
            path = ("lists", name)
            spec = self.mapping(spec, path, f"list {name}", **kw)
            names = {str(k): str(v) for k, v in
                     self.mapping(spec.get("names"), path + ("names",), "names", **kw).items()}
            labels = self.mapping(spec.get("labels"), path + ("labels",), "labels", **kw)
            for value, label in labels.items():
                if value in names:
                    self.error("duplicate_value", f"list {name}: {value!r} is both a name and "
                               "a label", path + ("labels", value), **kw)
                self.put_text(base, f"gazetteer.{name}.{value}", label,
                              path + ("labels", value), source="gazetteer")
            known = set(names) | set(labels)
            groups: dict[str, list[str]] | None = None
            if spec.get("groups") is not None:
                groups = {}
                for key, values in self.mapping(spec["groups"], path + ("groups",), "groups",
                                                **kw).items():
                    if not isinstance(values, list):
                        self.error("shape", f"list {name}: group {key} must be a list",
                                   path + ("groups", key), **kw)
                        continue
                    groups[str(key)] = [str(v) for v in values]
                    for i, value in enumerate(groups[key]):
                        if value not in known:
                            self.error("unknown_value", f"list {name}: group {key} names "
                                       f"{value!r}, which has no name or label",
                                       path + ("groups", key, i), **kw)
            always = spec.get("always") or []
            if not isinstance(always, list):
                self.error("shape", f"list {name}: always must be a list", path + ("always",), **kw)
                always = []
            for item in always:
                if str(item) not in known:
                    self.error("unknown_value", f"list {name}: always names {item!r}, which "
                               "has no name or label", path + ("always",), **kw)
            unlisted = {str(k): str(v) for k, v in self.mapping(
                spec.get("unlisted"), path + ("unlisted",), "unlisted", **kw).items()}
            for value in unlisted:
                if value in known:
                    self.error("duplicate_value", f"list {name}: {value!r} is both listed and "
                               "unlisted", path + ("unlisted", value), **kw)
            ask_name = spec.get("ask_name")
            if ask_name is not None and (not isinstance(ask_name, str) or ask_name not in known):
                self.error("unknown_value", f"list {name}: ask_name {ask_name!r} must be one of "
                           "its values (the option that asks for a name)", path + ("ask_name",),
                           **kw)
                ask_name = None
            if ask_name is not None and not unlisted:
                self.warn("shape", f"list {name}: ask_name without unlisted names asks for "
                          "nothing it can understand", path + ("ask_name",), **kw)
            lists[name] = GazList(name, names, {str(k): v for k, v in labels.items()}, groups,
                                  tuple(str(v) for v in always), unlisted, ask_name)
        for lang, block in self.mapping(data.get("translations"), ("translations",),
                                        "translations", **kw).items():
            for list_name, translated in self.mapping(block, ("translations", lang), lang,
                                                      **kw).items():
                if list_name not in lists:
                    self.warn("unknown_translation", f"translation for unknown list "
                              f"{list_name!r}", ("translations", lang, list_name),
                              language=lang, **kw)
                    continue
                for value, label in self.mapping(translated, ("translations", lang, list_name),
                                                 list_name, **kw).items():
                    self.put_text(lang, f"gazetteer.{list_name}.{value}", label,
                                  ("translations", lang, list_name, value), source="gazetteer")
        return self.script_lists(lists)

    def script_lists(self, lists: dict[str, GazList]) -> dict[str, GazList]:
        """The script's own ``lists:`` add to the gazetteer's (an enabled county:
        ``mpaka counties enable``): more ``names`` (a value the gazetteer left
        unlisted becomes listed) and more ``groups`` (a group replaces the
        gazetteer's group of the same key)."""
        data = self.p.data if isinstance(self.p.data, dict) else {}
        for name, spec in self.mapping(data.get("lists"), ("lists",), "lists").items():
            path = ("lists", name)
            if name not in lists:
                self.error("unknown_value", f"lists: {name!r} is not a gazetteer list "
                           f"(one of: {', '.join(sorted(lists)) or 'none'})", path)
                continue
            spec = self.mapping(spec, path, f"list {name}")
            for key in spec:
                if key not in ("names", "groups"):
                    self.warn("unknown_key", f"list {name}: a script adds only names and "
                              f"groups, not {key!r}", path + (key,))
            base = lists[name]
            names = dict(base.names)
            unlisted = dict(base.unlisted)
            for value, label in self.mapping(spec.get("names"), path + ("names",),
                                             "names").items():
                if not IDENT.match(str(value)):
                    self.error("shape", f"list {name}: {value!r} must be lower case letters, "
                               "digits and _", path + ("names", value))
                    continue
                if value in base.labels:
                    self.error("duplicate_value", f"list {name}: {value!r} is already a label",
                               path + ("names", value))
                    continue
                names[str(value)] = str(label)
                unlisted.pop(str(value), None)
            known = set(names) | set(base.labels)
            groups = dict(base.groups) if base.groups is not None else None
            raw_groups = self.mapping(spec.get("groups"), path + ("groups",), "groups")
            if raw_groups and groups is None:
                self.error("shape", f"list {name} has no groups in the gazetteer",
                           path + ("groups",))
                raw_groups = {}
            for key, values in raw_groups.items():
                if not isinstance(values, list):
                    self.error("shape", f"list {name}: group {key} must be a list",
                               path + ("groups", key))
                    continue
                for i, member in enumerate(values):
                    if str(member) not in known:
                        self.error("unknown_value", f"list {name}: group {key} names "
                                   f"{member!r}, which has no name or label",
                                   path + ("groups", key, i))
                if groups is not None:
                    groups[str(key)] = [str(v) for v in values]
            lists[name] = replace(base, names=names, unlisted=unlisted, groups=groups)
        return lists


    # -- places ---------------------------------------------------------------
    def places(self, lists: dict[str, GazList]) -> tuple[Place, ...]:
        """``places: {county: {sub_county: [{name, also, at, kind}]}}`` of the
        gazetteer, then the script's own (admins add places in the script
        editor), plus the sub-counties themselves (by name, without a coordinate)."""
        counties, subs = (lists.get(name) for name in PLACE_LISTS)
        gazetteer = self.g.data if self.g is not None and isinstance(self.g.data, dict) else {}
        script = self.p.data if isinstance(self.p.data, dict) else {}
        sources = [(gazetteer.get("places"), "gazetteer"), (script.get("places"), "script")]
        if counties is None or subs is None or subs.groups is None:
            for raw, source in sources:
                if raw is not None:
                    self.error("unknown_list", "places need the lists "
                               + " and ".join(PLACE_LISTS) + " (sub-counties grouped by county)",
                               ("places",), source=source)
            return ()
        places: list[Place] = []
        for county, group in subs.groups.items():
            for sub in group:
                if sub in subs.names:
                    places.append(Place(subs.names[sub], county, sub, kind="sub_county"))
        for raw, source in sources:
            places.extend(self.place_block(raw, subs, source))
        self.ambiguous_places(places)
        return tuple(places)

    def place_block(self, raw: Node, subs: GazList, source: str) -> list[Place]:
        kw = {"source": source}
        places: list[Place] = []
        assert subs.groups is not None  # checked by the caller
        for county, block in self.mapping(raw, ("places",), "places", **kw).items():
            path: Path = ("places", county)
            if county not in subs.groups:
                self.error("unknown_value", f"places: {county!r} is not a county with "
                           "sub-counties", path, **kw)
                continue
            for sub, items in self.mapping(block, path, f"places.{county}", **kw).items():
                if sub not in subs.groups[county]:
                    self.error("unknown_value", f"places: {sub!r} is not a sub-county of "
                               f"{county}", path + (sub,), **kw)
                    continue
                if not isinstance(items, list):
                    self.error("shape", f"places.{county}.{sub} must be a list of places",
                               path + (sub,), **kw)
                    continue
                for i, item in enumerate(items):
                    place = self.place(item, county, sub, path + (sub, i), source)
                    if place is not None:
                        places.append(place)
        return places

    def place(self, item: Node, county: str, sub: str, path: Path,
              source: str = "gazetteer") -> Place | None:
        kw = {"source": source}
        spec = self.mapping(item, path, "a place", **kw)
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip():
            self.error("shape", "a place needs a name", path, **kw)
            return None
        for key in spec:
            if key not in ("name", "also", "at", "kind"):
                self.warn("unknown_key", f"place {name}: unknown key {key!r}", path + (key,), **kw)
        raw_also = spec.get("also") or []
        also = [a.strip() for a in raw_also if isinstance(a, str)] if isinstance(raw_also, list) else []
        if not isinstance(raw_also, list) or len(also) != len(raw_also):
            self.error("shape", f"place {name}: also must be a list of names", path + ("also",),
                       **kw)
        kind = spec.get("kind", "town")
        if kind not in PLACE_KINDS:
            self.error("shape", f"place {name}: kind must be one of {', '.join(PLACE_KINDS)}",
                       path + ("kind",), **kw)
            kind = "town"
        at = spec.get("at")
        degrees = [_degrees(c) for c in at] if isinstance(at, list) and len(at) == 2 else []
        lat, lon = (degrees + [None, None])[:2]
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.error("bad_coordinate", f"place {name}: at must be [latitude, longitude] in "
                       "decimal degrees, in range (-90..90, -180..180)", path + ("at",), **kw)
            return None
        return Place(name.strip(), county, sub, tuple(also), (lat, lon),
                     str(kind))

    def ambiguous_places(self, places: list[Place]) -> None:
        """A name given to places of two sub-counties is asked about, never
        guessed: allowed (two villages may share a name) but worth a look."""
        seen: dict[str, Place] = {}
        for place in places:
            for name in (place.name, *place.aliases):
                key = " ".join(name.casefold().split())
                other = seen.setdefault(key, place)
                if (other.county, other.sub_county) != (place.county, place.sub_county):
                    self.warn("ambiguous_place", f"places: {name!r} names places in "
                              f"{other.sub_county} ({other.county}) and {place.sub_county} "
                              f"({place.county}); reporters who type it are asked which",
                              ("places", place.county, place.sub_county), source="gazetteer")


def _degrees(value: Node) -> float | None:
    """A coordinate as the YAML gave it (the parser keeps decimals as text)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value)
    return float(text) if DECIMAL.match(text) else None


def build(parsed: Parsed, gazetteer: Parsed | None, report: LintReport) -> Built:
    return _Builder(parsed, gazetteer, report).build()
