"""The dialogue engine at its edges: boundaries, languages, resume offers and
broken sessions, one behaviour per test.  Most were found by mutation testing
(docs/testing.md, "Mutation testing"): each pins a behaviour that a small
change to engine.py or render.py would otherwise break unnoticed.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from gateway.defaults import default_script_text, gazetteer_text
from gateway.dialogue import DialogueSession, advance, gsm, load_script, new_session, render

from .conftest import NOW, play_inputs
from .test_engine import ENG_TO_CONFIRM, events
from .test_lint import MINI

# English SMS answers up to the description: REPORT, weapons smuggling,
# Turkana, Loima, earlier today.
SMS_TO_DESCRIPTION = ["REPORT", "4", "1", "4", "2"]
# The same in Kiswahili on USSD.
SWA_TO_DESCRIPTION = ["", "2", "4", "1", "4", "2"]

LANGUAGE_MENU = (
    "Mpaka\nLanguage / Lugha / Luqadda:\n"
    "1. English\n2. Kiswahili\n3. Soomaali\n4. Ng'aturkana\n5. Afaan Borana\n"
    "6. Check a report/Angalia ripoti/Hubi"
)
SWA_RESUME = "Hukumaliza mara iliyopita.\n1. Endelea\n2. Anza upya"


def with_settings(extra: str):
    """The shipped script with settings lines added after ``max_invalid``."""
    text = default_script_text().replace("max_invalid: 3", "max_invalid: 3\n  " + extra)
    assert extra in text
    return load_script(text, gazetteer_text())


@pytest.fixture
def swahili_unfinished(play):
    """A Kiswahili USSD session dropped at the 'when' question."""
    return play("ussd", ["", "2", "4", "1", "4"])[-1].session


# -- new sessions ---------------------------------------------------------------------


def test_new_session_records_script_and_times(script):
    """A new session names the script version and starts with updated_at = started_at."""
    session = new_session(script, channel="sms", now=NOW, reference="R-1")
    assert (session.script_id, session.script_version) == ("report", "1")
    assert session.started_at == session.updated_at == NOW


def test_unknown_channel_error_lists_the_channels(script):
    """The error for an unknown channel names the valid ones and the bad one."""
    with pytest.raises(ValueError, match="^channel must be one of ussd, sms, whatsapp, voice, not 'fax'$"):
        new_session(script, channel="fax", now=NOW, reference="R-1")


def test_advance_stamps_the_time_of_the_input(play):
    """Each turn's session carries the time of the input that produced it."""
    turns = play("ussd", ["", "1"])
    assert [t.session.updated_at for t in turns] == [NOW + 10, NOW + 20]


# -- which unfinished dialogues are offered ----------------------------------------------------------


def test_unfinished_dropped_at_the_resume_offer_is_offered_again(play, swahili_unfinished):
    """A reporter who hangs up on 'Continue?' is offered the same unfinished next time."""
    dropped = play("ussd", [""], unfinished=swahili_unfinished)[0].session
    turn = play("ussd", ["", "1"], unfinished=dropped)[-1]
    assert turn.session.step == "when"
    assert turn.session.answers == swahili_unfinished.answers


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"step": "done"}, id="at an end step"),
        pytest.param({"step": "gone"}, id="step no longer in the script"),
        pytest.param({"answers": {}}, id="no answers"),
        pytest.param({"history": ["language", "gone"]}, id="history names a missing step"),
    ],
)
def test_unfinished_that_cannot_continue_is_not_offered(play, swahili_unfinished, change):
    """Drafts at an end, at an unknown step, empty or of a changed script are dropped."""
    unfinished = DialogueSession.from_dict({**swahili_unfinished.to_dict(), **change})
    turn = play("ussd", [""], unfinished=unfinished)[0]
    assert turn.reply == LANGUAGE_MENU
    assert turn.session.unfinished is None


