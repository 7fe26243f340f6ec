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


def looks_like_reference(text: str) -> str | None:
    """The reference ``text`` names, if it is one as people type it (``R-4KX7QP``,
    ``r 4kx7qp``, ``R4KX7QP``), else None: an ``R``, a dash or space (or, without
    one, at least one digit, so that a word such as "rampage" stays a word) and
    six characters of the alphabet.  Search uses it for an exact, indexed lookup."""
    cleaned = text.strip().upper()
    if not cleaned.startswith("R"):
        return None
    rest = cleaned[1:]
    separated = rest[:1] in ("-", " ")
    body = rest.strip(" -") if separated else rest
    if len(body) != REFERENCE_LENGTH or any(ch not in REFERENCE_ALPHABET for ch in body):
        return None
    if not separated and not any(ch.isdigit() for ch in body):
        return None
    return f"R-{body}"
