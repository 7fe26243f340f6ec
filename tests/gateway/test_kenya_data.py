"""Kenya's counties and constituencies as shipped data (gateway/defaults/kenya.yaml)."""

from __future__ import annotations

import pytest
import yaml

from gateway.defaults import gazetteer_text
from gateway.defaults.kenya import counties, county_code, sub_county_code


def test_forty_seven_counties() -> None:
    """The data lists Kenya's 47 counties with codes 001 to 047."""
    assert [c.code for c in counties()] == [f"{n:03d}" for n in range(1, 48)]


def test_two_hundred_and_ninety_constituencies() -> None:
    """The counties hold 290 constituencies coded 001 to 290, each once."""
    codes = sorted(s.code for c in counties() for s in c.sub_counties)
    assert codes == [f"{n:03d}" for n in range(1, 291)]


@pytest.mark.parametrize(
    ("county_id", "code"),
    [("mandera", "009"), ("wajir", "008"), ("marsabit", "010"), ("turkana", "023"), ("busia", "040")],
)
def test_border_county_codes(county_id: str, code: str) -> None:
    """The five border counties carry their KNBS/IEBC codes."""
    assert county_code(county_id) == code


def test_sub_county_code_within_its_county() -> None:
    """A constituency's code is found under its own county only."""
    assert sub_county_code("turkana", "turkana_west") == "124"
    assert sub_county_code("wajir", "turkana_west") is None


@pytest.mark.parametrize("county_id", ["other", None, "atlantis"])
def test_no_code_for_other_county(county_id: str | None) -> None:
    """"Other county", no county and unknown ids have no county code."""
    assert county_code(county_id) is None


@pytest.mark.parametrize("sub_county_id", ["uganda", "unknown", None, "atlantis"])
def test_no_code_for_cross_border_sides(sub_county_id: str | None) -> None:
    """Cross-border sides, "Other/not sure" and unknown ids have no sub-county code."""
    assert sub_county_code("turkana", sub_county_id) is None


def test_every_constituency_has_wards() -> None:
    """Each constituency lists its county assembly wards (1,448 in all)."""
    assert all(s.wards for c in counties() for s in c.sub_counties)
    assert sum(len(s.wards) for c in counties() for s in c.sub_counties) == 1448


def test_script_ids_are_the_data_ids() -> None:
    """Every county and sub-county id in the shipped gazetteer has a code in the data."""
    lists = yaml.safe_load(gazetteer_text())["lists"]
    script_counties = set(lists["counties"]["names"]) | set(lists["counties"]["unlisted"])
    assert script_counties == {c.id for c in counties()}
    for county_id, subs in lists["sub_counties"]["groups"].items():
        for sub_id in subs:
            if sub_id in lists["sub_counties"]["names"]:
                assert sub_county_code(county_id, sub_id) is not None, sub_id
