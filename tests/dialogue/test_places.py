"""Places by the names people use and by a shared location: matching (pure),
the gazetteer's place data and its lint checks, and each engine branch that
a typed place, "Other county" or a WhatsApp location takes."""

from __future__ import annotations

import pytest

from gateway.defaults import default_script_text, gazetteer_text
from gateway.dialogue import (
    DialogueSession,
    SessionError,
    advance,
    lint_script,
    load_script,
    places,
)
from gateway.dialogue.script import Place

from .conftest import play_inputs
from .test_engine import events

KAKUMA = (3.717, 34.867)
NAIROBI = (-1.2921, 36.8219)
# SMS, English, armed attack: then the county question.
TO_COUNTY = ["REPORT", "5"]
AFTER_PLACE = ["1", "Gunmen at the market", "2"]  # when, description, contact
COUNTY_MENU = ("Which county?\n1. Turkana\n2. Marsabit\n3. Mandera\n4. Wajir\n5. Busia\n"
               "6. Other county")
KAKUMA_CHECK = "Kakuma, Turkana West?\n1. Yes\n2. No"
WHEN = "When?\n1. Happening now\n2. Earlier today\n3. This week\n4. Before this week"


def gazetteer_with(old: str, new: str) -> str:
    text = gazetteer_text()
    assert old in text
    return text.replace(old, new, 1)


def script_with_gazetteer(text: str):
    return load_script(default_script_text(), text)


def codes(report, level="errors"):
    return {issue.code for issue in getattr(report, level)}


def place(name, county="turkana", sub="turkana_west", aliases=(), at=None):
    return Place(name, county, sub, tuple(aliases), at)


# -- matching (pure) -------------------------------------------------------------------

POOL = [
    place("Kakuma", aliases=("Kakuma camp",), at=KAKUMA),
    place("Lokichoggio", aliases=("Lokichogio", "Loki"), at=(4.204, 34.349)),
    place("Lodwar", sub="turkana_central", at=(3.119, 35.597)),
    place("El Wak", "mandera", "mandera_south", ("Elwak",), (2.803, 40.928)),
    place("Wargadud", "mandera", "mandera_south", at=(2.48, 40.55)),
    place("Wargadud", "wajir", "tarbaj", at=(2.6, 40.2)),
    place("Turkana West"),
]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param("Kakuma", "Kakuma", id="its name"),
        pytest.param("KAKUMA", "Kakuma", id="any case"),
        pytest.param("Kákuma", "Kakuma", id="accents do not matter"),
        pytest.param("kakuma camp", "Kakuma", id="an alias"),
        pytest.param("Lokichogyo", "Lokichoggio", id="a close spelling"),
        pytest.param("El-Wak", "El Wak", id="punctuation does not matter"),
        pytest.param("elwak", "El Wak", id="spaces do not matter"),
        pytest.param("gunmen near kakuma camp", "Kakuma", id="a name within the words"),
    ],
)
def test_a_typed_name_finds_its_place(text, name):
    """Names, aliases and close spellings, case- and accent-insensitively."""
    assert [p.name for p in places.find(POOL, text)] == [name]


@pytest.mark.parametrize("text", ["", "1", "#2", "Kak", "Nairobi", "zzzz"],
                         ids=["empty", "a number", "a menu number", "too short to guess",
                              "no such place", "nothing like it"])
def test_no_place_for_what_names_none(text):
    """Numbers, short fragments and unknown names find nothing."""
    assert places.find(POOL, text) == ()


def test_a_name_of_places_in_two_sub_counties_finds_both():
    """Never a guess between two sub-counties: both are returned, to ask which."""
    found = places.find(POOL, "wargadud")
    assert [(p.county, p.sub_county) for p in found] == [("mandera", "mandera_south"),
                                                          ("wajir", "tarbaj")]


def test_two_names_in_one_sub_county_are_one_place():
    """Two fits in the same sub-county are no reason to ask: the first is taken."""
    pool = [place("Kakuma", at=KAKUMA), place("Kakuma camp", at=KAKUMA)]
    assert [p.name for p in places.find(pool, "kakumaa")] == ["Kakuma"]


def test_distance_is_great_circle_kilometres():
    """One degree of longitude on the equator is about 111.2 km."""
    assert places.distance_km((0.0, 34.0), (0.0, 35.0)) == pytest.approx(111.2, abs=0.1)
    assert places.distance_km(KAKUMA, KAKUMA) == 0.0


def test_nearest_place_within_reach():
    """A location picks the nearest place with a coordinate within 25 km."""
    assert places.nearest(POOL, (3.70, 34.85)).name == "Kakuma"
    assert places.nearest(POOL, (3.12, 35.60)).name == "Lodwar"


def test_no_place_beyond_reach():
    """Farther than 25 km from every place: none (the limit is inclusive)."""
    assert places.nearest(POOL, NAIROBI) is None
    km = places.distance_km(KAKUMA, (3.717, 35.0))
    assert places.nearest(POOL, (3.717, 35.0), within_km=km).name == "Kakuma"
    assert places.nearest(POOL, (3.717, 35.0), within_km=km - 0.01) is None


