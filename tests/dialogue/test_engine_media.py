"""Media in the dialogue engine (WhatsApp photos, voice notes, videos): kept
with the session, handed on with the report, a valid description."""

from __future__ import annotations

from gateway.dialogue import Attachment, advance, new_session

from .conftest import NOW, play_inputs

PHOTO = Attachment(key="a" * 32, kind="photo", label="[photo]")
VOICE = Attachment(key="b" * 32, kind="voice", label="[voice note]")
# REPORT (English), weapons smuggling, Turkana, Loima, earlier today: the description is next.
TO_DESCRIPTION = ["REPORT", "4", "1", "4", "2"]


def play(script, steps):
    """``steps``: (text, attachments) pairs; the session round-trips through JSON."""
    return play_inputs(script, "whatsapp", steps)


def words(*texts):
    return [(text, ()) for text in texts]


def test_photo_without_caption_is_the_description(script):
    """A photo at the description step answers it: the description reads its label."""
    turns = play(script, words(*TO_DESCRIPTION) + [("", (PHOTO,))] + words("2", "1"))
    report = turns[-1].report
    assert report["fields"]["description"] == "[photo]"
    assert report["attachments"] == [PHOTO.key]


def test_caption_long_enough_is_the_description(script):
    """A photo's caption that is a description on its own is the description."""
    turns = play(script, words(*TO_DESCRIPTION) + [("Gunmen at the well", (PHOTO,))]
                 + words("2", "1"))
    assert turns[-1].report["fields"]["description"] == "Gunmen at the well"
    assert turns[-1].report["attachments"] == [PHOTO.key]


def test_short_caption_goes_with_the_label(script):
    """A caption too short to describe anything is kept beside the label."""
    turns = play(script, words(*TO_DESCRIPTION) + [("ok", (VOICE,))] + words("2", "1"))
    assert turns[-1].report["fields"]["description"] == "[voice note] ok"


def test_media_at_a_menu_costs_no_strike_and_is_kept(script):
    """A photo without words at a menu repeats the question without a strike; the
    photo still goes with the report."""
    turns = play(script, words("REPORT") + [("", (PHOTO,))] * 3
                 + words("4", "1", "4", "2", "Gunmen at the well", "2", "1"))
    menu = turns[1]
    assert not menu.ended and menu.session.strikes == 0
    assert menu.reply == turns[0].reply
    assert not [e for t in turns for e in t.events if e["type"] == "invalid"]
    assert turns[-1].report["attachments"] == [PHOTO.key]


def test_quick_exit_as_caption_exits(script):
    """99 as a photo's caption is the quick exit, never a description."""
    turns = play(script, words(*TO_DESCRIPTION) + [("99", (PHOTO,))])
    assert turns[-1].ended and turns[-1].report is None
    assert any(e["type"] == "quick_exit" for e in turns[-1].events)


def test_a_session_carries_each_media_once(script):
    """The same media key given twice is kept once."""
    turns = play(script, words("REPORT") + [("", (PHOTO,)), ("", (PHOTO, VOICE))])
    assert turns[-1].session.attachments == [PHOTO.key, VOICE.key]


def test_resumed_dialogue_keeps_earlier_media(script):
    """Media of a dialogue left unfinished come back when it is resumed."""
    first = play(script, words("REPORT") + [("", (PHOTO,))] + words("4"))
    unfinished = first[-1].session
    session = new_session(script, channel="whatsapp", now=NOW + 100, reference="R-OTHER1",
                          unfinished=unfinished)
    offer = advance(script, session, "hello", NOW + 110)
    resumed = advance(script, offer.session, "1", NOW + 120)
    assert resumed.session.attachments == [PHOTO.key]
