"""Texts sent outside the dialogue (alerts, team command replies, the reporter's
acknowledgement), from the translation table ``gateway/defaults/messages.yaml``,
and the alert's composition within two GSM-7 SMS segments."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

import yaml

from gateway.dialogue import gsm
from handlers.phones import mask_phone

ALERT_SEGMENTS = 2
#: Two concatenated GSM-7 segments carry 2 x 153 septets.

#: What a text says where it once named a number that was then erased.
ERASED = "(erased)"


def contact_placeholder(phone: str) -> str:
    """How a reporter's number stands in every stored text (alerts, the ledger):
    masked, in GSM-7, and never shorter than the number, so a text that fits
    two segments with it still fits once the sender puts the number in."""
    return mask_phone(phone).replace("•", "x")


def with_contact(text: str, phone: str | None) -> str:
    """The text to hand to the provider: the placeholder replaced by the number,
    in memory only, at send time."""
    if not phone:
        return text
    return text.replace(contact_placeholder(phone), phone)


#: Any masked number as ``contact_placeholder`` writes it.
_PLACEHOLDER = re.compile(r"\+\d{1,3} [\dx ]*x[\dx ]*\d{3}")
HIDDEN = "(hidden)"


def hide_contacts(text: str | None) -> str | None:
    """A stored text as an officer may read it: not even the masked number."""
    return _PLACEHOLDER.sub(HIDDEN, text) if text else text


def without_contact(text: str | None, phone: str) -> str | None:
    """The stored text with the number's placeholder erased (``forget``)."""
    if text is None:
        return None
    return text.replace(contact_placeholder(phone), ERASED)


@cache
def table() -> dict:
    text = resources.files("gateway.defaults").joinpath("messages.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def chain(language: str | None) -> list[str]:
    language = language or "eng"
    return list(dict.fromkeys([language, *table()["fallback"].get(language, []), "eng"]))


def text(key: str, language: str | None = None, **values) -> str:
    """The text ``key`` in ``language`` (with fallbacks), placeholders filled."""
    for code in chain(language):
        node = table().get(code, {})
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str):
            return node.format(**values) if values else node
    raise KeyError(f"no text {key!r} in messages.yaml")


def to_gsm7(value: str) -> str:
    """Free text made safe for a GSM-7 alert: typographic punctuation to ASCII,
    accents stripped, anything else that would flip the SMS to UCS-2 dropped."""
    value = gsm.normalise_punctuation(unicodedata.normalize("NFC", value))
    out = []
    for ch in value:
        if gsm.is_gsm7(ch):
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)
        stripped = "".join(c for c in base if gsm.is_gsm7(c) and not unicodedata.combining(c))
        out.append(stripped)
    return " ".join("".join(out).split())


def fit(template: str, description: str) -> str:
    """Fill ``{description}`` with as much of it as fits two segments."""
    description = to_gsm7(description)
    full = template.replace("{description}", description)
    if gsm.sms_segments(full) <= ALERT_SEGMENTS and gsm.is_gsm7(full):
        return full
    low, high = 0, len(description)
    while low < high:  # longest prefix that still fits
        mid = (low + high + 1) // 2
        candidate = template.replace("{description}", description[:mid].rstrip() + "...")
        if gsm.sms_segments(candidate) <= ALERT_SEGMENTS:
            low = mid
        else:
            high = mid - 1
    return template.replace("{description}", description[:low].rstrip() + "...")
