"""A script's own `lists:` block adds counties and sub-counties to the gazetteer's
(what `mpaka counties enable` writes)."""

from __future__ import annotations

from gateway.defaults import default_script_text, gazetteer_text
from gateway.dialogue import lint_script, load_script

EXTRA = """
lists:
  counties:
    names: {garissa: Garissa}
  sub_counties:
    names: {dadaab: Dadaab, fafi: Fafi}
    groups:
      garissa: [dadaab, fafi]
"""


def test_script_lists_list_a_county_that_was_unlisted():
    """Garissa moves from the typed-only names to the menu, with its sub-counties."""
    script = load_script(default_script_text() + EXTRA, gazetteer_text=gazetteer_text())
    counties = script.lists["counties"]
    assert counties.names["garissa"] == "Garissa" and "garissa" not in counties.unlisted
    assert script.lists["sub_counties"].values("garissa") == ["dadaab", "fafi", "unknown"]


def test_a_group_naming_an_unknown_sub_county_is_an_error():
    """A group may only name sub-counties the lists know."""
    body = default_script_text() + EXTRA.replace("[dadaab, fafi]", "[dadaab, atlantis]")
    report = lint_script(body, gazetteer_text=gazetteer_text())
    assert any(i.code == "unknown_value" and "atlantis" in i.message for i in report.errors)


def test_an_unknown_list_is_an_error():
    """Only the gazetteer's lists can be added to."""
    body = default_script_text() + "\nlists:\n  wards:\n    names: {x: X}\n"
    report = lint_script(body, gazetteer_text=gazetteer_text())
    assert any("wards" in i.message for i in report.errors)