def test_nearest_ignores_places_without_a_coordinate():
    """Sub-counties known by name only are never picked by a location."""
    assert places.nearest([place("Turkana West")], KAKUMA) is None


@pytest.mark.parametrize(("text", "found"), [
    ("Nakuru", ("nakuru",)), ("nakru", ("nakuru",)), ("murang'a", ("muranga",)),
    ("Muranga", ("muranga",)), ("3", ()), ("Atlantis", ()),
])
def test_county_by_name(script, text, found):
    """Every Kenyan county by name, close spellings too; numbers are not names."""
    gaz = script.lists["counties"]
    options = [(v, script.list_label(gaz, v, "eng")) for v in (*gaz.names, *gaz.unlisted)]
    assert len(options) == 47  # the five, and the other 42 unlisted
    assert places.county(options, text) == found


# -- the shipped gazetteer -------------------------------------------------------------


def test_shipped_gazetteer_has_fifteen_places_per_county(script):
    """At least 15 named places (beyond the sub-counties) in each of the five counties."""
    for county in ("turkana", "marsabit", "mandera", "wajir", "busia"):
        named = [p for p in script.places if p.county == county and p.at is not None]
        assert len(named) >= 15, county


def test_shipped_places_lie_near_kenyas_borderlands(script):
    """Every coordinate is in the region (a typo such as a swapped pair is caught)."""
    for p in script.places:
        if p.at is not None:
            lat, lon = p.at
            assert -1.0 <= lat <= 5.5 and 33.5 <= lon <= 42.5, p


@pytest.mark.parametrize(("name", "county", "sub"), [
    ("Kakuma", "turkana", "turkana_west"), ("Lokichoggio", "turkana", "turkana_west"),
    ("Nadapal", "turkana", "turkana_west"), ("Lodwar", "turkana", "turkana_central"),
    ("Lokitaung", "turkana", "turkana_north"), ("Todenyang", "turkana", "turkana_north"),
    ("Lokiriama", "turkana", "loima"), ("El Wak", "mandera", "mandera_south"),
    ("Moyale town", "marsabit", "moyale"), ("Sololo", "marsabit", "moyale"),
    ("Marsabit town", "marsabit", "saku"), ("Illeret", "marsabit", "north_horr"),
    ("Forole", "marsabit", "north_horr"), ("Mandera town", "mandera", "mandera_east"),
    ("Rhamu", "mandera", "mandera_north"), ("Takaba", "mandera", "mandera_west"),
    ("Wajir town", "wajir", "wajir_east"), ("Habaswein", "wajir", "wajir_south"),
    ("Bute", "wajir", "wajir_north"), ("Malaba", "busia", "teso_north"),
    ("Amagoro", "busia", "teso_north"), ("Busia town", "busia", "matayos"),
    ("Port Victoria", "busia", "budalangi"), ("Sio Port", "busia", "funyula"),
])
def test_shipped_places_are_in_their_sub_counties(script, name, county, sub):
    """The sub-county of well-known places (their ward's constituency)."""
    (found,) = places.find(script.places, name)
    assert (found.county, found.sub_county) == (county, sub)


def test_shipped_gazetteer_names_no_place_twice():
    """No shipped name is ambiguous between sub-counties (no warning)."""
    assert "ambiguous_place" not in codes(lint_script(default_script_text(), gazetteer_text()),
                                          "warnings")


# -- lint ------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "code"), [
    pytest.param("    turkana_east:\n      - {name: Lokori",
                 "    turkana_east:\n      - {name: Nowhere, at: [1, 36]}\n"
                 "    no_such_sub:\n      - {name: Lokori", "unknown_value",
                 id="unknown sub-county"),
    pytest.param("    turkana_east:\n      - {name: Lokori",
                 "    moyale:\n      - {name: Lokori", "unknown_value",
                 id="sub-county of another county"),
    pytest.param("  marsabit:\n    moyale:\n", "  nakuru:\n    moyale:\n", "unknown_value",
                 id="county without sub-counties"),
    pytest.param("at: [3.717, 34.867]", "at: [93.7, 34.867]", "bad_coordinate",
                 id="latitude out of range"),
    pytest.param("at: [3.717, 34.867]", "at: [3.7, 234.8]", "bad_coordinate",
                 id="longitude out of range"),
    pytest.param("at: [3.717, 34.867]", "at: [north, east]", "bad_coordinate",
                 id="not numbers"),
    pytest.param("at: [3.717, 34.867]", "at: [3.717]", "bad_coordinate", id="one number"),
    pytest.param("{name: Kakuma, also:", "{also:", "shape", id="no name"),
    pytest.param("kind: camp}", "kind: village}", "shape", id="unknown kind"),
    pytest.param("also: [Kakuma camp, Kakuma refugee camp]", "also: Kakuma camp", "shape",
                 id="aliases not a list"),
    pytest.param("    ask_name: other", "    ask_name: elsewhere", "unknown_value",
                 id="ask_name names no option"),
    pytest.param("      nakuru: Nakuru\n", "      nakuru: Nakuru\n      busia: Busia\n",
                 "duplicate_value", id="a county both listed and unlisted"),
])
def test_bad_place_data_is_an_error(old, new, code):
    """Unknown counties and sub-counties, bad coordinates and shapes are errors."""
    report = lint_script(default_script_text(), gazetteer_with(old, new))
    assert code in codes(report), [str(i) for i in report.errors]


