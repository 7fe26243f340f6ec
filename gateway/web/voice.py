"""Voice calls: a dialogue's reply as Africa's Talking's XML actions.

The engine writes a call's screens as for any channel; here each is cut back
into the script's texts (``gateway.dialogue.voice``) and spoken:

* in English, read by AT's text-to-speech (``Say``), a menu option as
  "For <label>, press <n>.";
* in every other language, played from recorded prompts (``Play``), one file
  per text and language: ``<PROMPTS_DIR>/<script version>/<language>/<key>.mp3``,
  served at ``<PUBLIC_BASE_URL>/voice/prompts/<script version>/<language>/<key>.mp3``
  (``prompt_finder``).  ``key`` is the text's flat key in the script
  (``steps.when.prompt``, ``steps.when.options.now``, ``messages.invalid``,
  ``gazetteer.counties.turkana``) or in the message table
  (``voice.press.1``, ``voice.record``, ``media.received.voice``).  A
  reference is spoken letter by letter after its text's prompt; words after
  it (the end text's emergency numbers) are the prompt ``<key>.after``.  When any
  text of a screen has no recording yet, the whole screen is said in English
  after a short English notice (``voice.no_prompts``): never silence.

A storage failure or a state the call cannot continue from speaks the
apology with the emergency numbers, and the call ends.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from gateway.core import texts
from gateway.dialogue import Script
from gateway.dialogue import voice as spoken
from gateway.intake.conversation import RECORD, Outcome
from gateway.store import prompts, script_versions
from handlers.africastalking import Play, Say, Speech, VoiceReply

#: (language, key) -> the prompt's public URL, or None when it has no recording.
PromptUrl = Callable[[str, str], str | None]

#: Texts of the message table a call may speak, as ``parts`` looks them up.
SPOKEN_TABLE_KEYS = ("voice", "media.received", "media.limit", "media.refused",
                     "media.label")
HELD_TIMEOUT = 5  # seconds to wait for the second 9 of the quick exit


def prompt_finder(config: Mapping[str, Any], script_version: str) -> PromptUrl:
    """The prompts of one script version (``gateway.store.prompts``: a
    person's recording or espeak-ng's draft), as files under ``PROMPTS_DIR``
    that AT fetches from ``PUBLIC_BASE_URL``.  Message-table texts are filed
    under ``texts.``.  Without a public URL no prompt can be played: every
    text is said in English."""
    root = str(config.get("PROMPTS_DIR") or "prompts")
    public = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")

    def find(language: str, key: str) -> str | None:
        if key.startswith(tuple(f"{k}." for k in SPOKEN_TABLE_KEYS)):
            key = prompts.MESSAGE_FILE_PREFIX + key
        try:
            path = prompts.prompt_path(root, script_version, language, key)
        except prompts.PromptError:
            return None
        if not public or not path.is_file():
            return None
        return public + prompts.url_path(script_version, language, key)

    return find


def table_texts(language: str | None) -> list[tuple[str, str]]:
    """(key, text) of the message table's texts a call may speak, in ``language``."""
    pairs: list[tuple[str, str]] = []
    root = texts.table()
    for code in reversed(texts.chain(language)):  # the language's own texts win
        for prefix in SPOKEN_TABLE_KEYS:
            node: Any = root.get(code, {})
            for part in prefix.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            pairs.extend(_leaves(prefix, node))
    found = dict(pairs)
    return list(found.items())


def _leaves(prefix: str, node: Any) -> list[tuple[str, str]]:
    if isinstance(node, str):
        return [(prefix, node)]
    if isinstance(node, dict):
        return [pair for name, child in node.items()
                for pair in _leaves(f"{prefix}.{name}", child)]
    return []


def speech(script: Script, language: str | None, screen: str, prompt_url: PromptUrl, *,
           record: bool = False, ended: bool = False,
           hash_after: bool = False) -> tuple[Speech, ...]:
    """What a caller hears for ``screen`` (see the module docstring).
    ``hash_after``: options of two digits, which the hash key finishes."""
    extra = table_texts(language)
    found = [_on_a_call(part, language, record)
             for part in spoken.parts(script, language, screen, extra)]
    if record:
        found.append(spoken.Part(text=texts.text("voice.record", language), key="voice.record"))
    if hash_after:
        found.append(spoken.Part(text=texts.text("voice.hash_after", language),
                                 key="voice.hash_after"))
    if ended:
        reference = next((p.value for p in found if p.placeholder == "reference"), None)
        if reference:
            found.append(spoken.Part(text=texts.text("voice.reference", language,
                                                     reference=reference),
                                     key="voice.reference", value=reference,
                                     placeholder="reference"))
    lang = language or script.base_language
    if lang != script.base_language:
        played = _played(found, lang, prompt_url)
        if played is not None:
            return played
    said = _said(script, found, dict(table_texts(script.base_language)))
    if lang != script.base_language and said:
        said = f"{texts.text('voice.no_prompts', 'eng')} {said}"
    return (Say(said),) if said else ()


