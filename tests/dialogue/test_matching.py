"""Answers as people write them: the menu option a reply means (pure)."""

from __future__ import annotations

import pytest

from gateway.dialogue import matching

CATEGORY_SWA = [
    ("terrorism", "Ugaidi au itikadi kali"), ("trafficking", "Biashara ya binadamu"),
    ("migrant_smuggling", "Magendo ya wahamiaji"), ("weapons_smuggling", "Magendo ya silaha"),
    ("armed_attack", "Shambulio au wizi wa mifugo"),
]
COUNTY = [("turkana", "Turkana"), ("marsabit", "Marsabit"), ("mandera", "Mandera"),
          ("wajir", "Wajir"), ("busia", "Busia"), ("other", "Other county")]
SUB_COUNTY = [("turkana_north", "Turkana North"), ("turkana_west", "Turkana West"),
              ("loima", "Loima")]
CONTACT = [("yes", "Ndiyo"), ("no", "Hapana, nisijulikane")]
CONFIRM = [("send", "Ndiyo, tuma"), ("change", "Badilisha"), ("cancel", "Sitisha")]
YES_NO = {"ndio": "yes", "ndiyo": "yes", "sawa": "yes", "hapana": "no", "la": "no",
          "haa": "yes", "maya": "no", "ok": "yes", "yes": "yes", "no": "no"}


@pytest.mark.parametrize(
    ("options", "text", "value"),
    [
        pytest.param(COUNTY, "1", "turkana", id="the number"),
        pytest.param(COUNTY, "1.", "turkana", id="number and a dot"),
        pytest.param(COUNTY, "#1", "turkana", id="hash and number"),
        pytest.param(COUNTY, "5#", "busia", id="number and hash (USSD habit)"),
        pytest.param(COUNTY, " 1 ", "turkana", id="spaces around"),
        pytest.param(COUNTY, "1 Turkana", "turkana", id="number and label"),
        pytest.param(COUNTY, "7", None, id="one past the last option"),
        pytest.param(COUNTY, "0", None, id="zero"),
        pytest.param(COUNTY, "turkana", "turkana", id="the label, any case"),
        pytest.param(COUNTY, "Turkana!", "turkana", id="punctuation ignored"),
        pytest.param(COUNTY, "busia", "busia", id="the value"),
        pytest.param(COUNTY, "Turkan", "turkana", id="a start of 4+ letters"),
        pytest.param(COUNTY, "Tur", None, id="a start too short to choose"),
        pytest.param(COUNTY, "Turkanna", "turkana", id="a close spelling"),
        pytest.param(COUNTY, "Marsabet", "marsabit", id="another close spelling"),
        pytest.param(COUNTY, "Nairobi", None, id="nothing close"),
        pytest.param(CATEGORY_SWA, "Ugaidi", "terrorism", id="the first word of the label"),
        pytest.param(CATEGORY_SWA, "wizi wa mifugo", "armed_attack", id="words inside the label"),
        pytest.param(CATEGORY_SWA, "silaha", "weapons_smuggling", id="a later word"),
        pytest.param(CONTACT, "ndio", "yes", id="Kiswahili yes"),
        pytest.param(CONTACT, "Hapana", "no", id="Kiswahili no"),
        pytest.param(CONTACT, "Haa", "yes", id="Somali yes"),
        pytest.param(CONFIRM, "sawa", "send", id="yes at the confirm screen sends"),
        pytest.param(CONFIRM, "ok", "send", id="ok at the confirm screen sends"),
        pytest.param(CONFIRM, "la", None, id="no at the confirm screen: change or cancel?"),
        pytest.param(CONTACT, "Ndíyó", "yes", id="accents ignored"),
    ],
)
def test_an_answer_chooses_its_option(options, text, value):
    """Numbers in their usual forms, labels, yes/no words, starts and close spellings."""
    found = matching.match(options, text, YES_NO)
    assert found.value == value and not found.candidates


