"""The dialogue engine, one behaviour per test, on the shipped script."""

from __future__ import annotations

import json

import pytest

from gateway.defaults import default_script_text, gazetteer_text
from gateway.dialogue import (
    DialogueSession,
    SessionError,
    advance,
    gsm,
    load_script,
    new_session,
    render,
)

from .conftest import NOW

# English USSD answers up to the confirm screen: English, weapons smuggling,
# Turkana, Loima, earlier today, a description, stay anonymous.
ENG_TO_CONFIRM = ["", "1", "4", "1", "4", "2", "Men with guns at the borehole", "2"]


def events(turns, kind):
    return [e for t in turns for e in t.events if e["type"] == kind]


def test_first_ussd_screen_is_the_language_menu(play):
    """An empty first USSD input shows the language menu, every language by its own
    name, then checking a report (in several languages, as no language is chosen yet)."""
    turn = play("ussd", [""])[0]
    assert turn.reply == (
        "Mpaka\nLanguage / Lugha / Luqadda:\n"
        "1. English\n2. Kiswahili\n3. Soomaali\n4. Ng'aturkana\n5. Afaan Borana\n"
        "6. Check a report/Angalia ripoti/Hubi"
    )
    assert not turn.ended
    assert turn.events == [{"type": "step", "step": "language"}]


def test_choosing_a_language_sets_it(play):
    """Picking 2 on the language menu continues in Kiswahili."""
    turn = play("ussd", ["", "2"])[-1]
    assert turn.session.language == "swa"
    assert turn.reply.startswith("Nini kinatokea?")


def test_back_returns_to_the_previous_step(play):
    """0 goes back one step; the earlier answer is still recorded."""
    turns = play("ussd", ["", "1", "4", "0"])
    assert turns[-1].session.step == "category"
    assert turns[-1].session.answers["category"] == "weapons_smuggling"
    assert events(turns, "back")


def test_back_on_a_later_menu_page_goes_back_one_page(play):
    """On page 2 of a paginated menu, 0 shows page 1 again, not the previous step."""
    turns = play("ussd", ["", "1", "98", "0"])
    assert turns[-2].reply.startswith("What is happening?\n6.")
    assert turns[-1].session.step == "category"
    assert "1. Terrorism or extremism" in turns[-1].reply
    assert not events(turns, "back")


def test_more_shows_the_next_page_with_continued_numbers(play):
    """98 pages through a long USSD menu; numbers continue from page to page."""
    turns = play("ussd", ["", "1", "98"])
    page2 = turns[-1].reply
    assert "98. More" in turns[-2].reply and "0. Back" in page2
    assert "6. Goods or drug smuggling" in page2
    turn = play("ussd", ["", "1", "98", "6"])[-1]
    assert turn.session.answers["category"] == "goods_smuggling"


@pytest.mark.parametrize("inputs", [
    pytest.param(["", "1", "98", "2"], id="a page-1 number on page 2"),
    pytest.param(["", "1", "9"], id="9 beside 98 on page 1"),
])
def test_a_ussd_number_not_on_the_screen_is_a_re_prompt(play, inputs):
    """On USSD only the numbers shown choose: a keypad slip (9 beside 98) or a
    number remembered from another page is a short re-prompt, never an option
    the caller cannot see."""
    turn = play("ussd", inputs)[-1]
    assert "category" not in turn.session.answers and turn.session.strikes == 1
    assert turn.reply.startswith("Not a valid choice.\nWhat is happening?")


def test_every_ussd_screen_of_a_walk_fits_the_budget(play):
    """Menus paginate so that no screen, error line included, exceeds 160 characters."""
    for turn in play("ussd", ["", "1", "x", "98", "x", "5", "1", "x", "98"]):
        assert gsm.screen_cost(turn.reply) <= 160, turn.reply


def test_more_on_a_short_menu_is_invalid(play):
    """98 on a menu that has one page is an invalid answer."""
    turn = play("ussd", ["", "1", "4", "98"])[-1]
    assert turn.reply.startswith("Not a valid choice.\nWhich county?")


