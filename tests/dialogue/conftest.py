"""Fixtures for the dialogue engine: the shipped script and a player that feeds
inputs one by one, round-tripping the session through JSON before each input
exactly as the host does with Redis."""

from __future__ import annotations

import pytest

from gateway.defaults import load_default_script
from gateway.dialogue import Attachment, DialogueSession, advance, new_session

NOW = 1_750_000_000.0
REFERENCE = "R-7KQ4XH"


@pytest.fixture(scope="session")
def script():
    return load_default_script()


def play_inputs(script, channel, inputs, unfinished=None, reference=REFERENCE, remembered=None,
                media_label=None):
    """Feed ``inputs``; return the list of Turns (stops early when a turn ends).
    ``remembered``: the language the host remembers for the phone.  An input
    ``{"location": [lat, lon]}`` is a shared location (WhatsApp), with an empty
    body as Twilio sends it; ``{"text": "caption", "media": "photo"}`` a photo,
    voice note or video (``media_label(kind)``: the label the host passes), or
    an input of ``(text, attachments)``."""
    session = new_session(script, channel=channel, now=NOW, reference=reference, unfinished=unfinished,
                          language=remembered)
    turns = []
    for i, text in enumerate(inputs):
        session = DialogueSession.from_json(session.to_json())
        location, attachments = None, ()
        if isinstance(text, tuple):
            text, attachments = text
        elif isinstance(text, dict) and "location" in text:
            location, text = tuple(text["location"]), ""
        elif isinstance(text, dict):
            kind = text.get("media")
            attachments = (Attachment(key=f"{i:032x}", kind=kind, label=(
                media_label or str)(kind)),) if kind else ()
            text = text.get("text", "")
        turn = advance(script, session, text, NOW + 10 * (i + 1), location=location,
                       attachments=attachments)
        turns.append(turn)
        session = turn.session
        if turn.ended:
            break
    return turns


@pytest.fixture
def play(script):
    def _play(channel, inputs, unfinished=None, using=None, remembered=None):
        return play_inputs(using or script, channel, inputs, unfinished=unfinished,
                           remembered=remembered)

    return _play
