"""The linter and loader: each check on a small broken script, the shipped
script, and hostile YAML."""

from __future__ import annotations

import time

import pytest

from gateway.defaults import default_script_text, gazetteer_text
from gateway.dialogue import LintReport, ScriptError, lint_script, load_script

MESSAGES = """\
messages:
  invalid: Not valid.
  too_short: Too short.
  too_long: Too long.
  strikes_out: Start again later.
  quick_exit: Goodbye.
  resume: Continue?
  continue: Continue
  start_over: Start again
  help: Send GO to start.
  stopped: Deleted.
  cancelled: Cancelled.
  you_wrote: 'You wrote: "{text}"'
  use_this: Use this
  write_new: Write new
  more: More
  back: Back
  unavailable: Not available.
  unavailable_multilingual: Not available. Haipatikani.
"""

MINI = """\
id: mini
version: "1"
base_language: eng
languages:
  eng: {name: English}
  swa: {name: Kiswahili, fallback: [eng]}
settings:
  keywords:
    start: {GO: eng}
    stop: {STOP: eng}
""" + MESSAGES + """\
steps:
  - id: lang
    kind: language
    prompt: Language?
  - id: what
    kind: choice
    field: category
    prompt: What happened?
    options:
      - {value: fire, label: Fire, severity: high}
      - {value: theft, label: Theft}
  - id: note
    kind: text
    field: description
    prompt: Describe it.
    min: 3
    max: 100
  - id: check
    kind: confirm
    prompt: Send?
    options:
      - {value: send, label: Send}
      - {value: cancel, label: Cancel}
  - id: done
    kind: end
    text: Thanks. {reference}
translations:
  swa:
    steps:
      what:
        prompt: Nini kilitokea?
"""


def codes(report: LintReport, level="errors") -> list[str]:
    return [issue.code for issue in getattr(report, level)]


def issue(report: LintReport, code: str):
    found = [i for i in report.errors + report.warnings if i.code == code]
    assert found, f"no {code} in:\n{report.format()}"
    return found[0]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_minimal_script_lints_clean():
    """The small reference script has no errors."""
    report = lint_script(MINI)
    assert report.ok, report.format()
    assert load_script(MINI).id == "mini"


def test_unknown_next_is_an_error_with_its_line():
    """An option leading to a missing step is an error on that option's line."""
    text = MINI.replace("{value: theft, label: Theft}", "{value: theft, label: Theft, next: nowhere}")
    found = issue(lint_script(text), "unknown_next")
    assert found.level == "error" and found.step == "what"
    assert found.line == line_of(text, "next: nowhere")


def test_unreachable_step_is_an_error():
    """A step nothing leads to is unreachable."""
    text = MINI.replace("    max: 100\n", "    max: 100\n    next: done\n")
    text = text.replace("  - id: check\n", "  - id: check\n    next: done\n")
    found = issue(lint_script(text), "unreachable")
    assert found.step == "check" and found.line == line_of(text, "- id: check")


def test_loop_without_an_end_is_an_error():
    """Steps that only lead to each other can never finish."""
    text = MINI.replace("{value: fire, label: Fire, severity: high}",
                        "{value: fire, label: Fire, next: loop_a}")
    text = text.replace("translations:\n", """  - id: loop_a
    kind: text
    prompt: Again?
    next: loop_b
  - id: loop_b
    kind: text
    prompt: And again?
    next: loop_a
translations:
""")
    report = lint_script(text)
    assert {i.step for i in report.errors if i.code == "no_way_out"} == {"loop_a", "loop_b"}


def test_last_step_must_be_an_end():
    """A script that runs off its last step without an end is an error."""
    text = MINI.replace("  - id: done\n    kind: end\n    text: Thanks. {reference}\n", "")
    assert "unknown_next" in codes(lint_script(text))
    assert "no_way_out" in codes(lint_script(text))


def test_option_without_value_is_an_error():
    """Every option needs a value."""
    text = MINI.replace("{value: theft, label: Theft}", "{label: Theft}")
    found = issue(lint_script(text), "option_no_value")
    assert found.line == line_of(text, "{label: Theft}")