def test_sms_menus_are_paged_to_one_segment(play):
    """An SMS menu longer than one segment is cut into pages with 98 More, and
    the options of the next page keep their numbers."""
    from gateway.dialogue import gsm

    first, second = play("sms", ["REPORT", "98"])
    assert "98. More" in first.reply and gsm.sms_segments(first.reply) == 1
    assert "8. Explosive device" in second.reply and "0. Back" in second.reply
    assert gsm.sms_segments(second.reply) == 1


def test_an_sms_option_of_the_next_page_is_taken_from_the_first(play):
    """A reporter who knows the number answers it without paging."""
    turn = play("sms", ["REPORT", "7"])[-1]
    assert turn.session.answers["category"] == "suspicious"


def test_whatsapp_menus_are_whole(play):
    """WhatsApp has no segments: the whole menu in one message."""
    turn = play("whatsapp", ["REPORT"])[-1]
    assert "11. Something else" in turn.reply and "98." not in turn.reply


def test_restart_goes_to_the_start_keeping_answers(play):
    """00 shows the first step again; answers given so far are kept."""
    turns = play("ussd", ["", "1", "4", "1", "00"])
    last = turns[-1]
    assert last.session.step == "language"
    assert last.session.history == []
    assert last.session.answers["category"] == "weapons_smuggling"
    assert events(turns, "restart")


def test_text_given_before_restart_is_offered_again(play):
    """After 00, the description step offers the earlier text; 1 keeps it."""
    inputs = ENG_TO_CONFIRM[:-1] + ["00", "1", "4", "1", "4", "2"]
    turn = play("ussd", inputs)[-1]
    assert 'You wrote: "Men with guns at the b..."' in turn.reply
    assert turn.reply.endswith("1. Use this\n2. Write new")
    turn = play("ussd", inputs + ["1"])[-1]
    assert turn.session.step == "contact"
    assert turn.session.answers["description"] == "Men with guns at the borehole"


def test_invalid_answer_reprompts_in_the_users_language(play):
    """An invalid answer shows a short error in the user's language, then the same question."""
    turn = play("ussd", ["", "2", "1", "1", "1", "9"])[-1]
    assert turn.reply.startswith("Chaguo si sahihi.\nLini?\n1. Sasa hivi")
    assert gsm.screen_cost(turn.reply) <= 160
    assert turn.events == [{"type": "invalid", "step": "when"}]


def test_too_short_text_is_refused(play):
    """A description under the minimum length is refused with its own message."""
    turn = play("ussd", ENG_TO_CONFIRM[:6] + ["ok"])[-1]
    assert turn.reply.startswith("Too short. Write a few words.\nBriefly")


def test_a_text_over_300_letters_is_kept_on_sms(play):
    """On SMS a description may be as long as a concatenated SMS: 301 letters are kept."""
    turn = play("sms", ["REPORT", "4", "1", "4", "2", "x" * 301])[-1]
    assert turn.session.answers["description"] == "x" * 301


def test_three_invalid_answers_end_the_session_keeping_a_draft(play):
    """After three invalid answers in a row the session ends politely; the unfinished is kept."""
    turns = play("ussd", ["", "1", "4", "x", "y", "z"])
    last = turns[-1]
    assert last.ended and last.keep_unfinished
    assert last.reply.startswith("Sorry, we could not understand.")
    assert last.session.answers["category"] == "weapons_smuggling"
    assert events(turns, "strikes_out") == [{"type": "strikes_out", "step": "county"}]


def test_a_valid_answer_resets_the_strikes(play):
    """Invalid answers must be in a row: a valid one in between resets the count."""
    turns = play("ussd", ["", "1", "x", "y", "4", "x", "y"])
    assert not turns[-1].ended


@pytest.mark.parametrize("steps_before", [0, 1, 2, 5, 6, 7, 8], ids=lambda n: f"after {n}")
def test_quick_exit_ends_at_any_step(play, steps_before):
    """99 ends at once with a neutral message, deletes any unfinished, and says nothing of reports."""
    turns = play("ussd", ENG_TO_CONFIRM[:steps_before] + ["99"])
    last = turns[-1]
    assert last.ended and not last.keep_unfinished and last.report is None
    assert "report" not in last.reply.lower()
    assert last.events == [{"type": "quick_exit"}]


