"""Places by the names people use, and by a shared location.

A typed name ("Kakuma", "kakuuma", "El-Wak") is compared, case- and
accent-insensitively, with every place's name and aliases in the gazetteer:
an exact name first, then a word run of the message that is exactly a name
("near Kakuma camp"), then a close spelling (rapidfuzz's ratio, the same
threshold as menu answers).  Between places of different sub-counties that
fit equally well it never guesses: the caller asks.  A shared location picks
the nearest place with a coordinate within ``NEAR_KM`` (great-circle
distance).  Pure: no I/O, like the rest of the engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache

from rapidfuzz import fuzz

from .matching import CLOSE, MIN_PREFIX, TIE, match, normalise, numbered
from .script import Place

#: A shared location names the nearest place no farther than this (km): about
#: the reach of a town's grazing and water points, and well within a sub-county.
NEAR_KM = 25.0
EARTH_RADIUS_KM = 6371.0088


def find(places: Iterable[Place], text: str, *, spelling: bool = True) -> tuple[Place, ...]:
    """The places ``text`` names: one, several of different sub-counties that
    fit equally well (ask which), or none.  ``spelling=False``: names as
    written only, no close spellings (for places inside a longer message)."""
    wanted = normalise(text)
    if not wanted or numbered(text):
        return ()
    pool = list(places)
    names = [_names(p) for p in pool]
    exact = [p for p, known in zip(pool, names, strict=True) if wanted in known]
    if exact:
        return _distinct(exact)
    # Runs of words no longer than the longest name: linear in the message's
    # length (a 4,096-character body must not cost more than a short one).
    longest = max((len(name.split()) for known in names for name in known), default=1)
    runs = word_runs(wanted, longest)
    named = [p for p, known in zip(pool, names, strict=True) if runs & known]
    if named:
        return _distinct(named)
    if not spelling or len(wanted.replace(" ", "")) < MIN_PREFIX:
        return ()
    scored = sorted(((_score(p, wanted), i, p) for i, p in enumerate(pool)),
                    key=lambda item: (-item[0], item[1]))
    if not scored or scored[0][0] < CLOSE:
        return ()
    best = scored[0][0]
    return _distinct([p for score, _i, p in scored if best - score <= TIE])


def word_runs(text: str, longest: int) -> set[str]:
    """Runs of 1..``longest`` consecutive words of ``text`` with 4+ letters."""
    words = text.split()
    runs = {" ".join(words[i:j]) for i in range(len(words))
            for j in range(i + 1, min(i + longest, len(words)) + 1)}
    return {run for run in runs if len(run.replace(" ", "")) >= MIN_PREFIX}


@cache
def _names(place: Place) -> frozenset[str]:
    """A place's names, normalised once per place (not once per message)."""
    return frozenset(normalise(name) for name in (place.name, *place.aliases))


def _score(place: Place, wanted: str) -> float:
    bare = wanted.replace(" ", "")
    return max(max(fuzz.ratio(wanted, name), fuzz.ratio(bare, name.replace(" ", "")))
               for name in _names(place))


def _distinct(places: Sequence[Place]) -> tuple[Place, ...]:
    """One place per (county, sub-county), the first (best) of each: two names
    in one sub-county are no reason to ask."""
    seen: dict[tuple[str, str], Place] = {}
    for place in places:
        seen.setdefault((place.county, place.sub_county), place)
    return tuple(seen.values())


def county(options: Sequence[tuple[str, str]], text: str) -> tuple[str, ...]:
    """The county values a typed name fits (``options``: every county as
    (value, name)): one, several to ask about, or none.  Numbers are not names."""
    if numbered(text):
        return ()
    found = match(options, text)
    if found.value is not None:
        return (found.value,)
    return found.candidates


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def nearest(places: Iterable[Place], at: tuple[float, float],
            within_km: float = NEAR_KM) -> Place | None:
    """The place with a coordinate nearest ``at``, if within ``within_km``."""
    best: tuple[float, Place] | None = None
    for place in places:
        if place.at is None:
            continue
        km = distance_km(at, place.at)
        if km <= within_km and (best is None or km < best[0]):
            best = (km, place)
    return best[1] if best else None
