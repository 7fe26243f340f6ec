"""Abuse resistance in front of the dialogue: text normalisation, sliding-window
rate limits per sender (keyed hash, never the number) and loop protection.

Limits never discard a report: a sender over the report limit still has the
report stored, marked low priority for review and not alerted.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid

from gateway.core import keys

INBOUND = "inbound"
REPORTS = "reports"


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


def hit(redis, kind: str, phone_hash: str, *, limit: int, window: int, now: float) -> bool:
    """Record one event; True while the sender is within ``limit`` per ``window`` seconds.

    A sorted set of timestamps is a true sliding window: no burst at a
    window boundary doubles the limit.
    """
    key = keys.rate(kind, phone_hash)
    member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
    pipe = redis.pipeline(transaction=True)
    pipe.zremrangebyscore(key, 0, now - window)
    pipe.zadd(key, {member: now})
    pipe.zcard(key)
    pipe.expire(key, window)
    _, _, count, _ = pipe.execute()
    return count <= limit


def first_notice(redis, phone_hash: str, window: int) -> bool:
    """True the first time a sender is over the limit in a window: tell them once."""
    return bool(redis.set(keys.rate_notified(phone_hash), "1", nx=True, ex=window))


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
