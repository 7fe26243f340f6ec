"""A screen as a voice call speaks it: the engine renders every channel's
screens the same way (``render``); on voice each screen is cut back into the
script's texts it was made of, so that a caller hears each text as a recorded
prompt in their language (``Play``) or, in English, read out by the
provider's text-to-speech (``Say``).

A part is one text of the script (``key``: its flat key, ``steps.when.prompt``,
``messages.invalid``, ``steps.when.options.now``; a place's proper noun is
``gazetteer.<list>.<value>``, ``gazetteer.counties.turkana``), a menu option (``press``:
the digits that choose it, its label being a text of the script or a name),
or words the script does not hold (``key`` ``None``: a place name, words
quoted back).  A text with a placeholder (``{reference}``) is recognised with
the value filled in; the value goes in ``value`` (spoken letter by letter).
Pure: no I/O, like the rest of the engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .script import Script

_OPTION = re.compile(r"^(\d{1,2})\. (.+)$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_SPELL_SEPARATOR = ", "
#: Placeholders whose value is read one character at a time.
SPELLED = frozenset({"reference"})


@dataclass(frozen=True)
class Part:
    """One spoken piece of a screen."""

    text: str  # the words as the screen shows them, in the session's language
    key: str | None = None  # the script text they are; None: words of no text
    press: str | None = None  # a menu option: the digits that choose it
    value: str | None = None  # a placeholder's value inside ``text`` (a reference, a place)
    placeholder: str | None = None  # its name: ``reference`` is spoken letter by letter
    title: bool = False  # a summary line's title ("What" of "What: Weapons smuggling")

    @property
    def said_value(self) -> str | None:
        """The value as words to say: a reference spelled out, anything else as it is."""
        if self.value is None:
            return None
        return spelled(self.value) if self.placeholder in SPELLED else self.value


def parts(script: Script, language: str | None, screen: str,
          extra: Sequence[tuple[str, str]] = ()) -> list[Part]:
    """``screen`` cut into the script's texts, in order.  A text may span
    several lines (the first screen's prompt): the longest run of lines that
    is one text wins.  ``extra``: (key, text) of texts the host adds to
    screens (the message table's notices), looked up after the script's."""
    index = _texts(script, language) + [(k, t.strip()) for k, t in extra if t.strip()]
    lines = screen.split("\n")
    found: list[Part] = []
    start = 0
    while start < len(lines):
        for end in range(len(lines), start, -1):
            chunk = "\n".join(lines[start:end])
            part = _known(index, chunk)
            if part is not None:
                found.append(part)
                start = end
                break
        else:
            line = lines[start]
            option = _OPTION.match(line)
            if option is not None:
                label = _known(index, option.group(2))
                found.append(Part(text=option.group(2), key=label.key if label else None,
                                  press=option.group(1)))
            elif line.strip():
                found.extend(_summary_line(index, line) or [Part(text=line)])
            start += 1
    return found


def _summary_line(index: list[tuple[str, str]], line: str) -> list[Part] | None:
    """A confirm screen's summary line, "What: Weapons smuggling": its title
    (a text of the script) and its answer (a text, or words of none: a
    place's name, a description); ``None`` when the line is no such line."""
    title, sep, answer = line.partition(": ")
    if not sep or not answer.strip():
        return None
    key = next((k for k, text in index if text == title.strip() and "{" not in text), None)
    if key is None:
        return None
    said = next((k for k, text in index if text == answer.strip() and "{" not in text), None)
    return [Part(text=title.strip(), key=key, title=True),
            Part(text=answer.strip(), key=said)]


def options(found: list[Part]) -> list[str]:
    """The digits the screen offers, in order."""
    return [p.press for p in found if p.press is not None]


def spelled(value: str) -> str:
    """A reference read one character at a time: "R-7KQ" -> "R, 7, K, Q"."""
    return _SPELL_SEPARATOR.join(ch for ch in value if ch.isalnum())


def english(script: Script, part: Part, extra: Mapping[str, str] | None = None) -> str:
    """The part in the script's base language (English, which the provider's
    text-to-speech reads), its placeholder value spelled out; words of no
    text as they are (names).  ``extra``: the English of ``parts``' extra texts."""
    if part.key is None:
        return part.text
    text = script.text(part.key, script.base_language) or (extra or {}).get(part.key) \
        or part.text
    if part.value is not None:
        text = _PLACEHOLDER.sub(part.said_value or "", text)
    return " ".join(text.split())


def _texts(script: Script, language: str | None) -> list[tuple[str, str]]:
    """(key, text) of every text of the script as ``language`` shows it."""
    keys = dict.fromkeys(k for code in script.texts for k in script.texts[code])
    pairs = []
    for key in keys:
        text = script.text(key, language)
        if text:
            pairs.append((key, text.strip()))
    for gaz in script.lists.values():  # proper nouns: one text in every language
        pairs.extend((f"gazetteer.{gaz.name}.{value}", name) for value, name in gaz.names.items())
    return pairs


def _known(index: list[tuple[str, str]], chunk: str) -> Part | None:
    chunk = chunk.strip()
    if not chunk:
        return None
    for key, text in index:
        if text == chunk:
            return Part(text=chunk, key=key)
    for key, text in index:
        if "{" not in text:
            continue
        names = _PLACEHOLDER.findall(text)
        if len(names) != 1:
            continue
        before, name, after = _PLACEHOLDER.split(text, maxsplit=1)
        if chunk.startswith(before) and chunk.endswith(after) and \
                len(chunk) > len(before) + len(after):
            value = chunk[len(before):len(chunk) - len(after)]
            if value and "\n" not in value:
                return Part(text=chunk, key=key, value=value, placeholder=name)
    return None