def test_places_without_the_place_lists_are_an_error():
    """Places need the counties and sub-county lists they refer to."""
    text = gazetteer_with("  sub_counties:\n", "  areas:\n")
    report = lint_script(default_script_text().replace("options_from: sub_counties",
                                                       "options_from: areas"), text)
    assert "unknown_list" in codes(report)


def test_a_name_in_two_sub_counties_is_a_warning():
    """Two villages may share a name: allowed, but the linter says reporters are asked."""
    text = gazetteer_with("      - {name: Tarbaj,", "      - {name: Wargadud, at: [2.6, 40.2]}\n"
                          "      - {name: Tarbaj,")
    text = text.replace("      - {name: Kotulo,", "      - {name: Wargadud, at: [2.48, 40.55]}\n"
                        "      - {name: Kotulo,", 1)
    report = lint_script(default_script_text(), text)
    assert report.ok
    assert "ambiguous_place" in codes(report, "warnings")


def test_unknown_key_in_a_place_is_a_warning():
    """A misspelt key (alias: instead of also:) is pointed out."""
    report = lint_script(default_script_text(),
                         gazetteer_with("{name: Kakuma, also:", "{name: Kakuma, alias: [K], also:"))
    assert report.ok and "unknown_key" in codes(report, "warnings")


def test_ask_name_without_unlisted_names_is_a_warning():
    """Asking for a name the script cannot understand helps nobody."""
    text = gazetteer_with("    unlisted:\n", "    unlisted_off:\n")
    report = lint_script(default_script_text(), text)
    assert "shape" in codes(report, "warnings")


def test_sub_counties_are_places_by_name(script):
    """Each sub-county is a place by its name (no coordinate): "Teso North" works."""
    (found,) = places.find(script.places, "teso north")
    assert (found.county, found.sub_county, found.at) == ("busia", "teso_north", None)


# -- the engine: a typed place ---------------------------------------------------------


def test_a_typed_place_at_the_county_question_asks_one_line(play):
    """"Kakuma" at the county question: "Kakuma, Turkana West? 1 Yes 2 No"."""
    turn = play("sms", [*TO_COUNTY, "kakuma"])[-1]
    assert turn.reply == KAKUMA_CHECK
    assert turn.session.mode == "place" and turn.session.strikes == 0


def test_yes_fills_county_and_sub_county_and_skips_the_sub_county_question(play):
    """Yes (a number or a yes word) answers both place questions."""
    for yes in ("1", "yes", "ok"):
        turn = play("sms", [*TO_COUNTY, "kakuma", yes])[-1]
        assert turn.reply == WHEN
        assert turn.session.answers["county"] == "turkana"
        assert turn.session.answers["sub_county"] == "turkana_west"
        assert turn.session.history[-2:] == ["county", "sub_county"]


def test_the_report_keeps_the_place_named(play):
    """The report names the place as the gazetteer does, beside the sub-county."""
    turns = play("sms", [*TO_COUNTY, "kakuuma", "1", *AFTER_PLACE, "1"])
    assert "Area: Kakuma, Turkana West" in turns[-2].reply
    report = turns[-1].report
    assert report["place"] == "Kakuma" and "location" not in report
    assert report["fields"]["sub_county"] == "turkana_west"


@pytest.mark.parametrize("no", ["2", "no", "hapana", "0"])
def test_no_returns_to_the_question_without_a_strike(play, no):
    """No (or Back) returns to the county question; nothing is struck or kept."""
    turn = play("sms", [*TO_COUNTY, "zzzz", "kakuma", no])[-1]
    assert turn.reply == COUNTY_MENU
    assert turn.session.strikes == 1  # only the earlier "zzzz"
    assert turn.session.mode == "ask" and turn.session.pending is None
    assert "county" not in turn.session.answers


def test_a_wrong_answer_to_the_place_check_is_a_strike(play):
    """Neither yes nor no: the check is asked again after the invalid line."""
    turn = play("sms", [*TO_COUNTY, "kakuma", "7"])[-1]
    assert turn.reply == "Not a valid choice.\n" + KAKUMA_CHECK
    assert turn.session.strikes == 1 and turn.session.mode == "place"


def test_a_place_at_the_sub_county_question_fills_both(play):
    """Turkana chosen, then "Malaba": the county becomes Busia, asked in one line."""
    turns = play("sms", [*TO_COUNTY, "1", "Malaba", "1"])
    assert turns[-2].reply == "Malaba, Teso North, Busia?\n1. Yes\n2. No"
    assert turns[-1].reply == WHEN
    answers = turns[-1].session.answers
    assert (answers["county"], answers["sub_county"]) == ("busia", "teso_north")
    assert turns[-1].session.history.count("county") == 1


