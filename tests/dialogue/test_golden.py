"""Golden transcripts: the default script walked to the end, every screen checked.

Each file in golden/ gives a channel and the inputs; the expected screens and
the final report are recorded below them.  The session goes through
to_json/from_json before every input (see conftest.play_inputs).  After a
deliberate change run ``pytest tests/dialogue --update-golden`` and read the
rewritten files: every screen must read naturally to a native speaker.
"""

from __future__ import annotations

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
    """Transcripts cover eng, swa and som on USSD and SMS, and WhatsApp media."""
    names = {p.stem for p in FILES}
    assert {f"{c}_{lang}" for c in ("ussd", "sms", "whatsapp_media")
            for lang in ("eng", "swa", "som")} <= names


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
