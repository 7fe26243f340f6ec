"""A screen cut back into the script's texts for a call (pure)."""

from __future__ import annotations

from gateway.dialogue import voice


def test_menu_is_its_prompt_then_options_with_their_keys(script):
    """The county menu: the prompt's key, then one part per option with its digit."""
    screen = "Which county?\n1. Turkana\n2. Marsabit\n6. Other county"
    parts = voice.parts(script, "eng", screen)
    assert parts[0] == voice.Part(text="Which county?", key="steps.county.prompt")
    assert [(p.press, p.text) for p in parts[1:]] == [
        ("1", "Turkana"), ("2", "Marsabit"), ("6", "Other county")]
    assert all(p.key for p in parts)
    assert voice.options(parts) == ["1", "2", "6"]


def test_a_text_over_several_lines_is_one_part(script):
    """The first screen's prompt spans two lines: one text, one key."""
    parts = voice.parts(script, None, "Mpaka\nLanguage / Lugha / Luqadda:\n1. English")
    assert parts[0].key == "steps.language.prompt"


def test_a_placeholder_value_is_found_and_spelled_in_english(script):
    """The Kiswahili end text with its reference: the key, the value, and its
    English with the reference spelled letter by letter."""
    screen = script.step_text(script.steps["done"], "text", "swa").replace(
        "{reference}", "R-7KQ4XH")
    [part] = voice.parts(script, "swa", screen)
    assert (part.key, part.value) == ("steps.done.text", "R-7KQ4XH")
    assert voice.english(script, part).startswith("Sent. Reference R, 7, K, Q, 4, X, H.")


def test_words_of_no_text_have_no_key(script):
    """A line the script does not hold (words quoted back) has no key."""
    [part] = voice.parts(script, "eng", "Something the reporter said")
    assert part.key is None and voice.english(script, part) == "Something the reporter said"


def test_extra_texts_are_looked_up_after_the_script(script):
    """A notice the host adds (from the message table) is found by its key."""
    parts = voice.parts(script, "eng", "Voice note received.\nWhen?",
                        extra=[("media.received.voice", "Voice note received.")])
    assert [p.key for p in parts] == ["media.received.voice", "steps.when.prompt"]


def test_a_place_in_a_question_is_said_as_words(script):
    """"Kakuma, Turkana West?": the place check's key, the place said as it is."""
    [part] = voice.parts(script, "eng", "Kakuma, Turkana West?")
    assert (part.key, part.value, part.placeholder) == (
        "messages.place_check", "Kakuma, Turkana West", "place")
    assert voice.english(script, part) == "Kakuma, Turkana West?"
