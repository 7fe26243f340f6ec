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
from gateway.dialogue import Attachment, DialogueSession, advance, gsm, new_session

from .conftest import NOW, REFERENCE, play_inputs

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


def play_media(script, spec: dict) -> list:
    """Inputs that may carry media: ``{text: "...", media: photo}`` (WhatsApp).  The
    label is what the host passes: the message table's, in the transcript's language."""
    session = new_session(script, channel=spec["channel"], now=NOW, reference=REFERENCE)
    turns = []
    for i, item in enumerate(spec["inputs"]):
        text, media = (item.get("text", ""), item.get("media")) if isinstance(item, dict) \
            else (item, None)
        attachments = (Attachment(key=f"{i:032x}", kind=media, label=texts.text(
            f"media.label.{media}", spec["language"])),) if media else ()
        session = DialogueSession.from_json(session.to_json())
        turn = advance(script, session, text, NOW + 10 * (i + 1), attachments=attachments)
        turns.append(turn)
        session = turn.session
        if turn.ended:
            break
    return turns


def transcript(script, spec: dict) -> dict:
    if any(isinstance(item, dict) and "media" in item for item in spec["inputs"]):
        turns = play_media(script, spec)
    else:
        turns = play_inputs(script, spec["channel"], spec["inputs"],
                            remembered=spec.get("remembered"))
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
