"""Abuse resistance in front of the dialogue: text normalisation and loop
protection (``repeated``) (rate limits per sender are ``gateway.core.ratelimit``'s, keyed by
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


def made_progress(turn, before_step: str | None) -> bool:
    """Whether a turn moved the dialogue on: an answer accepted, Back, a restart,
    a report completed or a dialogue left.  Starting a dialogue is not progress
    (an auto-responder starts one each time the last one struck out)."""
    kinds = {event["type"] for event in turn.events}
    if before_step is None:  # a dialogue started (by a keyword or not), HELP
        return False
    if "restart" in kinds:  # 00 again and again is a machine's loop like any other
        return False
    if kinds & {"completed", "back", "resumed", "cancelled", "quick_exit", "lookup"}:
        return True
    return turn.session.step != before_step and "strikes_out" not in kinds


def repeated(redis, phone_hash: str, text: str, *, window: int, progress: bool) -> int:
    """How many times in a row, within ``window`` seconds each, this sender sent
    this text without moving the dialogue on (0 after an answer that moved it).

    A person answers the same thing twice as often as they like when it is an
    answer (Busia after Back is Busia again); what repeats itself without any
    progress, again and again within seconds, is a machine: an auto-responder
    or two gateways answering each other.
    """
    digest = hashlib.sha256(text.strip().lower().encode()).hexdigest()[:16]
    key = keys.loop_guard(phone_hash, digest)
    if progress:
        redis.delete(key)
        return 0
    pipe = redis.pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, window)
    count, _ = pipe.execute()
    return int(count)
