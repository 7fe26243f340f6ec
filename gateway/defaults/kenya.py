"""Kenya's county codes (KNBS/IEBC), as package data.

Minimal until the counties branch lands: only the five border counties the
shipped script serves; sub-county codes are not known yet.  The full 47
counties with their sub-counties replace this module at merge; the two
functions keep their names and signatures.
"""

from __future__ import annotations

_COUNTIES = {"mandera": "009", "wajir": "008", "marsabit": "010", "turkana": "023",
             "busia": "040"}


def county_code(county_id: str | None) -> str | None:
    """The three-digit code of a county id (``turkana`` → ``023``), or ``None``."""
    return _COUNTIES.get(county_id or "")


def sub_county_code(county_id: str | None, sub_county_id: str | None) -> str | None:
    """The code of a sub-county, or ``None`` when unknown."""
    return None
