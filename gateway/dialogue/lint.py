"""Check a script before it is saved or published, and load it.

``lint_script`` never raises for bad input: it returns a LintReport.  Errors
make a script unusable (``load_script`` refuses it); warnings cost money or
clarity (untranslated text, messages over one SMS, characters outside GSM-7).

Screens are rendered with the engine's own renderer, in every language, on
USSD and SMS, each menu page, and with the error line of a re-prompt, so a
length check is a check of what a reporter will actually see.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from gateway.vocab import Channel

from . import render, yamltext
from .build import Built, build
from .errors import ScriptError
from .gsm import non_gsm7, screen_cost, sms_segments
from .issues import ERROR, WARNING, Coverage, LintIssue, LintReport, Screen
from .script import DRAFT, MESSAGE_KEYS, Script, Step

REFERENCE_SAMPLE = "R-XXXXXXXX"  # longer than the references the host issues (R- and 6)
PROMPTED = ("language", "choice", "text", "confirm")
RESERVED_INPUTS = (render.BACK, render.RESTART, render.MORE)
SYSTEM_SCREENS = {  # message -> channels where it is shown on its own
    "strikes_out": (Channel.USSD, Channel.SMS), "quick_exit": (Channel.USSD, Channel.SMS), "cancelled": (Channel.USSD, Channel.SMS),
    "unavailable": (Channel.USSD, Channel.SMS), "stopped": (Channel.SMS,), "help": (Channel.SMS,),
}


def lint_script(yaml_text: str, gazetteer_text: str | None = None) -> LintReport:
    return _lint(yaml_text, gazetteer_text)[0]


def load_script(yaml_text: str, gazetteer_text: str | None = None) -> Script:
    """Parse and validate; raise ScriptError(message, line=...) on any lint error."""
    report, script = _lint(yaml_text, gazetteer_text)
    if report.errors:
        first = report.errors[0]
        more = f" (and {len(report.errors) - 1} more errors)" if len(report.errors) > 1 else ""
        where = "gazetteer: " if first.source == "gazetteer" else ""
        raise ScriptError(where + first.message + more, line=first.line, issues=report.errors)
    assert script is not None  # only an error stops the builder from making one
    return script


def _lint(yaml_text: str, gazetteer_text: str | None) -> tuple[LintReport, Script | None]:
    report = LintReport()
    parsed: yamltext.Parsed | None = None
    gazetteer: yamltext.Parsed | None = None
    try:
        parsed = yamltext.parse(yaml_text, "script")
        if gazetteer_text is not None:
            gazetteer = yamltext.parse(gazetteer_text, "gazetteer")
    except ScriptError as exc:
        source = "script" if parsed is None else "gazetteer"
        report.add(LintIssue(ERROR, "yaml", exc.message, exc.line, source=source))
        return report, None
    built = build(parsed, gazetteer, report)
    if built.script is not None and built.script.steps:
        _Checks(built, built.script, report).run()
    return report, built.script


class _Checks:
    def __init__(self, built: Built, script: Script, report: LintReport):
        self.b, self.s, self.report = built, script, report
        self.reported: set[tuple[str, str]] = set()  # (screen text, channel) already reported

    def issue(self, level: str, code: str, message: str, step: str | None = None,
              language: str | None = None, key: str | None = None,
              line: int | None = None) -> None:
        source = "script"
        if key is not None and language is not None and (language, key) in self.b.where:
            source, line = self.b.where[(language, key)]
        elif line is None and step is not None:
            line = self.b.step_lines.get(step)
        self.report.add(LintIssue(level, code, message, line, step, language, source))

    def run(self) -> None:
        self.references()
        self.guesses()
        self.graph()
        self.base_texts()
        self.coverage()
        self.characters()
        self.screens()

    # -- structure ------------------------------------------------------------------
    def guesses(self) -> None:
        """settings.guess names choice steps and values they offer."""
        s = self.s
        for sid, values in s.settings.guess.items():
            step = s.steps.get(sid)
            line = self.b.parsed.line(("settings", "guess", sid)) if self.b.parsed else None
            if step is None or step.kind != "choice":
                self.issue(ERROR, "bad_setting", f"settings.guess.{sid}: no choice step {sid!r}",
                           line=line)
                continue
            known = {value for value, _label in s.options(step, {}, None)}
            if step.options_from in s.lists:
                known |= set(s.lists[step.options_from].values(None)) | {
                    v for group in (s.lists[step.options_from].groups or {}).values() for v in group}
            for value in values:
                if value not in known:
                    self.issue(ERROR, "bad_setting", f"settings.guess.{sid}.{value}: step {sid} "
                               f"has no option {value!r}", step=sid)

    def references(self) -> None:
        s = self.s
        if s.settings.quick_exit in RESERVED_INPUTS:
            self.issue(ERROR, "bad_setting", f"settings.quick_exit {s.settings.quick_exit!r} "
                       "clashes with navigation (0 back, 00 start, 98 more)")
        fields: dict[str, str] = {}
        for step in s.steps.values():
            sid = step.id
            for name, target in (("next", step.next), ("change_to", step.change_to),
                                 ("lookup_from", step.lookup_from)):
                if target is not None and target not in s.steps:
                    self.issue(ERROR, "unknown_next", f"step {sid}: {name} {target!r} is not a "
                               "step", step=sid)
            for option in step.options:
                if option.next is not None and option.next not in s.steps:
                    self.issue(ERROR, "unknown_next", f"step {sid}: option {option.value} leads "
                               f"to {option.next!r}, which is not a step", step=sid,
                               line=self.b.option_lines.get((sid, option.value)))
            if None in self.targets(step):
                self.issue(ERROR, "unknown_next", f"step {sid} is the last step but not an end "
                           "step: give it next:", step=sid)
            if step.kind == "choice" and bool(step.options) == bool(step.options_from):
                self.issue(ERROR, "shape", f"step {sid}: a choice needs either options or "
                           "options_from", step=sid)
            if step.kind != "choice" and (step.options_from or step.filter_by):
                self.issue(ERROR, "shape", f"step {sid}: only choice steps take options_from",
                           step=sid)
            if step.kind in ("text", "end") and step.options:
                self.issue(ERROR, "shape", f"step {sid}: a {step.kind} step has no options",
                           step=sid)
            if step.kind == "language" and any(o.value in s.languages for o in step.options):
                self.issue(ERROR, "shape", f"step {sid}: an option of a language step may "
                           "not be a language code (the languages are listed already)", step=sid)
            if step.kind == "language" and any(not o.next for o in step.options):
                self.issue(ERROR, "shape", f"step {sid}: each option of a language step "
                           "needs a next: (a step of its own, e.g. checking a report)", step=sid)
            if step.kind == "confirm" and "send" not in [o.value for o in step.options]:
                self.issue(ERROR, "shape", f"step {sid}: a confirm step needs a send option",
                           step=sid)
            if step.options_from and step.options_from not in s.lists:
                hint = "" if s.lists else " (no gazetteer was given)"
                self.issue(ERROR, "unknown_list", f"step {sid}: gazetteer list "
                           f"{step.options_from!r} does not exist{hint}", step=sid)
            if step.filter_by and step.filter_by not in s.steps:
                self.issue(ERROR, "unknown_step", f"step {sid}: filter_by {step.filter_by!r} "
                           "is not a step", step=sid)
            if step.kind == "text" and step.min_length > step.max_length:
                self.issue(ERROR, "shape", f"step {sid}: min is larger than max", step=sid)
            if step.field:
                if step.field in fields:
                    self.issue(WARNING, "duplicate_field", f"step {sid}: field {step.field} is "
                               f"also set by step {fields[step.field]}", step=sid)
                fields[step.field] = sid

    def targets(self, step: Step) -> list[str | None]:
        """Where a step can lead forward (None: nowhere).  Confirm's change goes
        back and its cancel ends the dialogue, so neither is an edge."""
        if step.kind == "end":
            return []
        values = [o.value for o in step.options
                  if step.kind != "confirm" or o.value not in ("change", "cancel")]
        if step.kind == "language":  # a chosen language goes on; its own options jump
            return [self.s.next_after(step), *(self.s.next_after(step, v) for v in values)]
        if not values:
            return [self.s.next_after(step)]
        return [self.s.next_after(step, v) for v in values]

    def successors(self, step: Step) -> list[str]:
        return [t for t in self.targets(step) if t is not None and t in self.s.steps]

    def graph(self) -> None:
        s = self.s
        seen, queue = {s.start}, deque([s.start])
        while queue:
            for nxt in self.successors(s.steps[queue.popleft()]):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        for sid in s.steps:
            if sid not in seen:
                self.issue(ERROR, "unreachable", f"step {sid} can never be reached from "
                           f"{s.start}", step=sid)
        # Walk backwards from the end steps: whatever is not met has no way out.
        parents: dict[str, set[str]] = {sid: set() for sid in s.steps}
        for step in s.steps.values():
            for nxt in self.successors(step):
                parents[nxt].add(step.id)
        ends = [sid for sid, st in s.steps.items() if st.kind == "end"]
        if not ends:
            self.issue(ERROR, "no_way_out", "the script has no end step")
        out, queue = set(ends), deque(ends)
        while queue:
            for parent in parents[queue.popleft()]:
                if parent not in out:
                    out.add(parent)
                    queue.append(parent)
        for sid in s.steps:
            if sid in seen and sid not in out and ends:
                self.issue(ERROR, "no_way_out", f"step {sid} never leads to an end step (a "
                           "loop with no way out?)", step=sid)

    # -- texts -------------------------------------------------------------------------
    def base_texts(self) -> None:
        s, base = self.s, self.s.base_language
        texts = s.texts.get(base, {})
        for key in MESSAGE_KEYS:
            if f"messages.{key}" not in texts:
                self.issue(ERROR, "missing_base_text", f"message {key} has no {base} text")
        for step in s.steps.values():
            if step.kind == "end":
                needed = [] if step.lookup else ["text"]  # the host answers a lookup
            else:
                needed = ["prompt"] if step.kind in PROMPTED else []
            needed += [f"options.{o.value}" for o in step.options]
            for key in needed:
                if f"steps.{step.id}.{key}" not in texts:
                    line = None
                    if key.startswith("options."):
                        line = self.b.option_lines.get((step.id, key[8:]))
                    self.issue(ERROR, "missing_base_text", f"step {step.id}: {key} has no "
                               f"{base} text", step=step.id, line=line)

    def coverage(self) -> None:
        s, base = self.s, self.s.base_language
        self.report.base_language = base
        keys = s.translatable_keys()
        for code, lang in s.languages.items():
            own = s.texts.get(code, {})
            missing = [] if code == base else [k for k in keys if k not in own]
            draft = [k for k in keys if s.review_state(code, k) == DRAFT]
            translated = len(keys) - len(missing)
            s_cov: Coverage = {"translated": translated, "total": len(keys), "missing": missing,
                               "reviewed": translated - len(draft), "draft": draft}
            if missing:
                chain = " > ".join(s.chain(code)[1:])
                shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
                self.issue(WARNING, "missing_translation", f"{code}: {len(missing)} of "
                           f"{len(keys)} texts untranslated (falls back to {chain}): {shown}",
                           language=code, line=self.language_line(code))
            if code != base:
                for key in own:
                    if key not in s.texts.get(base, {}):
                        self.issue(WARNING, "unknown_translation", f"{code}: {key} has no "
                                   f"{base} original", language=code, key=key)
            for key in sorted(lang.reviewed - set(own)):
                self.issue(WARNING, "unknown_translation", f"{code}: reviewed names {key}, "
                           f"which has no {code} text", language=code,
                           line=self.reviewed_line(code))
            if not s.fully_reviewed(code):
                self.issue(WARNING, "needs_review", f"{code} ({lang.name}) is not fully "
                           f"reviewed: {s_cov['reviewed']} of {len(keys)} texts checked by a "
                           "native speaker. It is still offered; alerts of its reports ask for "
                           "an interpreter", language=code, line=self.language_line(code))
            self.report.coverage[code] = s_cov

    def reviewed_line(self, code: str) -> int | None:
        parsed = self.b.parsed
        return parsed.line(("translations", code, "reviewed")) if parsed is not None else None

    def language_line(self, code: str) -> int | None:
        parsed = self.b.parsed
        return parsed.line(("languages", code)) if parsed is not None else None

    def characters(self) -> None:
        for code, texts in self.s.texts.items():
            for key, text in texts.items():
                for index, char in non_gsm7(text):
                    step = key.split(".")[1] if key.startswith("steps.") else None
                    self.issue(WARNING, "non_gsm", f"{code} {key}: character {char!r} at "
                               f"{index} is not GSM-7; the SMS becomes UCS-2 and costs 2-3x",
                               step=step, language=code, key=key)
        for code, lang in self.s.languages.items():
            for index, char in non_gsm7(lang.name):
                self.issue(WARNING, "non_gsm", f"language name {lang.name!r}: character "
                           f"{char!r} at {index} is not GSM-7", language=code,
                           line=self.language_line(code))

    # -- screens -------------------------------------------------------------------
    def screens(self) -> None:
        s = self.s
        for code in s.languages:
            for step in s.steps.values():
                for variant, answers in self.variants(step, code):
                    for channel in (Channel.USSD, Channel.SMS):
                        for page, text, error in self.step_screens(step, code, channel, answers):
                            self.screen(step.id, code, channel, text, error, page, variant)
            resume = render.resume_screen(s, code)
            for channel in (Channel.USSD, Channel.SMS):
                self.screen("messages.resume", code, channel, resume, s.message("invalid", code))
            self.screen("messages.in_progress", code, Channel.SMS,  # a start keyword mid-dialogue
                        render.resume_screen(s, code, in_progress=True), s.message("invalid", code))
            for key, channels in SYSTEM_SCREENS.items():
                for channel in channels:
                    self.screen(f"messages.{key}", code, channel, s.message(key, code), "")
        self.screen("messages.unavailable_multilingual", s.base_language, Channel.USSD,
                    s.message("unavailable_multilingual"), "")
        self.place_screens()

    def place_screens(self) -> None:
        """The longest one-line place check per language, as a re-prompt shows it."""
        s = self.s
        if not s.places or s.place_steps() is None:
            return
        for code in s.languages:
            offers = [[{"name": p.name, "county": p.county, "sub_county": p.sub_county}]
                      for p in s.places]
            longest = max((render.place_screen(s, code, offer) for offer in offers),
                          key=screen_cost)
            for channel in (Channel.USSD, Channel.SMS):
                self.screen("messages.place_check", code, channel, longest,
                            s.message("invalid", code))

    def variants(self, step: Step, code: str) -> list[tuple[str | None, dict[str, str]]]:
        """Answers that change how a step renders: each group of a filtered list."""
        s = self.s
        if not step.filter_by or step.options_from is None or step.options_from not in s.lists:
            return [(None, {})]
        groups = list(s.lists[step.options_from].groups or {})
        source = s.steps.get(step.filter_by)
        if source is not None:
            groups += [v for v, _label in s.options(source, {}, code) if v not in groups]
        return [(g, {step.filter_by: g}) for g in groups] or [(None, {})]

    def step_screens(self, step: Step, code: str, channel: str, answers: dict[str, str]
                     ) -> Iterator[tuple[int | str | None, str, str]]:
        """(page, text, error line shown when re-prompting) for each screen of a step."""
        s = self.s
        if step.kind in ("language", "choice"):
            _text, pages = render.choice_screen(s, step, code, channel, answers)
            error = render.invalid_text(s, step, code)
            for page in range(pages):
                yield page if pages > 1 else None, render.choice_screen(s, step, code, channel, answers, page)[0], error
        elif step.kind == "text":
            error = s.error_text(step, "too_short", code)  # a long text is kept, never refused
            yield None, s.step_text(step, "prompt", code), error
            yield "kept", render.keep_screen(s, step, code, "x" * s.settings.quote_chars,
                                             channel), error
        elif step.kind == "confirm":
            answers, path = self.longest_answers(step, code)
            yield None, render.confirm_screen(s, step, code, answers, path, channel,
                                              reserve=render.reserve_for(s, step, code)), \
                render.invalid_text(s, step, code)
            before = list(s.steps)[: list(s.steps).index(step.id)]
            items = render.change_items(s, dict.fromkeys(before, "x"), before, code)
            if step.change_to is None and len(items) > 1:
                yield "change", render.change_screen(s, code, items), s.message("invalid", code)
        else:
            yield None, render.end_screen(s, step, code, REFERENCE_SAMPLE), ""

    def longest_answers(self, confirm: Step, code: str) -> tuple[dict[str, str], list[str]]:
        s = self.s
        answers: dict[str, str] = {}
        path: list[str] = []
        for step in s.steps.values():
            if step.id == confirm.id:
                break
            if not (s.step_text(step, "summary", code)
                    or s.step_text(step, "summary_if_room", code)):
                continue
            path.append(step.id)
            if step.kind == "text":
                answers[step.id] = "x" * s.settings.quote_chars
                continue
            best = ""
            for _variant, extra in self.variants(step, code):
                for value, label in s.options(step, extra, code):
                    if screen_cost(label) > screen_cost(best):
                        best, answers[step.id] = label, value
                        answers.update(extra)
        return answers, path

    def screen(self, where: str, code: str, channel: str, text: str, error: str,
               page: int | str | None = None, variant: str | None = None) -> None:
        s = self.s
        shown = render.with_error(error, text) if error else text
        budget = s.settings.ussd_screen_chars
        entry: Screen = {
            "step": where, "language": code, "channel": channel, "text": text,
            "length": len(text), "length_with_error": len(shown),
            "fits_ussd": screen_cost(shown) <= budget, "sms_segments": sms_segments(text),
            "non_gsm": non_gsm7(text),
        }
        if isinstance(page, str):  # e.g. "kept": a second screen of the same step
            variant, page = f"{variant}, {page}" if variant else page, None
        if page is not None:
            entry["page"] = page + 1
        if variant is not None:
            entry["variant"] = variant
        self.report.screens.append(entry)
        step = where if where in s.steps else None
        key = where
        if step:
            key = f"steps.{where}.{'text' if s.steps[step].kind == 'end' else 'prompt'}"
        label = f"{where} ({code}{', ' + str(variant) if variant else ''}" \
                f"{', page ' + str(page + 1) if page is not None else ''})"
        if channel == Channel.USSD and not entry["fits_ussd"] and (shown, Channel.USSD) not in self.reported:
            self.reported.add((shown, Channel.USSD))
            self.issue(ERROR, "screen_too_long", f"{label}: USSD screen is "
                       f"{screen_cost(shown)} of {budget} characters"
                       f"{' with its error line' if error else ''}; shorten the text",
                       step=step, language=code, key=key)
        if channel == Channel.SMS and (shown, Channel.SMS) not in self.reported and (
                sms_segments(shown) > 1 or screen_cost(shown) > s.settings.sms_screen_chars):
            # Every reply a reporter pays for is one segment, re-prompts included.
            self.reported.add((shown, Channel.SMS))
            self.issue(ERROR, "sms_segments", f"{label}: SMS of {len(shown)} characters"
                       f"{' with its error line' if error else ''} costs "
                       f"{sms_segments(shown)} segments; one is the limit", step=step,
                       language=code, key=key)