def test_quick_exit_in_swahili_is_neutral(play):
    """The quick-exit message is translated too."""
    turn = play("ussd", ["", "2", "99"])[-1]
    assert turn.reply == "Asante. Kwaheri."


@pytest.mark.parametrize(
    "message, language",
    [
        pytest.param("REPORT", "eng", id="upper"),
        pytest.param("  report! ", "eng", id="spaces and punctuation"),
        pytest.param("Ripoti.", "swa", id="kiswahili"),
        pytest.param("warbixin", "som", id="somali lower"),
    ],
)
def test_sms_start_keyword_chooses_the_language(play, message, language):
    """A start keyword skips the language step and starts in its language."""
    turn = play("sms", [message])[0]
    assert turn.session.language == language
    assert turn.session.step == "category"
    assert turn.session.answers == {"language": language}


def test_sms_help_replies_and_keeps_no_session(play):
    """HELP answers with the help text and ends; nothing new is kept."""
    turn = play("sms", ["help"])[0]
    assert turn.ended and not turn.keep_unfinished
    assert "REPORT" in turn.reply and "999" in turn.reply
    assert not turn.session.answers


def test_sms_help_leaves_an_existing_draft_alone(play, script):
    """HELP while a unfinished exists keeps that unfinished unchanged."""
    unfinished = play("ussd", ENG_TO_CONFIRM[:4])[-1].session
    turn = play("sms", ["Help?"], unfinished=unfinished)[0]
    assert turn.ended and turn.keep_unfinished
    assert turn.session.answers == unfinished.answers


@pytest.mark.parametrize("word", ["STOP", "cancel", "Acha!"])
def test_sms_stop_discards_the_draft(play, word):
    """STOP/CANCEL confirm and tell the host to delete any unfinished."""
    unfinished = play("ussd", ENG_TO_CONFIRM[:4])[-1].session
    turn = play("sms", [word], unfinished=unfinished)[0]
    assert turn.ended and not turn.keep_unfinished
    assert turn.events == [{"type": "cancelled", "via": "stop"}]


def test_sms_stop_works_mid_dialogue(play):
    """STOP in the middle of an SMS dialogue ends it and drops the unfinished."""
    turn = play("sms", ["REPORT", "4", "stop"])[-1]
    assert turn.ended and not turn.keep_unfinished
    assert turn.reply == "Done. Your unsent answers were deleted."


def test_free_text_first_message_is_offered_as_the_description(play):
    """An SMS that is not a keyword starts a report and is offered at the description,
    without repeating the reporter's words into their inbox."""
    inputs = ["Gunmen crossed near Todenyang", "1", "5", "1", "3", "1"]
    turns = play("sms", inputs)
    assert turns[0].session.step == "language"
    assert turns[-1].reply == (
        "Briefly, what did you see? Or name a place near it.\n"
        "You sent a message before. Use it as the description?\n1. Use this\n2. Write new"
    )
    turn = play("sms", inputs + ["1"])[-1]
    assert turn.session.answers["description"] == "Gunmen crossed near Todenyang"


def test_free_text_can_be_replaced(play):
    """Choosing 'Write new' asks the question plainly; the new text is used."""
    inputs = ["Gunmen crossed near Todenyang", "1", "5", "1", "3", "1", "2"]
    assert play("sms", inputs)[-1].reply == "Briefly, what did you see? Or name a place near it."
    turn = play("sms", inputs + ["Cattle taken at night"])[-1]
    assert turn.session.answers["description"] == "Cattle taken at night"


def test_new_text_may_be_typed_on_the_keep_screen(play):
    """On the 'You wrote' screen, typing a new description uses it directly."""
    inputs = ["Gunmen crossed near Todenyang", "1", "5", "1", "3", "1", "Cattle taken at night"]
    turn = play("sms", inputs)[-1]
    assert turn.session.answers["description"] == "Cattle taken at night"


def test_sms_reporter_may_type_a_label(play):
    """On SMS, typing an option's label works like its number."""
    turn = play("sms", ["REPORT", "weapons smuggling", "Turkana"])[-1]
    assert turn.session.answers["category"] == "weapons_smuggling"
    assert turn.session.answers["county"] == "turkana"


