"""A description recorded again replaces the earlier recording (pure engine)."""

from __future__ import annotations

from .conftest import play_inputs

# English, weapons smuggling, Turkana, Loima, earlier today, recorded, call back yes
TO_CONFIRM = ["", "1", "4", "1", "4", "2", {"media": "voice"}, "1"]
CHANGE_DESCRIPTION = ["2", "4", "2"]  # Change, Description, record again


def test_recording_the_description_again_discards_the_earlier_recording(script):
    """Change -> description -> record again: the turn names the first
    recording for the host to delete, and only the new one stays."""
    turns = play_inputs(script, "voice", [*TO_CONFIRM, *CHANGE_DESCRIPTION, {"media": "voice"}])
    first, second = turns[6].session.attachments[0], turns[-1].session.attachments[-1]
    assert first != second
    assert turns[-1].discarded == (first,)
    assert turns[-1].session.attachments == [second]
    assert turns[-1].session.described == {"description": [second]}


def test_keeping_the_recorded_description_keeps_its_recording(script):
    """Change -> description -> keep it: nothing is discarded."""
    turns = play_inputs(script, "voice", [*TO_CONFIRM, "2", "4", "1"])
    assert turns[-1].discarded == ()
    assert turns[-1].session.attachments == turns[6].session.attachments
    assert turns[-1].reply.startswith("Send this report?")


def test_typed_words_replace_a_recorded_description(script):
    """A voice note described first, then words typed instead (WhatsApp): the
    voice note of the description goes."""
    inputs = ["", "1", "4", "1", "4", "2", {"media": "voice"}, "1", "2", "4", "2",
              "Men with guns near the well"]
    turns = play_inputs(script, "whatsapp", inputs)
    assert turns[6].session.attachments
    assert turns[-1].discarded == tuple(turns[6].session.attachments)
    assert turns[-1].session.attachments == []