def test_duplicate_option_value_is_an_error():
    """Two options with the same value are an error."""
    text = MINI.replace("{value: theft, label: Theft}", "{value: fire, label: Theft}")
    assert "duplicate_value" in codes(lint_script(text))


def test_missing_base_label_is_an_error():
    """An option without a base-language label is an error."""
    text = MINI.replace("{value: theft, label: Theft}", "{value: theft}")
    found = issue(lint_script(text), "missing_base_text")
    assert found.step == "what" and found.line == line_of(text, "{value: theft}")


def test_missing_system_message_is_an_error():
    """Every system message needs a base-language text."""
    text = MINI.replace("  more: More\n", "")
    found = issue(lint_script(text), "missing_base_text")
    assert "more" in found.message


def test_overlong_ussd_screen_is_an_error_in_each_language():
    """A screen over 160 characters as rendered (with its error line) is an error."""
    long_prompt = "Tell us " + "very " * 28 + "briefly."
    text = MINI.replace("prompt: Describe it.", f"prompt: {long_prompt}")
    found = issue(lint_script(text), "screen_too_long")
    assert found.step == "note" and found.language == "eng"
    assert found.line == line_of(text, "prompt: Tell us")


def test_error_line_counts_toward_the_screen_budget():
    """A prompt that fits alone but not with the re-prompt error line is still an error."""
    # The confirm screen is the prompt, a newline and "1. Send\n2. Cancel" (17 characters);
    # a re-prompt adds "Not valid.\n" (11): 131 + 18 + 11 = 160.
    fits = MINI.replace("prompt: Send?", f"prompt: {'x' * 131}")
    assert "screen_too_long" not in codes(lint_script(fits))
    overflows = MINI.replace("prompt: Send?", f"prompt: {'x' * 132}")
    found = issue(lint_script(overflows), "screen_too_long")
    assert found.step == "check" and "with its error line" in found.message


def test_translated_screen_is_checked_in_its_language():
    """A translation that overflows is reported for that language, on its line."""
    text = MINI.replace("prompt: Nini kilitokea?", "prompt: " + "Nini " * 35)
    found = issue(lint_script(text), "screen_too_long")
    assert found.language == "swa" and found.line == line_of(text, "prompt: Nini Nini")


def test_long_menu_paginates_instead_of_erroring():
    """A menu too long for one USSD screen is split into pages, not rejected."""
    options = "".join(f"      - {{value: v{i}, label: Option number {i}}}\n" for i in range(15))
    text = MINI.replace("""      - {value: fire, label: Fire, severity: high}
      - {value: theft, label: Theft}
""", options)
    report = lint_script(text)
    assert report.ok, report.format()
    pages = [s for s in report.screens
             if s["step"] == "what" and s["channel"] == "ussd" and s["language"] == "eng"]
    assert len(pages) >= 2 and all(s["fits_ussd"] for s in pages)
    assert pages[0]["text"].endswith("98. More")


def test_unknown_gazetteer_list_is_an_error():
    """options_from must name a list of the gazetteer."""
    text = MINI.replace("""    options:
      - {value: fire, label: Fire, severity: high}
      - {value: theft, label: Theft}
""", "    options_from: places\n")
    found = issue(lint_script(text), "unknown_list")
    assert "no gazetteer" in found.message
    gaz = "lists:\n  towns:\n    names: {lodwar: Lodwar}\n"
    assert "unknown_list" in codes(lint_script(text, gaz))
    assert lint_script(text.replace("options_from: places", "options_from: towns"), gaz).ok


def test_gazetteer_group_naming_an_unknown_value_is_an_error():
    """A group may only list values that have a name or label."""
    gaz = "lists:\n  towns:\n    names: {lodwar: Lodwar}\n    groups:\n      a: [lodwar, kakuma]\n"
    found = issue(lint_script(MINI, gaz), "unknown_value")
    assert found.source == "gazetteer" and found.line == 5