def test_completion_builds_the_report(play):
    """Yes on the confirm screen ends with the reference, 999/112 and the report dict."""
    turns = play("ussd", ENG_TO_CONFIRM + ["1"])
    last = turns[-1]
    assert last.ended and not last.keep_unfinished
    assert last.reply == "Sent. Reference R-7KQ4XH. Thank you. In danger? Call 999 or 112."
    report = last.report
    assert report["fields"] == {
        "category": "weapons_smuggling", "county": "turkana", "sub_county": "loima",
        "when": "today", "description": "Men with guns at the borehole", "contact": "no",
    }
    assert report["severity"] == "high"
    assert report["language"] == "eng" and report["reference"] == "R-7KQ4XH"
    assert (report["script_id"], report["script_version"]) == ("report", "1")
    assert report["channel"] == "ussd" and report["started_at"] == NOW
    assert report["answers"]["language"] == "eng"
    assert events(turns, "completed")
    json.dumps(report)  # the host queues it as JSON


@pytest.mark.parametrize(
    "category, when, severity",
    [
        pytest.param("11", "4", "low", id="other earlier: default"),
        pytest.param("7", "3", "medium", id="suspicious"),
        pytest.param("3", "2", "medium", id="migrant smuggling"),
        pytest.param("11", "1", "high", id="happening now"),
        pytest.param("8", "4", "high", id="explosive device"),
        pytest.param("9", "4", "high", id="kidnapping"),
        pytest.param("10", "4", "high", id="recruitment"),
        pytest.param("1", "4", "high", id="terrorism"),
        pytest.param("2", "4", "high", id="trafficking"),
        pytest.param("4", "4", "high", id="weapons"),
        pytest.param("5", "4", "high", id="armed attack"),
    ],
)
def test_severity(play, category, when, severity):
    """Severity is the gravest of the chosen options' severities, default low."""
    turns = play("sms", ["REPORT", category, "2", "1", when, "Seen near the market", "1", "1"])
    assert turns[-1].report["severity"] == severity


def test_confirm_shows_a_summary_in_the_users_language(play):
    """The confirm screen summarises answers with labels, not values, and says
    whether the reporter stays anonymous (the words too, where there is room)."""
    turn = play("ussd", ["", "2", "4", "1", "4", "2", "Watu wenye bunduki kisimani", "2"])[-1]
    assert turn.reply == (
        "Tuma ripoti hii?\nNini: Magendo ya silaha\nEneo: Loima\nLini: Leo\n"
        "Kupigiwa: Hapana, nisijulikane\n1. Tuma\n2. Badilisha\n3. Sitisha"
    )


def test_the_ussd_confirm_says_anonymous_before_the_words(play):
    """With room for one more line on USSD, whether the reporter is anonymous is
    shown before (and instead of) their words."""
    turn = play("ussd", ["", "1", "98", "9", "1", "4", "2", "Armed men took two girls", "2"])[-1]
    assert turn.reply == ("Send this report?\nWhat: Kidnapping\nArea: Loima\nWhen: Earlier today\n"
                          "Call back: No, stay anonymous\n1. Yes, send\n2. Change\n3. Cancel")


def test_the_whatsapp_confirm_lists_every_answer_without_repeating_the_words(play):
    """WhatsApp has room: the words are acknowledged (never repeated into the
    inbox) and the call-back answer shown."""
    turn = play("whatsapp", ["REPORT", "4", "1", "4", "2", "Armed men took two girls", "1"])[-1]
    assert "Seen: received\nCall back: Yes\n1. Yes, send" in turn.reply
    assert "Armed men" not in turn.reply


def test_the_confirm_screen_always_fits_with_its_error_line(play):
    """The optional lines give way: an invalid answer at confirm still fits USSD."""
    from gateway.dialogue import gsm

    turn = play("ussd", [*ENG_TO_CONFIRM, "7"])[-1]
    assert turn.reply.startswith("Not a valid choice.") and gsm.screen_cost(turn.reply) <= 160