def test_a_sub_county_chosen_from_the_menu_names_no_place(play):
    """Back after a place, then a menu choice: the report names no place."""
    turns = play("sms", [*TO_COUNTY, "kakuma", "1", "0", "1", *AFTER_PLACE, "1"])
    assert "place" not in turns[-1].report
    assert turns[-1].report["fields"]["sub_county"] == "turkana_north"


def test_menu_answers_come_before_places(play):
    """A county's name is the county, not a town in it: "Marsabit" is the menu option."""
    turn = play("sms", [*TO_COUNTY, "Marsabit"])[-1]
    assert turn.reply.startswith("Which sub-county?")


def test_two_places_of_one_name_are_asked_about(play):
    """A name in two sub-counties: listed with numbers, the choice is taken as it is."""
    text = gazetteer_with("      - {name: Tarbaj,", "      - {name: Wargadud, at: [2.6, 40.2]}\n"
                          "      - {name: Tarbaj,")
    text = text.replace("      - {name: Kotulo,", "      - {name: Wargadud, at: [2.48, 40.55]}\n"
                        "      - {name: Kotulo,", 1)
    turns = play("sms", [*TO_COUNTY, "wargadud", "2"], using=script_with_gazetteer(text))
    assert turns[-2].reply == ("Which one did you mean?\n1. Wargadud, Mandera South\n"
                               "2. Wargadud, Tarbaj, Wajir")
    answers = turns[-1].session.answers
    assert (answers["county"], answers["sub_county"]) == ("wajir", "tarbaj")
    assert turns[-1].reply == WHEN


# -- the engine: "Other county" --------------------------------------------------------


def test_other_county_asks_for_the_name(play):
    """"Other county" asks for the county by name instead of a one-option menu."""
    turn = play("sms", [*TO_COUNTY, "6"])[-1]
    assert turn.reply == "Which county? Type its name."
    assert turn.session.mode == "name"


def test_a_county_without_sub_counties_skips_the_sub_county_question(play):
    """Nakuru (misspelt): the county is stored, the sub-county is not asked."""
    turns = play("sms", [*TO_COUNTY, "6", "nakru", *AFTER_PLACE, "1"])
    assert turns[3].reply == WHEN
    assert "Area: Nakuru\n" in turns[-2].reply
    report = turns[-1].report
    assert (report["fields"]["county"], report["fields"]["sub_county"]) == ("nakuru", None)
    assert report["place"] == "Nakuru"
    assert events(turns, "county_by_name") == [{"type": "county_by_name", "listed": False}]


def test_one_of_the_five_by_name_asks_its_sub_county(play):
    """Typing "Wajir" after "Other county" is Wajir, with its sub-county question."""
    turn = play("sms", [*TO_COUNTY, "6", "wajir"])[-1]
    assert turn.reply.startswith("Which sub-county?\n1. Wajir North")
    assert turn.session.answers["county"] == "wajir" and turn.session.mode == "ask"


def test_a_town_at_the_county_name_question_is_offered(play):
    """A town typed there is offered; No returns to the name question."""
    turns = play("sms", [*TO_COUNTY, "6", "Lodwar", "2"])
    assert turns[-2].reply == "Lodwar, Turkana Central?\n1. Yes\n2. No"
    assert turns[-1].reply == "Which county? Type its name."
    assert turns[-1].session.mode == "name"


def test_an_unknown_county_name_is_a_strike(play):
    """A name that is no county and no place: the invalid line and the question."""
    turn = play("sms", [*TO_COUNTY, "6", "Atlantis"])[-1]
    assert turn.reply == "Not a valid choice.\nWhich county? Type its name."
    assert turn.session.strikes == 1 and turn.session.mode == "name"


def test_back_from_the_county_name_question_shows_the_menu(play):
    """0 at the name question returns to the county menu."""
    turn = play("sms", [*TO_COUNTY, "6", "0"])[-1]
    assert turn.reply == COUNTY_MENU and turn.session.mode == "ask"


def test_two_counties_as_close_are_listed(play):
    """Two counties fit the name as well: both are named, no strike."""
    text = gazetteer_with("      nairobi: Nairobi\n",
                          "      nairobi: Nairobi\n      west_a: West Alpha\n"
                          "      west_b: West Beta\n")
    turn = play("sms", [*TO_COUNTY, "6", "west"], using=script_with_gazetteer(text))[-1]
    assert turn.reply == "Which one did you mean?\nWest Pokot\nWest Alpha\nWest Beta"
    assert turn.session.strikes == 0 and turn.session.mode == "name"


