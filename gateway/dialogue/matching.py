"""Answers as people write them: which option of a menu a reply means.

An option matches by its number ("1", "1.", "#1", "1#", " 1 ", "1 Turkana"),
its value or full label, a yes/no word of the script's languages ("ndio",
"haa", "ok"), the start of its label or of a word in it (at least 4 letters,
"Ugaidi", "Turkan") when only one option starts so, or a close spelling
("Turkanna"); case, accents and punctuation do not matter.  Between two
options that fit equally well it never guesses: the caller asks, listing just
those.  Pure: no I/O, like the rest of the engine.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

_NUMBERED = re.compile(r"^#?\s*(\d+)\s*[.)#]?(?:\s+(.*))?$")
_PUNCTUATION = re.compile(r"[^\w\s']+")
#: The shortest start of a label taken as a choice.
MIN_PREFIX = 4
#: How alike (0-100, rapidfuzz's ratio) a misspelling must be to its label.
CLOSE = 85.0
#: Another option scoring within this of the best one is too close: ask.
TIE = 10.0
#: Option values a yes or no word chooses ("send" on a confirm screen).
YES_VALUES = ("yes", "send")
NO_VALUES = ("no",)


@dataclass(frozen=True)
class Match:
    value: str | None = None  # the option chosen
    candidates: tuple[str, ...] = ()  # options too close to choose between


def guess(text: str, table: Mapping[str, Mapping[str, Sequence[str]]]) -> dict[str, str]:
    """What a free text answers by itself: for each step of ``table`` (step id ->
    {value -> cue words or phrases}), the one value whose cues occur in the text.
    A cue word matches a word of the text, or its start when the cue has 4 or
    more letters ("bunduk" in "bunduki"); a phrase matches as a whole.  Two
    values with cues in the text: no guess for that step (it is asked)."""
    words = normalise(text).split()
    joined = f" {' '.join(words)} "
    found: dict[str, str] = {}
    for step, values in table.items():
        hits = {value for value, cues in values.items()
                if any(_cue_in(normalise(cue), words, joined) for cue in cues)}
        if len(hits) == 1:
            found[step] = hits.pop()
    return found


def _cue_in(cue: str, words: list[str], joined: str) -> bool:
    if not cue:
        return False
    if " " in cue:
        return f" {cue} " in joined
    return any(word == cue or (len(cue) >= MIN_PREFIX and word.startswith(cue)) for word in words)


def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation but apostrophes, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_PUNCTUATION.sub(" ", plain.casefold()).split())


def number_of(text: str) -> int | None:
    """The menu number a reply gives ("1", "#2", "3 Turkana": 1, 2, 3), if any."""
    found = _NUMBERED.match(text.strip())
    return int(found.group(1)) if found else None


def numbered(text: str) -> bool:
    """The reply is a menu number ("1", "#2", "3 Turkana"), not a name."""
    return _NUMBERED.match(text.strip()) is not None


def match(options: Sequence[tuple[str, str]], text: str,
          yes_no: Mapping[str, str] | None = None, reserved: frozenset[str] = frozenset()) -> Match:
    """The option ``text`` means (``options``: (value, label) as shown).
    ``yes_no``: normalised word -> "yes" or "no", from the script's keywords;
    ``reserved``: the script's other keywords (REPORT, STOP, HELP ...), which
    choose an option only by its exact label, never as a start or a spelling."""
    numbered = _NUMBERED.match(text.strip())
    if numbered:
        index = int(numbered.group(1)) - 1
        if not 0 <= index < len(options):
            return Match()
        value, label = options[index]
        words = normalise(numbered.group(2) or "")
        if not words or _fits(label, words):
            return Match(value)
        # "2 Turkana": the words name another option than the number, or none.
        other = match(options, words, yes_no, reserved)
        named = other.candidates or ((other.value,) if other.value else ())
        return Match(candidates=tuple(dict.fromkeys((value, *named)))) if named else Match()
    wanted = normalise(text)
    if not wanted:
        return Match()
    for value, label in options:
        if wanted == normalise(label):
            return Match(value)
    if wanted in reserved:
        return Match()
    meaning = (yes_no or {}).get(wanted)
    if meaning is not None:
        values = YES_VALUES if meaning == "yes" else NO_VALUES
        chosen = [value for value, _label in options if value in values]
        if len(chosen) == 1:
            return Match(chosen[0])
    if len(wanted.replace(" ", "")) >= MIN_PREFIX:
        starting = [value for value, label in options if _starts(normalise(label), wanted)]
        if len(starting) == 1:
            return Match(starting[0])
        if len(starting) > 1:
            return Match(candidates=tuple(starting))
    for value, _label in options:  # the internal value (a code), after what is shown
        if wanted == normalise(value):
            return Match(value)
    return _closest(options, wanted)


def _fits(label: str, words: str) -> bool:
    """The words after a number agree with that number's label."""
    plain = normalise(label)
    return plain == words or _starts(plain, words) or _similarity(plain, words) >= CLOSE


def _similarity(label: str, wanted: str) -> float:
    """How alike ``wanted`` is to the label, or to any run of its words as long."""
    words = label.split()
    size = max(1, len(wanted.split()))
    runs = [" ".join(words[i:i + size]) for i in range(len(words))] or [label]
    return max([fuzz.ratio(wanted, label), *(fuzz.ratio(wanted, run) for run in runs)])


def _starts(label: str, wanted: str) -> bool:
    """The label, or one of its words, starts with what was typed."""
    if label.startswith(wanted):
        return True
    words = label.split()
    return any(" ".join(words[i:]).startswith(wanted) for i in range(1, len(words)))


def _closest(options: Sequence[tuple[str, str]], wanted: str) -> Match:
    if len(wanted) < MIN_PREFIX:
        return Match()
    scored = sorted(((_similarity(normalise(label), wanted), value) for value, label in options),
                    key=lambda pair: -pair[0])
    best = scored[0][0] if scored else 0.0
    if best < CLOSE:
        return Match()
    # Never guess: any other option nearly as close is asked about with it.
    near = [value for score, value in scored if best - score <= TIE]
    return Match(near[0]) if len(near) == 1 else Match(candidates=tuple(near))
