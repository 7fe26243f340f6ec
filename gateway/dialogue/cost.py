"""What a full report costs a reporter, per language and channel: the messages
they send, the replies they get and the SMS segments those replies take.

Two walks through the engine itself (so the figures are what reporters meet):
the *menu path*, answering every menu with its first option, and on SMS the
*one-message path*, a start keyword followed by words that ``settings.guess``
understands (one cue of each guessed step) and the name of the gazetteer's
first place, then the first option for the rest.
Pure, like the rest of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.vocab import Channel

from .engine import advance, new_session
from .gsm import sms_segments
from .script import Script

DESCRIPTION = "Seen near the market by many people"
MAX_INPUTS = 40  # a walk longer than this is reported as not completed


@dataclass(frozen=True)
class PathCost:
    language: str
    channel: str
    path: str  # "menu" | "one message"
    sent: int  # messages (USSD: inputs, the dial included) from the reporter
    replies: int
    segments: int  # SMS segments of all replies
    largest: int  # segments of the largest reply
    completed: bool

    def format(self) -> str:
        done = "" if self.completed else " (did not complete)"
        if self.channel == Channel.USSD:
            return (f"cost {self.channel} {self.language}, {self.path} path: {self.sent} inputs "
                    f"(the dial included), {self.replies} screens{done}")
        return (f"cost {self.channel} {self.language}, {self.path} path: {self.sent} messages "
                f"from the reporter, {self.replies} replies, {self.segments} SMS segments "
                f"(largest reply {self.largest}){done}")


def path_costs(script: Script) -> list[PathCost]:
    costs = []
    for language in script.languages:
        costs.append(_walk(script, language, Channel.USSD, one_message=False))
        costs.append(_walk(script, language, Channel.SMS, one_message=False))
        if _keyword(script, language) and script.settings.guess:
            costs.append(_walk(script, language, Channel.SMS, one_message=True))
    return costs


def _keyword(script: Script, language: str) -> str | None:
    words = script.settings.keywords.get("start", {})
    return next((word.upper() for word, lang in words.items() if lang == language), None)


def _first_input(script: Script, language: str, channel: str, one_message: bool) -> str:
    if channel == Channel.USSD:
        return ""
    keyword = _keyword(script, language)
    if one_message and keyword:
        cues = [cue_list[0] for values in script.settings.guess.values()
                for cue_list in list(values.values())[:1] if cue_list]
        place = [f"near {script.places[0].name}"] if script.places else []
        return " ".join([keyword, *cues, DESCRIPTION, *place])
    return keyword or DESCRIPTION


def _answer(script: Script, language: str, step_id: str | None) -> str:
    step = script.steps.get(step_id or "")
    if step is None:
        return "1"
    if step.kind == "language":
        return str(list(script.languages).index(language) + 1)
    if step.kind == "text":
        return DESCRIPTION if step.field else "R-7KQ4XH"
    return "1"


def _walk(script: Script, language: str, channel: str, one_message: bool) -> PathCost:
    session = new_session(script, channel, 0.0, "R-7KQ4XH")
    text = _first_input(script, language, channel, one_message)
    sent = replies = segments = largest = 0
    completed = False
    for _ in range(MAX_INPUTS):
        turn = advance(script, session, text, 0.0)
        sent += 1
        if turn.reply:
            replies += 1
            cost = sms_segments(turn.reply)
            segments, largest = segments + cost, max(largest, cost)
        session = turn.session
        if turn.ended:
            completed = turn.report is not None
            break
        text = _answer(script, language, session.step)
        if session.mode == "keep":  # "Use this" on an offered earlier text
            text = "1"
    return PathCost(language, str(channel), "one message" if one_message else "menu", sent,
                    replies, segments, largest, completed)