def test_a_script_without_unlisted_counties_keeps_the_old_other_county(play):
    """No unlisted names: "Other county" is an option like any other."""
    text = gazetteer_with("    unlisted:\n", "    unlisted_off:\n")
    turn = play("sms", [*TO_COUNTY, "6"], using=script_with_gazetteer(text))[-1]
    assert turn.reply.startswith("Which sub-county?\n1. Other/not sure")


# -- the engine: a shared location -----------------------------------------------------


def test_a_location_at_the_county_question_offers_the_nearest_place(play):
    """A WhatsApp location near Kakuma: the one-line check, then both answers."""
    turns = play("whatsapp", [*TO_COUNTY, {"location": [3.72, 34.86]}, "1"])
    assert turns[-2].reply == KAKUMA_CHECK
    assert turns[-1].reply == WHEN
    assert turns[-1].session.location == [3.72, 34.86]
    assert events(turns, "place_offered")[-1]["via"] == "location"


def test_a_location_outside_the_known_area_keeps_it_and_asks(play):
    """Far from every place: "Location received." and the question as usual, no strike."""
    turns = play("whatsapp", [*TO_COUNTY, {"location": list(NAIROBI)}, "6", "Nairobi",
                              *AFTER_PLACE, "1"])
    assert turns[2].reply == "Location received.\n" + COUNTY_MENU
    assert turns[2].session.strikes == 0
    assert turns[-1].report["location"] == [-1.2921, 36.8219]
    assert turns[-1].report["fields"]["county"] == "nairobi"


def test_a_location_is_rounded_in_the_session(play):
    """Coordinates are kept to 5 decimals (the host stores fewer)."""
    turn = play("whatsapp", [*TO_COUNTY, {"location": [3.7212345678, 34.8654321]}])[-1]
    assert turn.session.location == [3.72123, 34.86543]


def test_a_location_before_the_place_questions_answers_them_when_they_come(play):
    """Shared at the category question: confirmed, then county and sub-county are skipped."""
    turns = play("whatsapp", ["REPORT", {"location": list(KAKUMA)}, "1", "5"])
    assert turns[1].reply == KAKUMA_CHECK
    assert turns[2].reply.startswith("What is happening?")
    assert turns[2].session.preset == {"county": "turkana", "sub_county": "turkana_west"}
    assert turns[3].reply == WHEN
    assert turns[3].session.preset == {}
    assert turns[3].session.history[-2:] == ["county", "sub_county"]


def test_a_location_at_confirm_changes_the_place(play):
    """Shared at the confirm screen: the place is replaced and confirm shown again."""
    turns = play("whatsapp", [*TO_COUNTY, "1", "1", *AFTER_PLACE,
                              {"location": list(KAKUMA)}, "1", "1"])
    assert turns[-2].reply.startswith("Send this report?")
    assert "Area: Kakuma, Turkana West" in turns[-2].reply
    assert turns[-1].report["fields"]["sub_county"] == "turkana_west"
    assert turns[-1].report["location"] == list(KAKUMA)


def test_a_location_after_a_county_without_sub_counties_adds_the_sub_county(play):
    """Nakuru first, a location near Malaba later: Busia and Teso North, in order."""
    turns = play("whatsapp", [*TO_COUNTY, "6", "Nakuru", {"location": [0.633, 34.283]}, "1"])
    session = turns[-1].session
    assert (session.answers["county"], session.answers["sub_county"]) == ("busia", "teso_north")
    assert session.history[-2:] == ["county", "sub_county"]
    assert turns[-1].reply == WHEN


def test_a_location_while_offered_the_kept_text_returns_to_it(play):
    """At the keep-your-words screen a location is confirmed, then that screen is back."""
    turns = play("whatsapp", ["Gunmen at the well near the camp", "1", "5", "1", "1", "1",
                              {"location": list(KAKUMA)}, "2"])
    assert turns[-3].session.mode == "keep"
    assert turns[-1].session.mode == "keep"
    assert turns[-1].reply == turns[-3].reply


def test_a_location_while_a_place_is_offered_outside_the_area_returns_to_the_question(play):
    """An offer open, then a location far away: the question comes back."""
    turns = play("whatsapp", [*TO_COUNTY, "kakuma", {"location": list(NAIROBI)}])
    assert turns[-1].reply == "Location received.\n" + COUNTY_MENU
    assert turns[-1].session.mode == "ask" and turns[-1].session.pending is None


def test_a_location_as_the_first_message_starts_the_dialogue(play):
    """A first message that is a location: the dialogue starts, the location is kept."""
    turn = play("whatsapp", [{"location": list(KAKUMA)}])[-1]
    assert turn.reply.startswith("Mpaka\nLanguage / Lugha")
    assert turn.session.location == list(KAKUMA)


def test_resuming_keeps_the_place_and_location(script):
    """An unfinished dialogue with a place and a location resumes with both."""
    turns = play_inputs(script, "whatsapp", [*TO_COUNTY, {"location": list(KAKUMA)}, "1"])
    unfinished = turns[-1].session
    resumed = play_inputs(script, "whatsapp", ["hello", "1"], unfinished=unfinished)[-1].session
    assert resumed.place == "Kakuma" and resumed.location == list(KAKUMA)
    assert resumed.answers["sub_county"] == "turkana_west"