# -- keep_unfinished ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "inputs, with_unfinished, keep",
    [
        pytest.param([""], False, False, id="first screen, nothing yet"),
        pytest.param(["", "1"], False, True, id="an answer given"),
        pytest.param([""], True, True, id="resume offer, no answers yet"),
    ],
)
def test_open_turn_keeps_an_unfinished_dialogue_when_there_is_something_to_keep(
    play, swahili_unfinished, inputs, with_unfinished, keep
):
    """A turn asks the host to keep a unfinished exactly when it has answers or an offered unfinished."""
    turn = play("ussd", inputs, unfinished=swahili_unfinished if with_unfinished else None)[-1]
    assert turn.keep_unfinished is keep


# -- reserved inputs and keywords ------------------------------------------------------


@pytest.mark.parametrize(
    "channel, inputs",
    [
        pytest.param("ussd", ["", "99"], id="quick exit"),
        pytest.param("sms", ["RIPOTI", "STOP"], id="STOP"),
    ],
)
def test_ending_at_the_resume_offer_drops_the_offered_unfinished_dialogue(play, swahili_unfinished, channel, inputs):
    """Quick exit or STOP while a unfinished is offered ends with no unfinished left in the session."""
    turn = play(channel, inputs, unfinished=swahili_unfinished)[-1]
    assert turn.ended and turn.keep_unfinished is False
    assert turn.session.unfinished is None


def test_stop_replies_in_the_stop_words_language(play):
    """ACHA in an English dialogue confirms in Kiswahili, the language the reporter used."""
    turn = play("sms", ["REPORT", "4", "acha"])[-1]
    assert turn.reply == "Sawa. Majibu yako ambayo hayakutumwa yamefutwa."


def test_stop_is_not_a_keyword_on_ussd(play):
    """On USSD 'STOP' is just an answer: at a menu it is invalid, nothing is cancelled."""
    turn = play("ussd", ["", "1", "STOP"])[-1]
    assert not turn.ended
    assert turn.reply.startswith("Not a valid choice.\nWhat is happening?")


def test_help_replies_in_the_help_words_language(play):
    """MSAADA answers with the Kiswahili help text."""
    turn = play("sms", ["msaada"])[0]
    assert turn.reply.startswith("Mpaka: ripoti hatari bila kujiweka hatarini. Tuma RIPOTI")
    assert turn.keep_unfinished is False


def test_script_without_help_keywords_starts_a_report():
    """A script that defines no HELP words treats 'help' as a first message, not a crash."""
    script = load_script(
        re.sub(r"(?m)^    help: \{HELP: .*\n", "", default_script_text(), count=1),
        gazetteer_text(),
    )
    turn = play_inputs(script, "sms", ["help"])[0]
    assert not turn.ended
    assert turn.session.step == "language" and turn.session.proposed == "help"


def test_back_on_the_first_screen_shows_it_again(play):
    """0 with nothing to go back to repeats the first screen."""
    turn = play("ussd", ["", "0"])[-1]
    assert turn.reply == LANGUAGE_MENU and not turn.ended


# -- resuming ---------------------------------------------------------------------------


def test_resume_offer_is_in_the_unfinished_dialogues_language(play, swahili_unfinished):
    """Dialling again without choosing a language offers the unfinished in its own language."""
    assert play("ussd", [""], unfinished=swahili_unfinished)[0].reply == SWA_RESUME


def test_invalid_answer_at_the_resume_offer_repeats_it(play, swahili_unfinished):
    """An answer other than 1 or 2 shows the error and the offer again, in the unfinished's language."""
    turn = play("ussd", ["", "7"], unfinished=swahili_unfinished)[-1]
    assert turn.reply == "Chaguo si sahihi.\n" + SWA_RESUME
    assert not turn.ended and turn.session.unfinished is not None
    assert turn.events == [{"type": "invalid", "step": None}]


def test_strikes_out_at_the_resume_offer_speak_the_unfinished_dialogues_language(play, swahili_unfinished):
    """Three invalid answers at the offer end in the unfinished's language, keeping it."""
    turn = play("ussd", ["", "7", "8", "9"], unfinished=swahili_unfinished)[-1]
    assert turn.ended and turn.keep_unfinished is True
    assert turn.reply == (
        "Samahani, hatukuelewa. Majibu yako yamehifadhiwa. Anza tena kuendelea."
    )