def test_confirm_change_asks_which_part(play):
    """Change lists the parts that can be changed; the answers stay."""
    turn = play("ussd", ENG_TO_CONFIRM + ["2"])[-1]
    assert turn.reply == ("What to change?\n1. What\n2. Area\n3. When\n4. Description\n"
                          "5. Call back or anonymous\n0. Back")
    assert turn.session.answers["description"] == "Men with guns at the borehole"


def test_a_changed_answer_returns_to_the_confirm_screen(play):
    """Change, When, a new answer: straight back to the confirm screen, showing it."""
    turns = play("ussd", ENG_TO_CONFIRM + ["2", "3", "1"])
    assert turns[-2].session.step == "when"
    last = turns[-1]
    assert last.session.step == "confirm" and "When: Happening now" in last.reply
    assert last.session.history.count("when") == 1


def test_changing_the_area_asks_county_then_sub_county(play):
    """Area is changed from the county: the sub-county is asked again, then confirm."""
    turns = play("ussd", ENG_TO_CONFIRM + ["2", "2", "5", "1"])
    assert turns[-2].session.step == "sub_county" and "Teso North" in turns[-2].reply
    assert turns[-1].session.step == "confirm"
    assert turns[-1].session.answers["county"] == "busia"


def test_a_county_typed_by_name_can_be_changed(play):
    """Other county, "Nakuru" (no sub-county asked): Change still offers Area,
    which asks the county again."""
    to_confirm = ["REPORT", "4", "6", "Nakuru", "1", "People crossing at night", "2"]
    change = play("sms", [*to_confirm, "2"])[-1]
    assert "2. Area" in change.reply
    turn = play("sms", [*to_confirm, "2", "2"])[-1]
    assert turn.session.step == "county"


def test_a_no_word_at_the_confirm_screen_asks_what_to_change(play):
    """"no" to "Send this report?" is no strike: what to change (0 goes back)."""
    turn = play("ussd", ENG_TO_CONFIRM + ["no"])[-1]
    assert turn.reply.startswith("What to change?") and turn.session.strikes == 0


def test_back_from_the_change_question_shows_the_confirm_screen(play):
    """0 at "What to change?": the confirm screen again, nothing changed."""
    turn = play("ussd", ENG_TO_CONFIRM + ["2", "0"])[-1]
    assert turn.session.step == "confirm" and turn.reply.startswith("Send this report?")


def test_an_invalid_answer_to_the_change_question_reprompts(play):
    """A wrong key at "What to change?" is a strike and the same question."""
    turn = play("ussd", ENG_TO_CONFIRM + ["2", "7"])[-1]
    assert turn.reply.startswith("Not a valid choice.\nWhat to change?")
    assert turn.session.strikes == 1


def test_a_changed_report_completes_with_the_new_answer(play):
    """After changing When, send stores the new answer, each step once."""
    turn = play("ussd", ENG_TO_CONFIRM + ["2", "3", "1", "1"])[-1]
    assert turn.report["fields"]["when"] == "now"
    assert list(turn.report["answers"]).count("when") == 1


def test_confirm_cancel_discards(play):
    """Cancel ends without a report and deletes the unfinished."""
    turns = play("ussd", ENG_TO_CONFIRM + ["3"])
    last = turns[-1]
    assert last.ended and not last.keep_unfinished and last.report is None
    assert last.reply == "Cancelled. Nothing was sent. Stay safe."
    assert events(turns, "cancelled") == [{"type": "cancelled", "via": "confirm"}]


def test_ussd_draft_is_resumed_on_sms(play):
    """A dropped USSD session is offered on SMS in its language and finished there."""
    unfinished = play("ussd", ["", "2", "4", "1", "4"])[-1].session  # Kiswahili, at "when"
    turns = play("sms", ["RIPOTI", "1", "2", "Watu wenye bunduki", "2", "1"], unfinished=unfinished)
    assert turns[0].reply == "Hukumaliza mara iliyopita.\n1. Endelea\n2. Anza upya"
    assert turns[1].session.step == "when" and turns[1].reply.startswith("Lini?")
    assert {"type": "resumed"} in turns[1].events
    report = turns[-1].report
    assert report["channel"] == "sms"
    assert report["fields"]["sub_county"] == "loima" and report["language"] == "swa"