# -- the session -----------------------------------------------------------------------


def test_session_round_trips_the_place_state(play):
    """Pending offers, presets, the place and location survive JSON (as in Redis)."""
    session = play("whatsapp", ["REPORT", {"location": list(KAKUMA)}])[-1].session
    again = DialogueSession.from_json(session.to_json())
    assert again == session and again.pending["via"] == "location"


def test_session_with_a_malformed_preset_is_refused():
    """A preset that is not a mapping is a broken session, not a crash later."""
    data = {"script_id": "report", "script_version": "1", "channel": "sms",
            "reference": "R-1", "started_at": 0.0, "preset": ["county"]}
    with pytest.raises(SessionError):
        DialogueSession.from_dict(data)


# -- USSD ------------------------------------------------------------------------------

LONG = "Lagh " + "Bor" * 19  # a long made-up name, in two sub-counties


def two_long_places() -> str:
    text = gazetteer_with("      - {name: Tarbaj,", f"      - {{name: {LONG}, at: [2.6, 40.2]}}\n"
                          "      - {name: Tarbaj,")
    return text.replace("      - {name: Kotulo,", f"      - {{name: {LONG}, at: [2.48, 40.55]}}\n"
                        "      - {name: Kotulo,", 1)


def test_a_place_typed_on_ussd_is_offered_the_same(play):
    """USSD: "Kakuma" at the county question, the same one-line check."""
    turn = play("ussd", ["", "1", "5", "Kakuma"])[-1]
    assert turn.reply == KAKUMA_CHECK


def test_places_too_many_for_a_ussd_screen_are_not_guessed(play):
    """USSD: a list of places that would not fit one screen is an invalid answer."""
    script = script_with_gazetteer(two_long_places())
    turn = play("ussd", ["", "1", "5", LONG], using=script)[-1]
    assert turn.reply == "Not a valid choice.\n" + COUNTY_MENU
    assert turn.session.mode == "ask" and turn.session.strikes == 1
    sms = play("sms", [*TO_COUNTY, LONG], using=script)[-1]
    assert sms.reply.startswith("Which one did you mean?\n1. " + LONG)


def test_lint_measures_the_longest_place_check_on_ussd():
    """A place whose one-line check (with the error line) overflows USSD is an error."""
    text = gazetteer_with("{name: Kakuma, also:", "{name: " + "Kakuma" * 25 + ", also:")
    report = lint_script(default_script_text(), text)
    assert any(i.code == "screen_too_long" and "messages.place_check" in i.message
               for i in report.errors)
    shipped = lint_script(default_script_text(), gazetteer_text())
    assert any(screen["step"] == "messages.place_check" and screen["fits_ussd"]
               for screen in shipped.screens)


# -- more branches (pinned for mutation testing) ---------------------------------------


def test_a_place_named_like_its_sub_county_names_the_county_instead(play):
    """"Banissa" is a town and its sub-county: "Banissa, Mandera?"."""
    assert play("sms", [*TO_COUNTY, "banissa"])[-1].reply == "Banissa, Mandera?\n1. Yes\n2. No"


def test_a_sub_county_typed_at_the_county_question_is_offered(play):
    """"Turkana West" typed: the sub-county already names its county."""
    assert play("sms", [*TO_COUNTY, "turkana west"])[-1].reply == "Turkana West?\n1. Yes\n2. No"


def test_a_cross_border_side_is_named_in_the_reporters_language(play):
    """Kiswahili: "Je, ni Narus, Upande wa Sudan Kusini, Turkana?"."""
    turn = play("sms", ["RIPOTI", "5", "Narus"])[-1]
    assert turn.reply == "Je, ni Narus, Upande wa Sudan Kusini, Turkana?\n1. Ndiyo\n2. Hapana"


def test_place_texts_have_defaults_when_a_script_leaves_them_out(play):
    """Without place_check, place_yes, place_no and county_name the screens still read."""
    text = default_script_text()
    for line in ('  place_check: "{place}?"\n', '  place_yes: "Yes"\n', '  place_no: "No"\n',
                 "  county_name: Which county? Type its name.\n"):
        assert line in text
        text = text.replace(line, "", 1)
    script = load_script(text, gazetteer_text())
    assert play("sms", [*TO_COUNTY, "kakuma"], using=script)[-1].reply == KAKUMA_CHECK
    assert play("sms", [*TO_COUNTY, "6"], using=script)[-1].reply == "Which county?"


def test_a_new_offer_while_one_is_open_returns_to_the_first_question(play):
    """"Kakuma" offered, then a location near Malaba: No returns to the county menu."""
    turns = play("whatsapp", [*TO_COUNTY, "kakuma", {"location": [0.633, 34.283]}, "2"])
    assert turns[-2].reply == "Malaba, Teso North, Busia?\n1. Yes\n2. No"
    assert turns[-1].reply == COUNTY_MENU