def test_continue_clears_the_offered_unfinished_dialogue(play, swahili_unfinished):
    """After 'Continue' the session no longer carries the unfinished it came from."""
    turn = play("ussd", ["", "1"], unfinished=swahili_unfinished)[-1]
    assert turn.session.unfinished is None and "unfinished" not in turn.session.to_dict()


def test_start_again_shows_a_clean_first_screen(play, swahili_unfinished):
    """'Start again' shows the first screen with no error and no invalid answer counted."""
    turn = play("ussd", ["", "2"], unfinished=swahili_unfinished)[-1]
    assert turn.reply == LANGUAGE_MENU
    assert turn.session.strikes == 0
    assert not events([turn], "invalid")


# -- menus ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, valid",
    [
        pytest.param("1", True, id="first option"),
        pytest.param("6", True, id="last option"),
        pytest.param("6.", True, id="last option with a dot"),
        pytest.param("7", False, id="one past the last option"),
        pytest.param("0.", False, id="zero with a dot"),
        pytest.param("00.", False, id="double zero with a dot"),
    ],
)
def test_menu_answer_range(play, answer, valid):
    """Option numbers run 1..N; one past the last is invalid, never an error."""
    turn = play("ussd", ["", answer])[-1]
    assert (turn.session.step != "language") is valid
    assert not turn.ended


def test_more_pages_through_a_three_page_menu(play):
    """In Kiswahili the category menu has three pages; 98 twice reaches the third."""
    turns = play("ussd", ["", "2", "98", "98"])
    assert turns[-2].reply == (
        "Nini kinatokea?\n5. Shambulio au wizi wa mifugo\n6. Magendo ya bidhaa/mihadarati\n"
        "7. Mambo ya kutiliwa shaka\n98. Zaidi\n0. Rudi"
    )
    assert turns[-1].reply == ("Nini kinatokea?\n8. Kilipuzi au bomu\n9. Utekaji nyara\n"
                               "10. Kuajiri kwa itikadi kali\n11. Jambo jingine\n0. Rudi")
    assert turns[-1].session.page == 2


def test_sms_label_in_the_reporters_language_is_accepted(play):
    """On SMS a Kiswahili reporter may type a Kiswahili label."""
    turn = play("sms", ["RIPOTI", "magendo ya silaha"])[-1]
    assert turn.session.answers["category"] == "weapons_smuggling"


# -- text answers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "length, accepted",
    [
        pytest.param(2, False, id="one under the minimum"),
        pytest.param(3, True, id="exactly the minimum"),
        pytest.param(1000, True, id="exactly the SMS maximum"),
    ],
)
def test_text_length_limits_are_inclusive(play, length, accepted):
    """A description of exactly min or the SMS maximum (1,000) is accepted as it is."""
    turn = play("sms", SMS_TO_DESCRIPTION + ["x" * length])[-1]
    assert (turn.session.step == "contact") is accepted
    if accepted:
        assert turn.session.answers["description"] == "x" * length


def test_too_short_is_explained_in_the_reporters_language(play):
    """Too short is explained in Kiswahili, then the question again."""
    assert play("ussd", SWA_TO_DESCRIPTION + ["ok"])[-1].reply == (
        "Ni fupi mno. Andika maneno zaidi.\n"
        "Eleza kwa ufupi ulichoona, na mahali kilipotokea.")


def test_a_too_long_ussd_text_is_kept_shortened_with_a_notice(play):
    """Over the USSD maximum (300): the first 300 letters are kept, never refused,
    and the next screen says so in Kiswahili."""
    turn = play("ussd", SWA_TO_DESCRIPTION + ["neno " * 70])[-1]
    assert turn.session.step == "contact"
    kept = turn.session.answers["description"]
    assert len(kept) <= 300 and kept.endswith("...") and kept.startswith("neno neno")
    assert turn.reply.startswith("Maandishi yalikuwa marefu: herufi 300 za kwanza zimehifadhiwa.\n"
                                 "Timu ya usalama")