@pytest.mark.parametrize(
    "old, new",
    [
        pytest.param("  swa: {name: Kiswahili, fallback: [eng]}",
                     "  sw: {name: Kiswahili, fallback: [eng]}", id="two-letter code"),
        pytest.param("base_language: eng", "base_language: fra", id="undeclared base"),
        pytest.param("translations:\n  swa:", "translations:\n  som:", id="undeclared translation"),
        pytest.param("start: {GO: eng}", "start: {GO: som}", id="keyword language"),
    ],
)
def test_bad_language_codes_are_errors(old, new):
    """Language codes are ISO 639-3 and must be declared wherever used."""
    assert "bad_language" in codes(lint_script(MINI.replace(old, new)))


def test_fallback_to_an_undeclared_language_is_an_error():
    """A fallback chain may only name declared languages."""
    text = MINI.replace("fallback: [eng]", "fallback: [som, eng]")
    found = issue(lint_script(text), "bad_fallback")
    assert found.language == "swa" and found.line == line_of(text, "fallback: [som")


def test_missing_translations_are_warnings_with_coverage():
    """Untranslated texts are warnings; coverage counts them per language."""
    report = lint_script(MINI)
    assert "missing_translation" in codes(report, "warnings")
    cov = report.coverage["swa"]
    assert cov["translated"] == 1 and cov["total"] > 20
    assert "steps.what.options.fire" in cov["missing"]
    assert report.coverage["eng"]["missing"] == []


def test_a_long_sms_menu_is_paged_not_an_error():
    """A menu longer than one SMS segment is paged on SMS (98 More): no issue."""
    options = "".join(f"      - {{value: v{i}, label: A rather long option {i}}}\n" for i in range(8))
    text = MINI.replace("""      - {value: fire, label: Fire, severity: high}
      - {value: theft, label: Theft}
""", options)
    report = lint_script(text)
    assert report.ok and "sms_segments" not in codes(report, "warnings") + codes(report, "errors")


def test_an_sms_text_over_one_segment_is_an_error():
    """A reply a reporter pays for must be one segment: a long SMS text is an error."""
    text = MINI.replace("help: Send GO to start.", "help: " + "Send GO to start. " * 10)
    report = lint_script(text)
    assert not report.ok and "sms_segments" in codes(report, "errors")


def test_non_gsm_character_is_a_warning_with_its_position():
    """A curly apostrophe is reported with language, step and index."""
    text = MINI.replace("prompt: Nini kilitokea?", "prompt: Nini kilitokea ng\u2019ombe?")
    found = issue(lint_script(text), "non_gsm")
    assert found.level == "warning"
    assert (found.language, found.step) == ("swa", "what")
    assert "at 17" in found.message and found.line == line_of(text, "ng\u2019ombe")
    screens = [s for s in lint_script(text).screens if s["non_gsm"]]
    assert screens and screens[0]["non_gsm"][0][1] == "\u2019"


def test_duplicate_key_is_an_error():
    """A key given twice in a mapping is an error (YAML would silently keep the last)."""
    text = MINI.replace("    prompt: Describe it.\n", "    prompt: Describe it.\n    prompt: Again.\n")
    found = issue(lint_script(text), "duplicate_key")
    assert found.line == line_of(text, "prompt: Again.")


def test_yes_and_no_stay_text():
    """Option values yes/no/on/off are strings, not YAML 1.1 booleans."""
    text = MINI.replace("value: fire", "value: yes").replace("value: theft", "value: no")
    script = load_script(text)
    assert [o.value for o in script.steps["what"].options] == ["yes", "no"]


def test_malformed_yaml_reports_its_line():
    """Broken YAML is one lint error with a line; load_script raises ScriptError."""
    text = MINI.replace("    prompt: Describe it.", "    prompt: [Describe it.")
    report = lint_script(text)
    assert codes(report) == ["yaml"] and report.errors[0].line is not None
    with pytest.raises(ScriptError) as exc:
        load_script(text)
    assert exc.value.line is not None