def test_a_location_while_a_resume_is_offered_is_kept(script):
    """A location answering the resume offer is kept (the offer is asked again)."""
    unfinished = play_inputs(script, "whatsapp", TO_COUNTY)[-1].session
    turns = play_inputs(script, "whatsapp", ["hello", {"location": list(NAIROBI)}, "1"],
                        unfinished=unfinished)
    assert turns[1].reply.startswith("Not a valid choice.\nYou did not finish last time.")
    assert turns[-1].session.location == [-1.2921, 36.8219]
    assert turns[-1].reply == COUNTY_MENU


def test_resuming_keeps_a_place_not_yet_asked_about(script):
    """A location accepted before the place questions survives a resume: they are skipped."""
    unfinished = play_inputs(script, "whatsapp",
                             ["REPORT", {"location": list(KAKUMA)}, "1"])[-1].session
    turns = play_inputs(script, "whatsapp", ["hello", "1", "5"], unfinished=unfinished)
    assert turns[-1].reply == WHEN
    assert turns[-1].session.answers["sub_county"] == "turkana_west"


def test_a_location_sent_when_resuming_wins_over_the_older_one(script):
    """The newest location is the one kept."""
    unfinished = play_inputs(script, "whatsapp",
                             [*TO_COUNTY, {"location": list(KAKUMA)}])[-1].session
    turns = play_inputs(script, "whatsapp", [{"location": list(NAIROBI)}, "1"],
                        unfinished=unfinished)
    assert turns[-1].session.location == [-1.2921, 36.8219]


def test_a_stored_name_question_that_no_longer_fits_is_a_menu_answer(script):
    """A session in the county-name mode at another step is read as a menu answer."""
    session = play_inputs(script, "sms", [*TO_COUNTY, "1", "1"])[-1].session
    session.mode = "name"
    turn = advance(script, session, "1", 0.0)
    assert turn.session.answers["when"] == "now" and turn.session.mode == "ask"


def test_events_of_a_place_offered_declined_and_accepted(play):
    """The events say what happened, for the funnel and metrics."""
    turns = play("sms", [*TO_COUNTY, "kakuma", "2", "lodwar", "1"])
    kinds = {"place_offered", "place_declined", "place"}
    assert [e for t in turns for e in t.events if e["type"] in kinds] == [
        {"type": "place_offered", "via": "name", "count": 1},
        {"type": "place_declined"},
        {"type": "place_offered", "via": "name", "count": 1},
        {"type": "place", "sub_county": "turkana_central"},
    ]


def test_events_of_a_location_near_and_far(play):
    """A far location is a "location" event; a near one an offer via location."""
    turns = play("whatsapp", [*TO_COUNTY, {"location": list(NAIROBI)}, {"location": list(KAKUMA)}])
    assert turns[2].events == [{"type": "location", "near": False}]
    assert turns[3].events == [{"type": "place_offered", "via": "location", "count": 1}]


def test_events_of_counties_too_close_to_choose(play):
    """Two counties as close: an "ambiguous" event naming both."""
    text = gazetteer_with("      nairobi: Nairobi\n",
                          "      nairobi: Nairobi\n      west_a: West Alpha\n")
    turn = play("sms", [*TO_COUNTY, "6", "west"], using=script_with_gazetteer(text))[-1]
    assert turn.events == [{"type": "ambiguous", "step": "county",
                            "candidates": ["west_pokot", "west_a"]}]


def test_events_of_menu_options_too_close_to_choose(play):
    """"Turk" at the sub-county question fits five options: an "ambiguous" event."""
    turn = play("sms", [*TO_COUNTY, "1", "Turk"])[-1]
    assert turn.events == [{"type": "ambiguous", "step": "sub_county", "candidates": [
        "turkana_north", "turkana_west", "turkana_central", "turkana_south", "turkana_east"]}]


def test_place_screens_in_kiswahili(play):
    """Re-prompts, the county name question and lists are in the reporter's language."""
    swa = ["RIPOTI", "5"]
    turn = play("sms", [*swa, "kakuma", "7"])[-1]
    assert turn.reply == ("Chaguo si sahihi.\nJe, ni Kakuma, Turkana West?\n1. Ndiyo\n"
                          "2. Hapana")
    turn = play("sms", [*swa, "6", "Atlantis"])[-1]
    assert turn.reply == "Chaguo si sahihi.\nKaunti gani? Andika jina lake."
    text = gazetteer_with("      nairobi: Nairobi\n",
                          "      nairobi: Nairobi\n      west_a: West Alpha\n")
    turn = play("sms", [*swa, "6", "west"], using=script_with_gazetteer(text))[-1]
    assert turn.reply == "Ulimaanisha ipi?\nWest Pokot\nWest Alpha"
    turn = play("whatsapp", [*swa, {"location": list(NAIROBI)}])[-1]
    assert turn.reply.startswith("Mahali pamepokelewa.\nKaunti gani?\n1. Turkana")