def test_a_543_character_first_sms_is_offered_whole_as_the_description(play):
    """A long first message (543 characters) is no longer refused: it is offered
    as the description and kept whole."""
    first = ("Watu wenye bunduki " * 29)[:543]
    # language, category, county, sub-county, when; then "1": use the first message
    turn = play("sms", [first, "2", "1", "1", "1", "1", "1"])[-1]
    assert turn.session.answers.get("description") == first.strip()


def test_an_sms_text_over_1000_letters_is_shortened_with_a_notice(play):
    """Past a concatenated SMS (1,000 letters) the text is cut at a word, with a notice."""
    turn = play("sms", SMS_TO_DESCRIPTION + ["maneno " * 200])[-1]
    kept = turn.session.answers["description"]
    assert turn.session.step == "contact" and len(kept) <= 1000 and kept.endswith("...")
    assert turn.reply.startswith("Your text was long: the first 1000 letters are kept.\n")


@pytest.mark.parametrize(
    "first_sms, offered",
    [
        pytest.param("abc", True, id="exactly the minimum"),
        pytest.param("x" * 300, True, id="exactly the maximum"),
        pytest.param("ab", False, id="under the minimum"),
    ],
)
def test_first_sms_is_offered_when_its_length_fits(play, first_sms, offered):
    """A first SMS is offered as the description when its length is within min..max."""
    turn = play("sms", [first_sms, "1", "4", "1", "4", "2"])[-1]
    assert turn.session.step == "description"
    assert ("1. Use this" in turn.reply) is offered


def test_first_sms_is_not_offered_where_no_report_data_is_asked(play):
    """The reference prompt of 'Check a report' never offers the first SMS back."""
    turn = play("sms", ["R-7KQ4XH", "6"])[-1]  # first screen: the language menu
    assert turn.session.step == "status_reference"
    assert turn.reply == "Type the report's reference, e.g. R-7KQ4XH"


@pytest.mark.parametrize("choice", ["1", "2"])
def test_kept_or_rewritten_first_sms_leaves_the_session(play, choice):
    """Once the first SMS is used or refused it is no longer stored in the session."""
    inputs = ["Gunmen crossed near Todenyang", "1", "5", "1", "3", "1", choice]
    turn = play("sms", inputs)[-1]
    assert "proposed" not in turn.session.to_dict()


def test_typed_description_leaves_no_proposed_text(play):
    """A description typed on the 'You wrote' screen replaces the first SMS for good."""
    inputs = ["Gunmen crossed near Todenyang", "1", "5", "1", "3", "1", "Cattle taken"]
    assert "proposed" not in play("sms", inputs)[-1].session.to_dict()


def test_kept_text_of_exactly_the_quote_length_is_shown_whole(play):
    """'You wrote' repeats a text of exactly quote_chars (25) characters without '...'."""
    text = "Men with guns at the well"  # 25 characters
    assert len(text) == 25
    turn = play("ussd", ENG_TO_CONFIRM[:6] + [text, "00", "1", "4", "1", "4", "2"])[-1]
    assert f'You wrote: "{text}"' in turn.reply


# -- the turn limit and broken sessions -------------------------------------------------


def test_turn_may_use_exactly_max_steps_per_turn_moves():
    """A pre-filled first answer takes two moves: allowed when the limit is 2."""
    script = with_settings("max_steps_per_turn: 2")
    session = new_session(script, channel="ussd", now=NOW, reference="R-1")
    turn = advance(script, session, "1", NOW)
    assert not turn.ended and turn.session.step == "category"
    assert not events([turn], "error")


def test_session_pointing_at_a_missing_step_ends_as_unavailable(play, script):
    """Going back to a step the script no longer has ends politely, in the reporter's
    language, keeping the unfinished."""
    session = play("ussd", ["", "2", "4"])[-1].session
    session.history = ["gone"]
    turn = advance(script, session, "0", NOW)
    assert turn.ended and turn.keep_unfinished is True
    assert turn.reply == (
        "Samahani, huduma haipatikani sasa. Jaribu tena baadaye. Dharura? Piga 999 au 112."
    )
    assert {"type": "error", "reason": "no_step"} in turn.events