#: Texts written for a keypad and a screen, and what a call says instead
#: (message-table texts): the new description is recorded, not written.
_ON_A_CALL = {"messages.write_new": "voice.record_again"}
_TOO_SHORT = ("messages.too_short", ".errors.too_short")


def _on_a_call(part: spoken.Part, language: str | None, record: bool) -> spoken.Part:
    """``part`` as a call says it: "You wrote: "[voice note]"" is "You
    recorded a message."; "Write new" is "Record again"; at the recording,
    "Too short. Write a few words." is "Nothing was recorded ..."."""
    key = part.key or ""
    swap = _ON_A_CALL.get(key)
    if key == "messages.you_wrote" and part.value is not None and \
            part.value.startswith(texts.text("media.label.voice", language)):
        swap = "voice.you_recorded"
    if record and (key == _TOO_SHORT[0] or key.endswith(_TOO_SHORT[1])):
        swap = "voice.too_short"
    if swap is None:
        return part
    return spoken.Part(text=texts.text(swap, language), key=swap, press=part.press)


_SLASH = re.compile(r"(?<=[^\W\d_])\s*/\s*(?=[^\W\d_])")  # between words only
_MARKS = re.compile(r"[\[\]]")


def aloud(text: str) -> str:
    """Words as a screen writes them, as a voice reads them: "Language /
    Lugha" with a pause for the slash, "[voice note]" without its brackets."""
    return " ".join(_MARKS.sub("", _SLASH.sub(", ", text)).split())


def _said(script: Script, found: list[spoken.Part], english: Mapping[str, str]) -> str:
    words = []
    for part in found:
        text = aloud(spoken.english(script, part, english))
        if part.title:  # "What:" then its answer, as the screen shows it
            words.append(f"{text}:")
            continue
        if part.press is not None:
            text = texts.text("voice.option", "eng", label=text, number=part.press)
        text = " ".join(text.split())
        if text and text[-1].isalnum():  # a summary line ("When: Earlier today"): a pause
            text += "."
        words.append(text)
    return " ".join(w for w in words if w)


def _played(found: list[spoken.Part], language: str,
            prompt_url: PromptUrl) -> tuple[Speech, ...] | None:
    """The parts as recorded prompts, or ``None`` when one has no recording."""
    pieces: list[Speech] = []
    for part in found:
        url = prompt_url(language, part.key) if part.key else None
        if url is None:
            return None
        pieces.append(Play(url))
        if part.said_value and aloud(part.said_value):
            pieces.append(Say(aloud(part.said_value)))
        if part.key and part.value is not None and _words_after(part):
            after = prompt_url(language, part.key + prompts.AFTER)
            if after is None:
                return None
            pieces.append(Play(after))
        if part.press is not None:
            press = prompt_url(language, f"voice.press.{part.press}")
            if press is None:
                return None
            pieces.append(Play(press))
    return tuple(pieces)


def _words_after(part: spoken.Part) -> bool:
    """Words follow the part's placeholder value (its prompt is two recordings)."""
    value = part.value or ""
    end = part.text.find(value)
    return end >= 0 and any(ch.isalnum() for ch in part.text[end + len(value):])


def apology() -> VoiceReply:
    """The apology with the emergency numbers, in English; the call ends."""
    return VoiceReply(speech=(Say(script_versions.fallback_script().message("unavailable")),),
                      action="end")


def voice_reply(outcome: Outcome, config: Mapping[str, Any], callback_url: str | None,
                prompt_url: Callable[[Script], PromptUrl] | None = None) -> VoiceReply:
    """The XML actions answering one voice callback."""
    reply, script = outcome.reply, outcome.script
    if outcome.unavailable or reply is None or script is None:
        return apology()
    finder = (prompt_url or (lambda s: prompt_finder(config, s.version)))(script)
    if not reply.text and not reply.ended:  # the first 9 of 99 held: wait for the next key
        return VoiceReply(speech=(), action="digits", callback_url=callback_url, num_digits=1,
                          timeout=HELD_TIMEOUT)
    record = outcome.awaiting == RECORD and not reply.ended
    offered = spoken.options(spoken.parts(script, outcome.language, reply.text))
    width = max((len(o) for o in offered), default=0) or None
    said = speech(script, outcome.language, reply.text, finder, record=record,
                  ended=reply.ended, hash_after=not record and (width or 0) > 1)
    if not said:
        return apology()
    if reply.ended:
        return VoiceReply(speech=said, action="end")
    if record:
        return VoiceReply(speech=said, action="record", callback_url=callback_url,
                          max_length=int(config["VOICE_RECORD_SECONDS"]))
    return VoiceReply(speech=said, action="digits", callback_url=callback_url,
                      num_digits=width, timeout=int(config["VOICE_DIGITS_TIMEOUT"]))
