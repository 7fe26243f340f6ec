"""Reading and checking posted admin forms.  Each checker returns the clean
values and a dict of plain sentences keyed by field, shown beside the field."""

from __future__ import annotations

from urllib.parse import urlsplit

from gateway.errors import InvalidPhone
from gateway.store.queries import SEVERITIES
from gateway.vocab import MEMBER_CHANNELS, Tier
from gateway.web.context import vocabulary
from handlers.phones import normalise_phone
from handlers.webhook import url_problem

TIERS = tuple(Tier)
CHANNELS = MEMBER_CHANNELS


def flag(form, name) -> bool:
    return form.get(name) in ("1", "on", "yes", "true")


def team(form) -> tuple[dict, dict]:
    errors = {}
    values = {
        "name": form.get("name", "").strip(),
        "tier": form.get("tier", "county"),
        "counties": sorted(set(form.getlist("counties"))),
        "language": form.get("language", "eng").strip() or "eng",
        "sees_contacts": flag(form, "sees_contacts"),
        "active": flag(form, "active"),
    }
    if not values["name"] or len(values["name"]) > 128:
        errors["name"] = "Give the team a name (up to 128 characters)."
    if values["tier"] not in TIERS:
        errors["tier"] = f"Choose a tier: {', '.join(TIERS)}."
    if any(c not in list(vocabulary().counties) for c in values["counties"]):
        errors["counties"] = "Choose counties from the list."
    if values["tier"] != "national" and not values["counties"]:
        errors["counties"] = "A county or regional team covers at least one county."
    if not values["language"].isalpha() or len(values["language"]) > 8:
        errors["language"] = "A language code is a few letters, such as eng or swa."
    return values, errors


def member(form) -> tuple[dict, dict]:
    errors = {}
    values = {
        "name": form.get("name", "").strip(),
        "channel": form.get("channel", "sms"),
        "active": flag(form, "active"),
    }
    if not values["name"] or len(values["name"]) > 128:
        errors["name"] = "Give the member's name (up to 128 characters)."
    try:
        values["phone"] = normalise_phone(form.get("phone", ""), strict=True)
    except InvalidPhone as exc:
        errors["phone"] = (f"{str(exc).capitalize()}. Write it in international form, "
                           "such as +254712345678.")
    if values["channel"] not in CHANNELS:
        errors["channel"] = "Choose SMS or WhatsApp."
    return values, errors


#: What an agency endpoint receives: value -> label.
ENDPOINT_FORMATS = {"json": "Signed JSON", "cap": "CAP 1.2 XML (signed)"}


def endpoint(form, checks: dict, partner_ids: set[int] | frozenset[int] = frozenset()) -> tuple[dict, dict]:
    """``checks``: how strictly the URL is checked (``outbox.agency_url_checks``);
    ``partner_ids``: the partners an endpoint may belong to (its payloads are
    then redacted to the partner's sharing level)."""
    errors = {}
    partner = form.get("partner_id", "").strip()
    values = {
        "name": form.get("name", "").strip(),
        "url": form.get("url", "").strip(),
        "secret": form.get("secret", "").strip(),
        "active": flag(form, "active"),
        "partner_id": int(partner) if partner.isdigit() and int(partner) in partner_ids else None,
        "format": form.get("format", "json"),
    }
    if partner and values["partner_id"] is None:
        errors["partner_id"] = "Choose a partner from the list (or none)."
    if not values["name"] or len(values["name"]) > 128:
        errors["name"] = "Give the endpoint a name (up to 128 characters)."
    if values["format"] not in ENDPOINT_FORMATS:
        errors["format"] = "Choose JSON or CAP 1.2 XML."
    parts = urlsplit(values["url"])
    if parts.scheme not in ("https", "http") or not parts.netloc or len(values["url"]) > 512:
        errors["url"] = "The address must be a full URL starting with https://."
    else:
        problem = url_problem(values["url"], **checks)
        if problem:
            errors["url"] = problem[0].upper() + problem[1:] + "."
    if values["secret"] and len(values["secret"]) < 16:
        errors["secret"] = "A secret has at least 16 characters (leave it empty to keep it)."
    return values, errors


def rule(form, team_ids: set[int]) -> tuple[dict, dict]:
    errors = {}
    values = {
        "county": form.get("county", "") or None,
        "categories": sorted(set(form.getlist("categories"))),
        "min_severity": form.get("min_severity", "low"),
        "active": flag(form, "active"),
    }
    if values["county"] is not None and values["county"] not in list(vocabulary().counties):
        errors["county"] = "Choose a county from the list, or any county."
    if any(c not in list(vocabulary().categories) for c in values["categories"]):
        errors["categories"] = "Choose categories from the list."
    if values["min_severity"] not in SEVERITIES:
        errors["min_severity"] = "Choose a severity: high, medium or low."
    try:
        values["team_id"] = int(form.get("team_id", ""))
    except ValueError:
        values["team_id"] = None
    if values["team_id"] not in team_ids:
        errors["team_id"] = "Choose an existing, active team."
    return values, errors