def test_resume_offer_on_ussd(play):
    """On USSD the first screen offers the unfinished when there is one."""
    unfinished = play("sms", ["REPORT", "4"])[-1].session
    turn = play("ussd", [""], unfinished=unfinished)[0]
    assert turn.reply == "You did not finish last time.\n1. Continue\n2. Start again"


def test_resume_start_over_begins_afresh(play):
    """Start again drops the unfinished and shows the first step."""
    unfinished = play("ussd", ENG_TO_CONFIRM[:5])[-1].session
    turn = play("ussd", ["", "2"], unfinished=unfinished)[-1]
    assert turn.session.step == "language" and not turn.session.answers
    assert turn.session.unfinished is None


def test_draft_of_another_script_is_not_offered(play, script):
    """A unfinished from a different script id is ignored."""
    unfinished = play("ussd", ENG_TO_CONFIRM[:4])[-1].session
    unfinished.script_id = "other"
    turn = play("ussd", [""], unfinished=unfinished)[0]
    assert turn.session.step == "language"


def test_first_sms_free_text_with_a_draft_keeps_the_text(play):
    """Free text sent while a unfinished exists is offered at the description after resuming."""
    unfinished = play("ussd", ["", "1", "4", "1", "4", "2"])[-1].session  # at description
    turn = play("sms", ["Three men with rifles", "1"], unfinished=unfinished)[-1]
    assert "You sent a message before" in turn.reply and "rifles" not in turn.reply


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_no_screen_repeats_the_reporters_words_into_an_inbox(play, channel):
    """On SMS and WhatsApp, a phone can be taken: neither the offer to keep an
    earlier message nor the confirm summary quotes the reporter's words."""
    words = "Gunmen crossed near Todenyang"
    turns = play(channel, [words, "1", "5", "1", "3", "1", "1", "1"])
    assert not [t.reply for t in turns if "Gunmen" in t.reply]
    assert "You sent a message before" in turns[5].reply


def test_ussd_keep_screen_still_quotes_the_text(script):
    """A USSD screen leaves nothing on the phone: the offer to keep a text quotes it."""
    step = script.steps["description"]
    assert 'You wrote: "Gunmen crossed near To..."' in render.keep_screen(
        script, step, "eng", "Gunmen crossed near Todenyang", "ussd")


def test_step_limit_guard_ends_instead_of_looping():
    """max_steps_per_turn stops a turn that moves through too many steps."""
    text = default_script_text().replace("max_invalid: 3", "max_invalid: 3\n  max_steps_per_turn: 1")
    assert "max_steps_per_turn: 1" in text
    script = load_script(text, gazetteer_text())
    session = new_session(script, channel="ussd", now=NOW, reference="R-1")
    turn = advance(script, session, "1", NOW)  # first screen, then its pre-filled answer
    assert turn.ended and turn.keep_unfinished
    assert {"type": "error", "reason": "step_limit"} in turn.events


def test_new_session_rejects_an_unknown_channel(script):
    """Only ussd, sms and whatsapp are channels."""
    with pytest.raises(ValueError):
        new_session(script, channel="fax", now=NOW, reference="R-1")


def test_whatsapp_behaves_like_sms(play):
    """WhatsApp takes keywords and shows whole menus like SMS."""
    turn = play("whatsapp", ["ripoti"])[0]
    assert turn.session.language == "swa" and "98." not in turn.reply


def test_advance_does_not_change_the_given_session(script):
    """advance returns a new session; the caller's copy is untouched."""
    session = new_session(script, channel="ussd", now=NOW, reference="R-1")
    before = session.to_json()
    advance(script, session, "", NOW)
    assert session.to_json() == before


def test_session_json_is_compact_and_round_trips(play):
    """A session near the end of a dialogue serialises well under 1 KB and reads back equal."""
    session = play("ussd", ENG_TO_CONFIRM)[-1].session
    text = session.to_json()
    assert len(text.encode()) < 700
    assert DialogueSession.from_json(text) == session


@pytest.mark.parametrize("bad", ["not json", "[]", '{"script_id": "x"}', '{"nope": 1}'])
def test_session_from_bad_json_raises(bad):
    """Unreadable session JSON raises SessionError."""
    with pytest.raises(SessionError):
        DialogueSession.from_json(bad)


