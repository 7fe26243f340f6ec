"""Walk a script version as a phone would, with the pure engine only: the
session lives in the page (a hidden field), no report is stored and nothing
is sent.  Used by the editor for unfinished dialogues and published versions alike."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from gateway.core.services import current_services
from gateway.dialogue import DialogueSession, SessionError, advance, new_session

SIM_REFERENCE = "R-TEST00"
#: Turns kept in the page (the whole walk of any sensible dialogue; a longer
#: one shows that its first turns were dropped).
MAX_TRANSCRIPT = 200


@dataclass
class Simulation:
    channel: str = "ussd"
    language: str = ""
    session: str = ""  # the session as JSON, for the next input
    transcript: list = field(default_factory=list)  # [{"input": ..., "screen": ...}]
    dropped: bool = False  # turns before the kept MAX_TRANSCRIPT were dropped
    ended: bool = False
    report: dict | None = None
    error: str | None = None

    @property
    def screen(self) -> str:
        return self.transcript[-1]["screen"] if self.transcript else ""

    @property
    def transcript_json(self) -> str:
        return json.dumps(self.transcript, ensure_ascii=False)


def start(script, channel: str, language: str) -> Simulation:
    channel = channel if channel in ("ussd", "sms") else "ussd"
    sim = Simulation(channel=channel, language=language if language in script.languages else "")
    session = new_session(script, channel=channel, now=current_services().clock.time(), reference=SIM_REFERENCE)
    if sim.language:
        session.language = sim.language  # as if chosen on the first screen / by keyword
    return _step(script, sim, session, "")


def send(script, form) -> Simulation:
    sim = Simulation(channel=form.get("channel", "ussd"), language=form.get("language", ""))
    try:
        sim.transcript = list(json.loads(form.get("transcript") or "[]"))[-MAX_TRANSCRIPT:]
        sim.dropped = form.get("dropped") == "1"
        session = DialogueSession.from_json(form.get("session") or "")
    except (ValueError, SessionError):
        sim.error = "The simulator lost its place. Start again."
        return sim
    if session.step is not None and session.step not in script.steps:
        sim.error = "The session does not fit this version. Start again."
        return sim
    return _step(script, sim, session, form.get("input", "")[:500])


def _step(script, sim: Simulation, session: DialogueSession, text: str) -> Simulation:
    turn = advance(script, session, text, current_services().clock.time())
    sim.transcript.append({"input": text, "screen": turn.reply, "ended": turn.ended})
    if len(sim.transcript) > MAX_TRANSCRIPT:
        sim.transcript, sim.dropped = sim.transcript[-MAX_TRANSCRIPT:], True
    sim.ended = turn.ended
    sim.report = turn.report
    sim.session = "" if turn.ended else turn.session.to_json()
    return sim
