"""Language memory, keywords at any step, greetings and long texts (issue 11, part 4)."""

from __future__ import annotations

import pytest

from gateway.dialogue import new_session

from .conftest import NOW, REFERENCE

WEAPONS_TURKANA_WEST = ["4", "1", "2"]


def test_a_remembered_language_skips_the_language_menu(play):
    """A phone that chose Kiswahili last time is asked the first question in Kiswahili."""
    turn = play("ussd", [""], remembered="swa")[-1]
    assert turn.session.step == "category" and turn.reply.startswith("Nini kinatokea?")


def test_the_first_screen_says_how_to_change_a_remembered_language(play):
    """0 changes the language, and the first screen says so in the reporter's language."""
    first, back = play("ussd", ["", "0"], remembered="som")
    assert first.reply.endswith("0. Beddel luqadda")
    assert back.session.step == "language"


def test_the_change_language_line_is_only_on_the_first_question(play):
    """After the first answer the hint is gone."""
    turn = play("ussd", ["", "4"], remembered="eng")[-1]
    assert "Change language" not in turn.reply


def test_choosing_a_language_again_forgets_the_hint(play):
    """After 0 and a new choice, the first question no longer offers to change it."""
    turn = play("ussd", ["", "0", "1"], remembered="swa")[-1]
    assert turn.session.language == "eng" and "Change language" not in turn.reply


def test_an_unknown_remembered_language_is_ignored(script):
    """A language the script no longer has: the language menu, as for a new phone."""
    session = new_session(script, "ussd", NOW, REFERENCE, language="xyz")
    assert session.language is None and not session.remembered


def test_a_start_keyword_overrides_the_remembered_language(play):
    """RIPOTI from a phone remembered as English: Kiswahili, with no change-language line."""
    turn = play("sms", ["RIPOTI"], remembered="eng")[-1]
    assert turn.session.language == "swa" and "Badilisha lugha" not in turn.reply


def test_help_mid_dialogue_answers_and_asks_again_without_a_strike(play):
    """HELP at the county question: the help text, then the same question; no strike."""
    turns = play("sms", ["REPORT", "4", "x", "HELP"])
    assert turns[2].session.strikes == 1
    help_turn = turns[-1]
    assert help_turn.reply.startswith("Mpaka: report threats safely.")
    assert help_turn.reply.endswith("6. Other county")
    assert help_turn.session.step == "county" and help_turn.session.strikes == 1
    assert not help_turn.ended


def test_help_at_the_change_question_repeats_that_question(play):
    """HELP while asked what to change: the help, then "What to change?" again."""
    to_confirm = ["REPORT", "4", "1", "2", "1", "Men with guns at the borehole", "2"]
    turn = play("sms", [*to_confirm, "2", "HELP"])[-1]
    assert "What to change?\n1. What" in turn.reply and turn.session.mode == "change"


def test_help_in_another_language_keeps_the_dialogue_language(play):
    """MSAADA in an English dialogue: help in English (the dialogue's), not a strike."""
    turn = play("sms", ["REPORT", "4", "msaada"])[-1]
    assert turn.reply.startswith("Mpaka: report threats safely.") and turn.session.strikes == 0


def test_a_start_keyword_mid_dialogue_offers_to_continue(play):
    """REPORT with answers given: continue (1) returns to the same question."""
    turns = play("sms", ["REPORT", "4", "1", "REPORT", "1"])
    assert turns[3].reply.startswith("Your report is not sent yet.\n1. Continue\n2. Start again")
    assert turns[4].session.step == "sub_county"
    assert turns[4].session.answers["category"] == "weapons_smuggling"


def test_a_start_keyword_mid_dialogue_can_start_again(play):
    """REPORT, then 2: the first question again, earlier answers dropped."""
    turn = play("sms", ["REPORT", "4", "1", "REPORT", "2"])[-1]
    assert turn.session.step == "category" and "category" not in turn.session.answers


def test_a_start_keyword_before_any_answer_starts_in_its_language(play):
    """RIPOTI at the first question: the first question again, in Kiswahili."""
    turn = play("sms", ["REPORT", "RIPOTI"])[-1]
    assert turn.session.language == "swa" and turn.reply.startswith("Nini kinatokea?")


def test_a_greeting_is_never_offered_as_the_description(play):
    """'Habari yako' as the first message: at the description, the plain question."""
    turn = play("sms", ["Habari yako", "2", *WEAPONS_TURKANA_WEST, "1"])[-1]
    assert turn.session.step == "description"
    assert turn.reply == "Eleza kwa ufupi ulichoona, na mahali kilipotokea."