# -- confirm, lookup and completion ----------------------------------------------------


def test_confirm_cancel_replies_in_the_reporters_language(play):
    """Cancel on the confirm screen answers in Kiswahili for a Kiswahili reporter."""
    turn = play("ussd", SWA_TO_DESCRIPTION + ["Watu wenye bunduki", "2", "3"])[-1]
    assert turn.reply == "Imesitishwa. Hakuna kilichotumwa. Kaa salama."


def test_confirm_change_records_where_it_went(play):
    """Change emits a back event naming the step it returns to."""
    turn = play("ussd", ENG_TO_CONFIRM + ["2", "1"])[-1]
    assert {"type": "back", "to": "category"} in turn.events


def test_completion_event_carries_the_severity(play):
    """The completed event names the report's severity."""
    turn = play("ussd", ENG_TO_CONFIRM + ["1"])[-1]
    assert {"type": "completed", "severity": "high"} in turn.events


def test_status_lookup_turn(play):
    """'Check a report' ends silently: no reply, no unfinished, a lookup event and the query."""
    turn = play("ussd", ["", "6", "R-7KQ4XH"])[-1]
    assert turn.ended and turn.reply == "" and turn.keep_unfinished is False
    assert turn.session.step == "status_result"
    assert turn.events == [
        {"type": "step", "step": "status_result"},
        {"type": "lookup", "lookup": "status"},
    ]
    assert turn.lookup == {"kind": "status", "query": "R-7KQ4XH", "language": "eng"}


# -- rendering ------------------------------------------------------------------------


def test_whatsapp_menu_is_one_page(script):
    """Whole menus on WhatsApp (no segments): one page, whatever its length."""
    _text, pages = render.choice_screen(script, script.steps["category"], "eng", "whatsapp", {})
    assert pages == 1


def test_choice_screen_defaults_to_the_first_page(script):
    """Without a page number the first page is shown."""
    text, pages = render.choice_screen(script, script.steps["category"], "eng", "ussd", {})
    assert pages == 3 and "1. Terrorism or extremism" in text and "98. More" in text


def test_page_past_the_end_shows_the_last_page(script):
    """A page number beyond the menu shows its last page."""
    text, _ = render.choice_screen(script, script.steps["category"], "eng", "ussd", {}, page=7)
    assert text == render.choice_screen(script, script.steps["category"], "eng", "ussd", {}, 2)[0]
    assert "11. Something else" in text


def test_page_that_exactly_fills_the_screen_is_not_split(script):
    """A last page costing exactly the budget (with the error line) stays one page."""
    step = script.steps["category"]
    one_page = render.choice_screen(script, step, "eng", "ussd", {})[0].replace(
        "98. More", "") + "\n".join(
        ["6. Goods or drug smuggling", "7. Suspicious activity", "8. Explosive device",
         "9. Kidnapping", "10. Recruitment or radicalisation", "11. Something else"])
    exact = len(one_page) + render.reserve_for(script, step, "eng")
    tight = dataclasses.replace(
        script, settings=dataclasses.replace(script.settings, ussd_screen_chars=exact))
    text, pages = render.choice_screen(tight, step, "eng", "ussd", {})
    assert pages == 1 and text == one_page
    smaller = dataclasses.replace(
        script, settings=dataclasses.replace(script.settings, ussd_screen_chars=exact - 1))
    assert render.choice_screen(smaller, step, "eng", "ussd", {})[1] == 2


def test_options_too_long_for_the_screen_get_one_page_each(script):
    """On a screen too small for any option each page still holds exactly one, none empty."""
    tiny = dataclasses.replace(
        script, settings=dataclasses.replace(script.settings, ussd_screen_chars=40)
    )
    step = tiny.steps["category"]
    _text, pages = render.choice_screen(tiny, step, "eng", "ussd", {})
    assert pages == 11
    last, _ = render.choice_screen(tiny, step, "eng", "ussd", {}, 10)
    assert last == "What is happening?\n11. Something else\n0. Back"


