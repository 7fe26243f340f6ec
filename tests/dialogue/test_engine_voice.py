"""The engine on a voice call: only what a keypad can answer is offered."""

from __future__ import annotations


def test_a_call_is_not_offered_check_a_report(play):
    """The language menu of a call lists the languages only: "Check a report"
    asks for a typed reference, a dead end on a keypad."""
    turn = play("voice", [""])[0]
    assert "Check a report" not in turn.reply
    assert turn.reply.splitlines()[-1] == "5. Afaan Borana"


def test_a_call_is_not_offered_other_county_and_its_numbers_stay_consistent(play):
    """The county menu of a call ends before "Other county" (a name to type);
    a digit beyond the listed options is an invalid answer, never a name prompt."""
    turns = play("voice", ["", "1", "4"])
    menu = turns[-1].reply
    assert "Other county" not in menu
    last = menu.splitlines()[-1]
    number = str(int(last.split(".")[0]) + 1)
    after = play("voice", ["", "1", "4", number])[-1]
    assert after.session.step == "county" and after.session.mode == "ask"
    assert after.events[-1] == {"type": "invalid", "step": "county"}


def test_ussd_still_offers_check_a_report_and_other_county(play):
    """The typed options stay on USSD."""
    assert "6. Check a report" in play("ussd", [""])[0].reply
    assert "Other county" in play("ussd", ["", "1", "4"])[-1].reply
