"""GSM 03.38 facts: which characters an SMS or USSD screen can carry cheaply.

One character outside the GSM-7 default alphabet switches the whole message to
UCS-2, which holds 70 characters per segment instead of 160: a curly quote can
triple what a reporter pays.  The routing code reuses these helpers.
"""

from __future__ import annotations

# The default alphabet (3GPP TS 23.038, 6.2.1), without ESC (0x1B) which only
# introduces the extension table.
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (ESC + the character).
EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153  # septets per segment
UCS2_SINGLE, UCS2_MULTI = 70, 67  # UTF-16 code units per segment

# Typographic punctuation that phones and word processors slip in; each has a
# plain equivalent in the default alphabet.
_PUNCTUATION = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "",
}
_TABLE = str.maketrans(_PUNCTUATION)


def is_gsm7(text: str) -> bool:
    """True when every character fits the GSM-7 default alphabet or its extension."""
    return all(c in BASIC or c in EXTENSION for c in text)


def non_gsm7(text: str) -> list[tuple[int, str]]:
    """(index, character) of every character that would force UCS-2."""
    return [(i, c) for i, c in enumerate(text) if c not in BASIC and c not in EXTENSION]


def septets(text: str) -> int:
    """GSM-7 length: extension characters count twice.  Only meaningful when is_gsm7."""
    return sum(2 if c in EXTENSION else 1 for c in text)


def _utf16_units(text: str) -> list[int]:
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def _split(sizes: list[int], single: int, multi: int) -> int:
    # A character never straddles two segments (an ESC pair or a surrogate pair
    # stays whole), so fill greedily rather than dividing.
    if sum(sizes) <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` costs (an empty message still costs one)."""
    if is_gsm7(text):
        return _split([2 if c in EXTENSION else 1 for c in text], GSM7_SINGLE, GSM7_MULTI)
    return _split(_utf16_units(text), UCS2_SINGLE, UCS2_MULTI)


def screen_cost(text: str) -> int:
    """Length of a USSD screen in GSM-7 septets.  A non-GSM-7 character makes the
    screen UCS-2, which halves the budget: count each UTF-16 unit twice."""
    if is_gsm7(text):
        return septets(text)
    return 2 * sum(_utf16_units(text))


def normalise_punctuation(text: str) -> str:
    """Replace curly quotes, dashes, ellipses and odd spaces with ASCII equivalents."""
    return text.translate(_TABLE)