@pytest.mark.parametrize("word", ["more", "back"])
def test_pages_leave_room_for_long_translated_navigation(word):
    """Pages are cut with the reporter's own 'More'/'Back' labels, so a long translation
    still fits every Kiswahili screen, error line included."""
    short = {"more": "      more: Zaidi\n", "back": "      back: Rudi\n"}[word]
    long = f"      {word}: Ona chaguo zaidi za kuchagua hapa\n"
    text = default_script_text().replace(short, long)
    assert long in text
    script = load_script(text, gazetteer_text())
    step = script.steps["category"]
    _text, pages = render.choice_screen(script, step, "swa", "ussd", {})
    for page in range(pages):
        screen, _ = render.choice_screen(script, step, "swa", "ussd", {}, page)
        assert gsm.screen_cost("Chaguo si sahihi.\n" + screen) <= 160, screen


def test_tiny_quote_length_keeps_one_character():
    """With quote_chars 4 a long kept text is quoted as one character and '...'."""
    text = default_script_text().replace("quote_chars: 25", "quote_chars: 4")
    script = load_script(text, gazetteer_text())
    assert render.quote(script, "Men with guns") == "M..."


# A small script whose text answer appears on the confirm screen and whose
# "send" leads to its own end step.
NOTED = (
    MINI.replace(
        "    field: description\n    prompt: Describe it.",
        "    field: description\n    summary: Note\n    prompt: Describe it.",
    )
    .replace("{value: send, label: Send}", "{value: send, label: Send, next: filed}")
    .replace("{value: theft, label: Theft}", "{value: theft, label: Theft, next: done}")
    .replace(
        "translations:",
        "  - id: filed\n    kind: end\n    text: Filed as {reference}.\ntranslations:",
    )
)


@pytest.fixture(scope="module")
def noted():
    return load_script(NOTED)


def test_confirm_quotes_a_long_text_answer(noted):
    """The confirm summary cuts a reporter's long text to quote_chars (USSD)."""
    turn = play_inputs(noted, "ussd", ["", "1", "1", "Men with guns at the well near Kakuma town"])[-1]
    assert turn.reply == "Send?\nNote: Men with guns at the well near Kakuma...\n1. Send\n2. Cancel"


def test_confirm_on_sms_leaves_out_the_text_when_the_script_has_no_neutral_word(noted):
    """A script without ``words_received`` shows no line for the text on SMS, never the words."""
    turn = play_inputs(noted, "sms", ["GO", "1", "Men with guns at the well near Kakuma town"])[-1]
    assert turn.reply == "Send?\n1. Send\n2. Cancel"


def test_confirm_option_next_is_followed(noted):
    """A confirm option's own ``next`` decides which end step completes the report."""
    turn = play_inputs(noted, "sms", ["GO", "1", "Men with guns", "1"])[-1]
    assert turn.ended and turn.reply == "Filed as R-7KQ4XH."
    assert turn.report["fields"]["description"] == "Men with guns"


def test_confirm_summary_skips_steps_the_script_no_longer_has(script):
    """A history entry for a removed step is left out of the summary, not an error."""
    answers = {"gone": "x", "category": "terrorism"}
    screen = render.confirm_screen(
        script, script.steps["confirm"], "eng", answers, ["gone", "category"]
    )
    assert screen == "Send this report?\nWhat: Terrorism or extremism\n1. Yes, send\n2. Change\n3. Cancel"


def test_confirm_on_sms_uses_the_neutral_word_when_the_script_has_one():
    """With ``words_received``, a summarised text shows it on SMS instead of the words,
    and the summary goes on past it."""
    script = load_script(NOTED.replace("messages:\n", "messages:\n  words_received: received\n", 1))
    screen = render.confirm_screen(script, script.steps["check"], "eng",
                                   {"what": "fire", "note": "Men with guns at the well"},
                                   ["what", "note"], "sms")
    assert "Note: received" in screen and "Men with guns" not in screen