# -- status lookups -----------------------------------------------------------------


def test_check_a_report_ends_with_a_lookup_not_a_report():
    """'Check a report' asks for a reference and ends with a status lookup for the host."""
    from gateway.defaults import load_default_script

    script = load_default_script()
    session = new_session(script, channel="ussd", now=0.0, reference="R-AAAAAA")
    turn = advance(script, session, "", 1.0)
    for text in ("6", "r-7kq4xh"):  # "Check a report" on the first screen
        turn = advance(script, DialogueSession.from_json(turn.session.to_json()), text, 1.0)
    assert turn.ended and turn.report is None and not turn.keep_unfinished
    assert turn.lookup == {"kind": "status", "query": "r-7kq4xh", "language": "eng"}


def test_lookup_end_step_needs_lookup_from():
    """An end step with lookup but no lookup_from is an error."""
    from gateway.dialogue import ScriptError

    text = default_script_text().replace("    lookup_from: status_reference\n", "")
    with pytest.raises(ScriptError, match="lookup_from"):
        load_script(text, gazetteer_text=gazetteer_text())


def test_session_stored_before_the_rename_still_loads(script):
    """A session saved with the old field name ``draft`` reads back as ``unfinished``."""
    earlier = new_session(script, channel="ussd", now=0.0, reference="R-OLD222").to_dict()
    stored = {**earlier, "draft": {**earlier, "answers": {"language": "swa"}}}
    session = DialogueSession.from_json(json.dumps(stored))
    assert session.unfinished is not None and session.unfinished["answers"] == {"language": "swa"}


def test_write_new_after_returning_to_a_text_shows_the_plain_prompt(play):
    """Back at an answered text via 00, "2. Write new" asks the question plainly."""
    inputs = ENG_TO_CONFIRM[:-1] + ["00", "1", "4", "1", "4", "2", "2"]
    turn = play("ussd", inputs)[-1]
    assert turn.reply == "Briefly, what did you see? Or name a place near it."


def test_two_at_a_text_with_nothing_to_keep_is_an_answer(play):
    """At a text step with no earlier text, "2" is the reporter's answer (here too
    short), not the keep screen's "Write new"."""
    turn = play("ussd", ENG_TO_CONFIRM[:6] + ["2"])[-1]
    assert turn.reply.startswith("Too short.")


def test_ussd_keep_screen_speaks_the_reporters_language(play):
    """A Kiswahili reporter back at their text reads "Uliandika", not English."""
    inputs = ["", "2", "4", "1", "4", "2", "Watu wenye bunduki kisimani", "2", "00",
              "2", "4", "1", "4", "2"]
    turn = play("ussd", inputs)[-1]
    assert 'Uliandika: "' in turn.reply


def test_an_answer_two_options_fit_is_asked_about_without_a_strike(play):
    """"Turkana" at the sub-county menu fits five options: the reporter is asked
    which, with just those listed, and no strike is counted."""
    turns = play("sms", ["RIPOTI", "1", "1", "Turkana"])
    assert turns[-1].reply.startswith("Ulimaanisha ipi?\n1. Turkana North\n2. Turkana West")
    assert "Loima" not in turns[-1].reply
    assert turns[-1].session.strikes == 0 and turns[-1].session.step == "sub_county"
    turn = play("sms", ["RIPOTI", "1", "1", "Turkana", "2"])[-1]
    assert turn.session.answers["sub_county"] == "turkana_west"


@pytest.mark.parametrize(("answer", "kept"), [("Ndio", True), ("yes", True), ("1.", True),
                                               ("#1", True), ("2", False), ("hapana", False)])
def test_the_offer_to_keep_an_earlier_message_takes_yes_no_and_numbers(play, answer, kept):
    """At "Use it as the description?" a yes word or 1 in any form keeps the first
    message; a no word or 2 asks anew: never taken as the description itself."""
    first = "Watu wenye silaha karibu na kisima"
    turn = play("sms", [first, "2", "5", "1", "1", "1", answer])[-1]
    if kept:
        assert turn.session.answers["description"] == first
    else:
        assert "description" not in turn.session.answers
        assert turn.reply == "Eleza kwa ufupi ulichoona, na mahali kilipotokea."