@pytest.mark.parametrize(
    ("options", "text", "candidates"),
    [
        pytest.param(SUB_COUNTY, "Turkana", ("turkana_north", "turkana_west"),
                     id="a start two labels share"),
        pytest.param(CATEGORY_SWA, "Magendo", ("migrant_smuggling", "weapons_smuggling"),
                     id="a first word two labels share"),
    ],
)
def test_two_options_that_fit_equally_are_asked_about(options, text, candidates):
    """Between options that fit as well, no guess: the candidates, for the caller to ask."""
    found = matching.match(options, text, YES_NO)
    assert found.value is None and found.candidates == candidates


def test_normalise_keeps_apostrophes_and_letters():
    """Ng'aturkana keeps its apostrophe; accents, case and other punctuation go."""
    assert matching.normalise("  Ng'aturkana!! ") == "ng'aturkana"
    assert matching.normalise("Ndíyó, TUMA.") == "ndiyo tuma"


def test_a_keyword_is_never_taken_for_an_option_it_resembles():
    """REPORT mid-dialogue does not choose "Check a report" by a word of its label."""
    options = [("other", "Something else"), ("status", "Check a report")]
    assert matching.match(options, "REPORT", reserved=frozenset({"report"})).value is None


@pytest.fixture(scope="module")
def shipped():
    from gateway.defaults import default_script_text, gazetteer_text
    from gateway.dialogue import load_script

    return load_script(default_script_text(), gazetteer_text())


@pytest.mark.parametrize(
    ("step", "language", "answers", "text", "value", "candidates"),
    [
        pytest.param("county", "eng", {}, "2 Turkana", None, ("marsabit", "turkana"),
                     id="a number the words contradict: ask"),
        pytest.param("when", "eng", {}, "1 week ago", None, (), id="words that fit no option"),
        pytest.param("category", "eng", {}, "3 men with guns crossing", None, (),
                     id="a sentence starting with a number"),
        pytest.param("county", "eng", {}, "1 Turkana", "turkana", (), id="number and its label"),
        pytest.param("sub_county", "eng", {"county": "turkana"}, "Soutth", None,
                     ("turkana_south", "south_sudan"), id="a misspelt word two labels share"),
        pytest.param("when", "eng", {}, "Thiss", None, ("this_week", "earlier"),
                     id="a misspelt word in two labels"),
        pytest.param("category", "som", {}, "xagjirnimo", None, ("terrorism", "recruitment"),
                     id="a word in two options"),
        pytest.param("when", "eng", {}, "Earlier", "today", (),
                     id="the label shown before the internal value"),
    ],
)
def test_no_silent_wrong_choice_on_the_shipped_menus(shipped, step, language, answers, text,
                                                     value, candidates):
    """On the real menus an answer that could mean two things is asked about, and words
    that contradict a number make it no answer: never a silent wrong county or category."""
    options = shipped.options(shipped.steps[step], answers, language)
    found = matching.match(options, text, YES_NO)
    assert (found.value, found.candidates) == (value, candidates)


GUESS = {"category": {"armed_attack": ["raid", "wenye bunduki"], "kidnapping": ["kidnap"]},
         "when": {"now": ["now", "sasa"]}}


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("Raiders at the well NOW", {"category": "armed_attack", "when": "now"},
                 id="a cue starting a word, any case"),
    pytest.param("watu wenye bunduki", {"category": "armed_attack"}, id="a phrase"),
    pytest.param("bunduki wenye", {}, id="a phrase's words out of order"),
    pytest.param("raid and kidnapping", {}, id="two categories: no guess"),
    pytest.param("nowhere to go", {}, id="a short cue only as a whole word"),
])
def test_guess_takes_one_clear_answer_per_step(text, expected):
    """A cue word (its start, at 4+ letters) or a whole phrase answers a step;
    cues of two options answer nothing."""
    assert matching.guess(text, GUESS) == expected