def test_a_keyword_with_politeness_only_sets_the_language(play):
    """'ripoti tafadhali' is the start keyword (Kiswahili); nothing to offer later."""
    turn = play("sms", ["ripoti tafadhali"])[0]
    assert turn.session.language == "swa" and turn.session.proposed is None
    assert turn.reply.startswith("Nini kinatokea?")


def test_a_keyword_followed_by_words_offers_those_words_as_the_description(play):
    """'RIPOTI watu wenye bunduki karibu na Kakuma': the words after the keyword
    are offered at the description step, in Kiswahili."""
    turns = play("sms", ["RIPOTI watu wenye bunduki karibu na Kakuma", *WEAPONS_TURKANA_WEST,
                         "1", "1"])
    assert turns[0].session.language == "swa"
    assert turns[-1].session.answers["description"] == "watu wenye bunduki karibu na Kakuma"


# -- a report in one message (issue 11, part 3) -------------------------------------------


def test_a_one_message_report_asks_only_what_is_missing(play):
    """Category and time are understood, the words are the description: county and
    sub-county are asked, then (when and description known) the call-back question."""
    turns = play("sms", ["REPORT gunmen raided the village this morning", "1", "2"])
    assert turns[0].session.answers["category"] == "armed_attack"
    assert turns[0].session.step == "county"
    last = turns[-1].session
    assert last.step == "contact" and last.answers["when"] == "today"
    assert last.answers["description"] == "gunmen raided the village this morning"


def test_a_one_message_report_with_two_kinds_of_threat_asks_the_category(play):
    """Cues of two categories: nothing is guessed, the category is asked."""
    turn = play("sms", ["REPORT gunmen attacked and kidnapped two herders"])[0]
    assert turn.session.step == "category" and "category" not in turn.session.answers


def test_guessed_answers_can_be_changed_from_the_confirm_screen(play):
    """A wrong guess is fixed with Change: the category asked again, then confirm."""
    turns = play("sms", ["REPORT raid at the well now", "1", "3", "2", "2", "1", "2"])
    assert turns[-1].session.step == "confirm"
    assert turns[-1].session.answers["category"] == "trafficking"


def test_a_plain_first_sms_is_still_offered_not_taken(play):
    """Without a keyword the first message is offered as the description, not assumed."""
    turns = play("sms", ["raid at the well now", "1", "5"])
    assert turns[-1].session.step == "county" and "category" in turns[-1].session.answers
    assert not turns[0].session.one_message


def test_a_one_message_report_naming_a_town_needs_three_messages(play):
    """'... karibu na Kakuma sasa hivi': what, where and when understood; the
    call-back question and the confirm are all that is asked."""
    turns = play("sms", ["RIPOTI watu wenye bunduki wameshambulia boma karibu na Kakuma sasa hivi",
                         "2", "1"])
    assert len(turns) == 3 and turns[-1].ended
    fields = turns[-1].report["fields"]
    assert (fields["county"], fields["sub_county"]) == ("turkana", "turkana_west")
    assert turns[-1].report["place"] == "Kakuma"


def test_a_misspelt_town_inside_a_message_is_not_guessed(play):
    """Inside a longer message only names as written count: the county is asked."""
    turn = play("sms", ["REPORT gunmen raided the village near Kakumaa now"])[0]
    assert turn.session.step == "county"


def test_pages_after_a_change_language_line_continue_its_numbers(play):
    """The first page with "0. Change language" shows 1-3 in Somali: the next page
    starts at 4, so no option is skipped."""
    first, second = play("ussd", ["", "98"], remembered="som")
    last_shown = max(int(line.split(".")[0]) for line in first.reply.splitlines()[1:]
                     if line[:1].isdigit() and not line.startswith(("98", "0.")))
    assert second.reply.splitlines()[1].startswith(f"{last_shown + 1}. ")


@pytest.mark.parametrize("text", ["ndio", "haa", "1.", "#2", " 12 "])
def test_a_yes_word_or_a_number_is_not_taken_as_the_description(play, text):
    """A menu-style answer at the description (a slip from the screen before) is
    re-prompted, not stored as the report's words."""
    turn = play("ussd", ["", "2", "4", "1", "2", "1", text])[-1]
    assert turn.session.step == "description" and "description" not in turn.session.answers
    assert turn.reply.startswith("Ni fupi mno.")


def test_stop_answers_in_the_dialogues_language(play):
    """STOP (the English word everyone knows) in a Somali dialogue: the Somali reply
    (ACHA or JOOJI answer in their own language)."""
    turn = play("sms", ["WARBIXIN", "4", "STOP"])[-1]
    assert turn.ended and turn.reply.startswith("Waa hagaag.")
