"""Kenya's 47 counties, 290 constituencies (sub-counties) and wards, with codes.

Pure data access over the package data `kenya.yaml` (built by
`bin/build-kenya-data`; its header names the source and licence).  Ids are
the slugs the dialogue script uses (`turkana`, `turkana_west`); codes are
the KNBS/IEBC county codes (`023`) and IEBC constituency codes (`124`).
Read once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Ward:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class SubCounty:
    """A constituency: what the script calls a sub-county."""

    id: str
    code: str
    name: str
    county_id: str
    wards: tuple[Ward, ...]


@dataclass(frozen=True, slots=True)
class County:
    id: str
    code: str
    name: str
    sub_counties: tuple[SubCounty, ...]

    def sub_county(self, sub_county_id: str) -> SubCounty | None:
        return next((s for s in self.sub_counties if s.id == sub_county_id), None)


@cache
def _load() -> dict[str, County]:
    text = resources.files(__package__).joinpath("kenya.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    result: dict[str, County] = {}
    for county_id, county in data["counties"].items():
        subs = tuple(
            SubCounty(
                id=sub_id,
                code=str(sub["code"]),
                name=str(sub["name"]),
                county_id=county_id,
                wards=tuple(Ward(str(w["code"]), str(w["name"])) for w in sub.get("wards") or ()),
            )
            for sub_id, sub in county["sub_counties"].items()
        )
        result[county_id] = County(county_id, str(county["code"]), str(county["name"]), subs)
    return result


@cache
def _sub_counties() -> dict[str, SubCounty]:
    return {s.id: s for c in _load().values() for s in c.sub_counties}


def counties() -> tuple[County, ...]:
    """All 47 counties, in code order (001 Mombasa .. 047 Nairobi)."""
    return tuple(sorted(_load().values(), key=lambda c: c.code))


def county(county_id: str | None) -> County | None:
    return _load().get(county_id) if county_id else None


def county_code(county_id: str | None) -> str | None:
    """`"009"` for `mandera`; None for an unknown id (or "other", or None)."""
    found = county(county_id)
    return found.code if found else None


def sub_county(county_id: str | None, sub_county_id: str | None) -> SubCounty | None:
    """The constituency `sub_county_id` of `county_id`; None unless it is in that county
    (a cross-border side such as `uganda`, or "unknown", has no code)."""
    if not county_id or not sub_county_id:
        return None
    found = _sub_counties().get(sub_county_id)
    return found if found is not None and found.county_id == county_id else None


def sub_county_code(county_id: str | None, sub_county_id: str | None) -> str | None:
    """`"124"` for (`turkana`, `turkana_west`); None when unknown or not in that county."""
    found = sub_county(county_id, sub_county_id)
    return found.code if found else None