def test_load_script_raises_with_every_error():
    """load_script refuses a script with lint errors and lists them."""
    text = MINI.replace("{value: theft, label: Theft}", "{value: fire}")
    with pytest.raises(ScriptError) as exc:
        load_script(text)
    assert exc.value.line == line_of(text, "{value: fire}")
    assert exc.value.issues and str(exc.value).startswith("line ")


@pytest.mark.parametrize(
    "text",
    ["", "[]", "42", "steps: 5", "id: x\nsteps: [1, 2]", "languages: {eng: 3}\nsteps: []",
     "id: x\nlanguages: {eng: E}\nbase_language: eng\nsteps:\n  - {id: a, kind: choice}\n"],
)
def test_lint_never_raises_on_bad_shapes(text):
    """Odd shapes give errors in the report, never an exception."""
    report = lint_script(text)
    assert not report.ok
    assert all(line.strip() for line in report.format().splitlines())


def test_format_prints_one_issue_per_line():
    """format() is for the CLI: 'line N: level: message [code]'."""
    text = MINI.replace("{value: theft, label: Theft}", "{value: theft, label: Theft, next: nowhere}")
    out = lint_script(text).format()
    n = line_of(text, "next: nowhere")
    assert f"line {n}: error: step what: option theft leads to 'nowhere'" in out


def test_yaml_bomb_fails_fast():
    """Alias expansion ("billion laughs") is capped: ScriptError, quickly."""
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    start = time.monotonic()
    with pytest.raises(ScriptError, match="aliases"):
        load_script(bomb)
    assert time.monotonic() - start < 2


def test_deep_nesting_fails_fast():
    """Deeply nested YAML is refused before it is built."""
    start = time.monotonic()
    with pytest.raises(ScriptError, match="nest"):
        load_script("a: " + "[" * 5000 + "]" * 5000)
    assert time.monotonic() - start < 2


def test_recursive_alias_is_refused():
    """A self-referencing anchor cannot recurse forever."""
    with pytest.raises(ScriptError):
        load_script("a: &a [*a]\n")


def test_huge_input_is_refused():
    """Input above the size cap is refused without parsing."""
    with pytest.raises(ScriptError, match="larger than"):
        load_script("# " + "x" * 300_000)


def test_shipped_script_has_no_errors():
    """The default script and gazetteer lint without errors."""
    report = lint_script(default_script_text(), gazetteer_text())
    assert report.ok, report.format()


def test_every_shipped_ussd_screen_fits():
    """Every USSD screen of the default script fits 160 GSM-7 characters, error line included."""
    report = lint_script(default_script_text(), gazetteer_text())
    ussd = [s for s in report.screens if s["channel"] == "ussd"]
    assert ussd and all(s["fits_ussd"] for s in ussd)
    assert not [s for s in report.screens if s["non_gsm"]]


def test_shipped_script_is_fully_translated_in_swahili_and_somali():
    """Kiswahili and Somali cover every text; Turkana and Borana are marked for review."""
    report = lint_script(default_script_text(), gazetteer_text())
    assert report.coverage["swa"]["missing"] == []
    assert report.coverage["som"]["missing"] == []
    script = load_script(default_script_text(), gazetteer_text())
    assert script.languages["tuv"].review and script.languages["gax"].review
    assert script.chain("tuv") == ["tuv", "swa", "eng"]


def test_shipped_gazetteer_matches_the_counties():
    """Sub-counties and border crossings per county, as in PROVIDERS.md."""
    script = load_script(default_script_text(), gazetteer_text())
    subs = script.lists["sub_counties"]
    assert subs.values("busia") == ["teso_north", "teso_south", "nambale", "matayos", "butula",
                                    "funyula", "budalangi", "uganda", "unknown"]
    borders = {c: [v for v in subs.values(c) if v in ("uganda", "south_sudan", "ethiopia",
                                                      "somalia")]
               for c in ("turkana", "marsabit", "mandera", "wajir", "busia")}
    assert borders == {"turkana": ["uganda", "south_sudan", "ethiopia"],
                       "marsabit": ["ethiopia"], "mandera": ["ethiopia", "somalia"],
                       "wajir": ["ethiopia", "somalia"], "busia": ["uganda"]}
    assert subs.values("other") == ["unknown"]
    assert script.lists["counties"].values() == ["turkana", "marsabit", "mandera", "wajir",
                                                 "busia", "other"]