def test_the_county_name_question_falls_back_to_the_steps_prompt(play):
    """Without a county_name text, the county step's own prompt, in the language."""
    text = default_script_text()
    for line in ("  county_name: Which county? Type its name.\n",
                 "      county_name: Kaunti gani? Andika jina lake.\n"):
        text = text.replace(line, "", 1)
    script = load_script(text, gazetteer_text())
    assert play("sms", ["RIPOTI", "5", "6"], using=script)[-1].reply == "Kaunti gani?"


def test_too_many_places_for_ussd_in_kiswahili(play):
    """USSD, Kiswahili: the invalid line and the county question, in Kiswahili."""
    turn = play("ussd", ["", "2", "4", LONG], using=script_with_gazetteer(two_long_places()))[-1]
    assert turn.reply.startswith("Chaguo si sahihi.\nKaunti gani?\n1. Turkana")


def test_a_yes_label_that_is_no_keyword_is_understood(play):
    """The place check's own labels are answers too, not only numbers and yes words."""
    text = default_script_text().replace('  place_yes: "Yes"\n', "  place_yes: Right\n", 1)
    script = load_script(text, gazetteer_text())
    turns = play("sms", [*TO_COUNTY, "kakuma", "right"], using=script)
    assert turns[-2].reply == "Kakuma, Turkana West?\n1. Right\n2. No"
    assert turns[-1].reply == WHEN
    text = default_script_text().replace('  place_no: "No"\n', "  place_no: Wrong\n", 1)
    script = load_script(text, gazetteer_text())
    assert play("sms", [*TO_COUNTY, "kakuma", "wrong"], using=script)[-1].reply == COUNTY_MENU


def test_yes_at_the_kept_text_screen_returns_to_it(play):
    """A location confirmed while the kept text is offered: the offer is back (mode keep)."""
    turns = play("whatsapp", ["Gunmen at the well near the camp", "1", "5", "1", "1", "1",
                              {"location": list(KAKUMA)}, "1"])
    assert turns[-1].session.mode == "keep" and turns[-1].reply == turns[-3].reply
    assert turns[-1].session.answers["sub_county"] == "turkana_west"


def test_a_replaced_offer_leaves_the_question_as_it_was(play):
    """A second offer over the first returns to the question's own mode."""
    turn = play("whatsapp", [*TO_COUNTY, "kakuma", {"location": [0.633, 34.283]}, "2"])[-1]
    assert turn.session.mode == "ask"


def test_a_sub_county_added_later_goes_right_after_its_county(play):
    """Nakuru, then "when", then a location near Malaba: history reads county, sub-county, when."""
    turns = play("whatsapp", [*TO_COUNTY, "6", "Nakuru", "1", {"location": [0.633, 34.283]}, "1"])
    history = turns[-1].session.history
    assert history[history.index("county"):] == ["county", "sub_county", "when"]


def test_a_script_that_asks_no_sub_county_offers_no_place_for_a_location(play):
    """Without a county/sub-county pair of steps, a location is only kept."""
    text = default_script_text().replace("    filter_by: county\n", "", 1)
    script = load_script(text, gazetteer_text())
    turn = play("whatsapp", [*TO_COUNTY, {"location": list(KAKUMA)}], using=script)[-1]
    assert turn.reply == "Location received.\n" + COUNTY_MENU


def test_a_4096_character_message_is_read_in_linear_time(script):
    """A body of 2,048 words (Twilio's longest) makes runs only as long as the
    longest place name: at most words x that length (all runs once took 44 s and
    3 GB), and a place inside it is still found."""
    from gateway.dialogue import places

    words = [f"w{i:04d}" for i in range(2048)]
    assert len(places.word_runs(" ".join(words), 4)) <= 2048 * 4
    text = "REPORT " + " ".join(words) + " near Kakuma"
    assert [p.name for p in places.find(script.places, text, spelling=False)] == ["Kakuma"]


SCRIPT_PLACES = """
places:
  turkana:
    turkana_west:
      - {name: Nakitoe Borehole, also: [Nakitoe], at: [4.0123, 34.9876], kind: water}
"""


def test_a_script_adds_places_to_the_gazetteer():
    """Admins add places in the script editor: a `places:` block in the script, in
    the gazetteer's format, is known beside the shipped ones."""
    from gateway.dialogue import places

    script = load_script(default_script_text() + SCRIPT_PLACES, gazetteer_text())
    [found] = places.find(script.places, "nakitoe")
    assert (found.name, found.sub_county) == ("Nakitoe Borehole", "turkana_west")
    assert places.find(script.places, "Kakuma")  # the shipped places stay


def test_a_script_place_in_an_unknown_sub_county_is_an_error_at_its_line():
    """A script's place naming a sub-county the county does not have: an error
    pointing into the script, not the gazetteer."""
    text = default_script_text() + SCRIPT_PLACES.replace("turkana_west", "nowhere")
    report = lint_script(text, gazetteer_text())
    [error] = [e for e in report.errors if e.code == "unknown_value"]
    assert error.source == "script" and error.line is not None
