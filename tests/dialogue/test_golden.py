"""Golden transcripts: the default script walked to the end, every screen checked.

Each file in golden/ gives a channel and the inputs; the expected screens and
the final report are recorded below them.  The session goes through
to_json/from_json before every input (see conftest.play_inputs).  After a
deliberate change run ``pytest tests/dialogue --update-golden`` and read the
rewritten files: every screen must read naturally to a native speaker.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gateway.core import texts
from gateway.dialogue import gsm

from .conftest import play_inputs

GOLDEN = Path(__file__).parent / "golden"
FILES = sorted(GOLDEN.glob("*.yaml"))
HEADER = (
    "# Golden transcript of the default script.  Edit `inputs` by hand; the rest is\n"
    "# rewritten by `pytest tests/dialogue --update-golden`: read it after each update.\n"
)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def transcript(script, spec: dict) -> dict:
    turns = play_inputs(script, spec["channel"], spec["inputs"], remembered=spec.get("remembered"),
                        media_label=lambda kind: texts.text(f"media.label.{kind}",
                                                            spec["language"]))
    screens = [
        {"input": dict(text) if isinstance(text, dict) else text, "reply": turn.reply,
         "ended": turn.ended}
        for text, turn in zip(spec["inputs"], turns, strict=False)
    ]
    return {
        "channel": spec["channel"],
        "language": spec["language"],
        **({"remembered": spec["remembered"]} if "remembered" in spec else {}),
        "inputs": spec["inputs"],
        "screens": screens,
        "report": turns[-1].report,
    }


def test_golden_files_exist():
    """Transcripts cover eng, swa and som on USSD and SMS, and WhatsApp media;
    Turkana and Borana on USSD and SMS."""
    names = {p.stem for p in FILES}
    assert {f"{c}_{lang}" for c in ("ussd", "sms", "whatsapp_media")
            for lang in ("eng", "swa", "som")} <= names
    assert {f"{c}_{lang}" for c in ("ussd", "sms") for lang in ("tuv", "gax")} <= names


def complete_languages(script) -> list[str]:
    """Languages other than the base that give every translatable text themselves."""
    keys = script.translatable_keys()
    return [code for code in script.languages if code != script.base_language
            and all(key in script.texts.get(code, {}) for key in keys)]


def foreign_texts(script, language: str) -> set[str]:
    """Texts of the languages ``language`` falls back to that it does not say
    the same way itself (the first, multilingual screen aside)."""
    own = script.texts[language]
    own_values = set(own.values())
    skip = script.multilingual_keys()
    return {text for code in script.chain(language)[1:]
            for key, text in script.texts.get(code, {}).items()
            if key not in skip and own.get(key) != text and text not in own_values}


def fallbacks_on(screen: str, foreign: set[str]) -> list[str]:
    """Foreign texts seen on a screen: a whole line (short options such as
    "Yes"), or a piece of 12 characters or more between placeholders."""
    lines = {re.sub(r"^\d+\. ", "", line).strip() for line in screen.splitlines()}
    found = []
    for text in foreign:
        pieces = [p.strip() for p in re.split(r"\{[a-z_]+\}", text)]
        if text in lines or any(len(p) >= 12 and p in screen for p in pieces):
            found.append(text)
    return found


def test_complete_languages_never_fall_back(script):
    """In every complete language (Turkana and Borana included), no screen of
    its transcripts shows a text of the language it would fall back to."""
    languages = complete_languages(script)
    assert {"swa", "som", "tuv", "gax"} <= set(languages)
    for language in languages:
        foreign = foreign_texts(script, language)
        walks = [p for p in FILES if yaml.safe_load(p.read_text("utf-8"))["language"] == language]
        assert {p.stem.split("_")[0] for p in walks} >= {"ussd", "sms"}, language
        for path in walks:
            for screen in yaml.safe_load(path.read_text("utf-8"))["screens"]:
                found = fallbacks_on(screen["reply"], foreign)
                assert not found, f"{path.stem}: {language} screen shows {found}:\n{screen['reply']}"


def test_fallback_check_catches_a_missing_translation(script):
    """The check above finds a Kiswahili text on a Turkana screen."""
    foreign = foreign_texts(script, "tuv")
    swahili = script.texts["swa"]["messages.invalid"]
    assert fallbacks_on(f"{swahili}\nIbore nyo iyakar?", foreign) == [swahili]
    assert fallbacks_on("Ibore nyo iyakar?\n1. Ee", foreign) == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_golden_transcript(script, request, path):
    """The engine's screens for the recorded inputs match the golden file."""
    expected = yaml.safe_load(path.read_text(encoding="utf-8"))
    actual = transcript(script, expected)
    if request.config.getoption("--update-golden"):
        text = HEADER + yaml.dump(actual, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                                  width=100)
        path.write_text(text, encoding="utf-8")
        expected = yaml.safe_load(text)
    assert actual == expected
    assert actual["report"] is not None, "a golden walk must reach completion"
    for screen in actual["screens"]:
        assert gsm.is_gsm7(screen["reply"])
        if actual["channel"] == "ussd":
            assert gsm.screen_cost(screen["reply"]) <= 160, screen["reply"]