def test_moderate_nesting_beyond_the_cap_is_refused():
    """Nesting just past the script cap (24 levels) is refused with a line number."""
    with pytest.raises(ScriptError, match="nested deeper") as exc:
        load_script("a: " + "[" * 30 + "]" * 30)
    assert exc.value.line == 1


def test_default_script_loads_through_the_package():
    """gateway.defaults reads the shipped YAML as package data."""
    from gateway.defaults import load_default_script

    script = load_default_script()
    assert (script.id, script.version, script.base_language) == ("report", "1", "eng")
    assert list(script.languages) == ["eng", "swa", "som", "tuv", "gax"]
    assert script.settings.keywords["start"] == {"report": "eng", "ripoti": "swa",
                                                 "warbixin": "som", "akiro": "tuv",
                                                 "gabaasa": "gax"}
    assert script.message("unavailable_multilingual")


def test_review_state_is_draft_unless_listed_for_a_review_language():
    """In a `review: true` language only the keys under `reviewed:` are
    reviewed; coverage counts them and lists the drafts; the lint warns that
    the language is not fully reviewed."""
    text = MINI.replace("swa: {name: Kiswahili, fallback: [eng]}",
                        "swa: {name: Kiswahili, fallback: [eng], review: true}").replace(
        "translations:\n  swa:\n", "translations:\n  swa:\n"
        "    messages: {invalid: Chaguo si sahihi., quick_exit: Kwaheri.}\n"
        "    reviewed: [messages.invalid, steps.what.prompt]\n")
    report = lint_script(text)
    cov = report.coverage["swa"]
    assert cov["reviewed"] == 2 and cov["draft"] == ["messages.quick_exit"]
    assert "needs_review" in codes(report, "warnings")
    assert "coverage swa: 3/" in report.format() and ", 2 reviewed" in report.format()
    script = load_script(text)
    assert script.review_state("swa", "messages.invalid") == "reviewed"
    assert script.review_state("swa", "messages.quick_exit") == "draft"
    assert script.review_state("swa", "messages.help") is None  # not translated
    assert not script.fully_reviewed("swa") and script.fully_reviewed("eng")


def test_a_language_without_review_flag_counts_as_reviewed():
    """Existing scripts keep working: every text of a language not marked
    `review: true` is reviewed, and no review warning is given."""
    report = lint_script(MINI)
    cov = report.coverage["swa"]
    assert cov["reviewed"] == cov["translated"] and cov["draft"] == []
    assert "needs_review" not in codes(report, "warnings")


def test_reviewed_must_be_a_list_of_keys_and_name_existing_texts():
    """A malformed `reviewed:` is an error; a key without a text is a warning."""
    bad = MINI.replace("  swa:\n    steps:", "  swa:\n    reviewed: messages.invalid\n    steps:")
    assert "shape" in codes(lint_script(bad))
    unknown = MINI.replace("  swa:\n    steps:",
                           "  swa:\n    reviewed: [messages.nothing]\n    steps:")
    found = issue(lint_script(unknown), "unknown_translation")
    assert "messages.nothing" in found.message


def test_shipped_turkana_and_borana_are_complete_drafts():
    """Every text of the default script has a Turkana and a Borana draft; none
    is reviewed yet, and neither language is fully reviewed."""
    report = lint_script(default_script_text(), gazetteer_text())
    assert report.ok
    for code in ("tuv", "gax"):
        cov = report.coverage[code]
        assert cov["missing"] == [] and cov["reviewed"] == 0
        assert len(cov["draft"]) == cov["total"]
    assert f"coverage tuv: {cov['total']}/{cov['total']} translated, 0 reviewed" in report.format()
