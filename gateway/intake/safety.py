"""Abuse resistance in front of the dialogue: text normalisation and loop
protection (rate limits per sender are ``gateway.core.ratelimit``'s, keyed by
the phone's hash, never the number).

Limits never discard a report: a sender over the report limit still has the
report stored, marked low priority for review and not alerted.
"""

from __future__ import annotations

import hashlib
import unicodedata

from gateway.core import keys


def normalise_text(text: str | None) -> str:
    """Unicode NFC, control characters removed (line breaks become spaces)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        if ch in "\r\n\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def is_loop(redis, phone_hash: str, text: str, step: str, *, window: int) -> bool:
    """True when the same text already answered the same question within
    ``window`` seconds: a looping phone or an auto-responder.

    Keyed on the question as well as the text, so a reporter who answers
    "1" to several menus in a row is never taken for a loop, while a phone
    that repeats itself at one question gets silence after the first answer.
    """
    digest = hashlib.sha256(text.strip().lower().encode()).hexdigest()[:16]
    key = keys.loop_guard(phone_hash, digest)
    previous = redis.set(key, step, ex=window, get=True)
    return previous is not None and previous.decode() == step
