"""Report references: ``R-`` and six characters a reporter can read aloud and
type on a keypad, and the lenient reading of what people type back."""

from __future__ import annotations

import secrets
from collections.abc import Callable

#: No 0/O or 1/I: a reference is read aloud and typed on a keypad.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6


def new_reference(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    body = "".join(REFERENCE_ALPHABET[randbelow(32)] for _ in range(REFERENCE_LENGTH))
    return f"R-{body}"


def normalise_reference(text: str) -> str:
    """Accept what people type: lower case, spaces, a missing or extra dash."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    if cleaned.startswith("R") and len(cleaned) == REFERENCE_LENGTH + 1:
        cleaned = cleaned[1:]
    return f"R-{cleaned}"
