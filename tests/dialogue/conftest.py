"""Fixtures for the dialogue engine: the shipped script and a player that feeds
inputs one by one, round-tripping the session through JSON before each input
exactly as the host does with Redis."""

from __future__ import annotations

import pytest

from gateway.defaults import load_default_script
from gateway.dialogue import DialogueSession, advance, new_session

NOW = 1_750_000_000.0
REFERENCE = "R-7KQ4XH"


@pytest.fixture(scope="session")
def script():
    return load_default_script()


def play_inputs(script, channel, inputs, unfinished=None, reference=REFERENCE, remembered=None):
    """Feed ``inputs``; return the list of Turns (stops early when a turn ends).
    ``remembered``: the language the host remembers for the phone.  An input
    ``{"location": [lat, lon]}`` is a shared location (WhatsApp), with an empty
    body as Twilio sends it."""
    session = new_session(script, channel=channel, now=NOW, reference=reference, unfinished=unfinished,
                          language=remembered)
    turns = []
    for i, text in enumerate(inputs):
        session = DialogueSession.from_json(session.to_json())
        location = None
        if isinstance(text, dict):
            location, text = tuple(text["location"]), ""
        turn = advance(script, session, text, NOW + 10 * (i + 1), location=location)
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
