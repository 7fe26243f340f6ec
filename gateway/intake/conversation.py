"""The host around the dialogue engine (mailroom's role): for one inbound
message, deduplicate, lock the conversation, load its session from Redis, run
the pure engine, persist (session, unfinished, report, ledger), then return the
reply for the channel to render.  The engine itself does no I/O.

Conversations are keyed by the USSD or voice call's ``sessionId`` with the
keyed hash of the phone that started it (another number sending the same id
starts its own conversation), or by channel and the phone's keyed hash for
SMS and WhatsApp.  An unfinished dialogue is also kept
under the phone's keyed hash, so a dropped USSD session can be resumed within
``RESUME_WINDOW`` on any channel.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from redis.exceptions import LockError, RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway import tasks
from gateway.core import keys, ratelimit, texts
from gateway.core.clock import utcnow
from gateway.core.references import new_reference
from gateway.core.services import Services
from gateway.delivery import outbox
from gateway.dialogue import Attachment, DialogueSession, Script, advance, new_session
from gateway.dialogue import voice as spoken
from gateway.dialogue.engine import keyword
from gateway.dialogue.session import ASK
from gateway.errors import ScriptNotFound
from gateway.intake import callback, media, reports, safety
from gateway.ops import logs, metrics
from gateway.routing import acks
from gateway.store import funnel, ledger, ledger_stream, script_versions
from gateway.vocab import MessageStatus, Priority
from handlers.base import Channel, InboundMessage, Reply

log = logging.getLogger(__name__)

#: Channels whose conversation is one provider session (a USSD session, a
#: call), answered in the webhook's response, always (never with silence).
LIVE = (Channel.USSD, Channel.VOICE)
#: On a call: what the caller is asked for (the web layer renders it).
DIGITS, RECORD = "digits", "record"
#: The quick exit's first key, held on a call when the menu has no such option.
QUICK_EXIT_FIRST = "9"
#: The inbound limit's window and the precision its events are kept to (seconds).
INBOUND_WINDOW, INBOUND_RESOLUTION = 600, 10


def shared_location(msg: InboundMessage) -> tuple[float, float] | None:
    """A WhatsApp location share as (latitude, longitude), as the adapter parsed it."""
    location = msg.extra.get("location") if msg.extra else None
    if not isinstance(location, dict):
        return None
    lat, lon = location.get("latitude"), location.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return (float(lat), float(lon))
    return None


@dataclass(frozen=True)
class Outcome:
    """What the host did with one inbound message."""

    reply: Reply | None  # None: a duplicate, nothing to answer
    language: str | None = None
    report_id: int | None = None
    reference: str | None = None
    duplicate: bool = False
    #: The dialogue's ledger rows must not stay linked to the phone: set when it
    #: ends as an anonymous report ("unlink": numbers and hashes go) or is
    #: abandoned with STOP, 99 or Cancel ("erase": the reporter's words go too),
    #: with when the dialogue started (epoch seconds).
    forget: tuple[str, float] | None = None
    #: A provider's replay of a USSD request already answered: answered again,
    #: never recorded again (its rows were written, and unlinked, the first time).
    replay: bool = False
    #: On a call: ``digits`` (keys are awaited) or ``record`` (the description
    #: is recorded); ``None`` when the dialogue ended.
    awaiting: str | None = None
    #: The script the reply was written from (a call cuts it back into texts).
    script: Script | None = None
    #: Storage failed: the reply is the apology (a call speaks it in English).
    unavailable: bool = False


def ussd_new_input(previous: str, current: str) -> str | None:
    """The input typed since the previous request of the same USSD session.

    Africa's Talking sends every input of the session joined with ``*``.  A
    ``*`` typed inside a free-text answer looks exactly like a separator, so
    the new input is what follows the previous request's text, never a split.
    ``None`` means the same request again (a retry).
    """
    if current == previous:
        return None
    if not previous:
        return current
    if current.startswith(previous + "*"):
        return current[len(previous) + 1 :]
    # The network rewrote the history (rare): the last segment is the best guess.
    return current.rsplit("*", 1)[-1]


@dataclass(frozen=True)
class _Loaded:
    """A conversation's state before this message's turns."""

    session_key: str
    script: Script
    session: DialogueSession
    inputs: list[str]
    new: bool  # no session was stored: this message starts (or resumes) one
    reached: frozenset[str] = frozenset()  # steps the session was shown (the funnel's)
    media: bool = True  # the message's media are taken (a call's: only after Record)


class Conversations:
    def __init__(self, svc: Services, *, new_reference=new_reference):
        self.svc = svc
        self.config = svc.config
        self.clock = svc.clock
        self.new_reference = new_reference
        self.protector = svc.protector

    # -- entry point -------------------------------------------------------
    def handle(self, msg: InboundMessage, *, inline_reply: bool = True) -> Outcome:
        """Run one inbound message through the dialogue.  Never raises for
        storage failures: the reporter gets a short apology instead.

        ``inline_reply`` says the reply travels in the webhook's response (USSD,
        TwiML) and is recorded as sent; otherwise the caller queues it
        (``queue_reply``) because the provider ignores the response body.
        """
        try:
            return self._handle(msg, inline_reply)
        except (RedisError, LockError, SQLAlchemyError, ScriptNotFound) as exc:
            log.warning("storage unavailable during dialogue: %s", type(exc).__name__)
            metrics.inbound(self.svc, msg.channel, "unavailable")
            return Outcome(reply=Reply(self.unavailable_text(), ended=True), unavailable=True)

    def _handle(self, msg: InboundMessage, inline_reply: bool) -> Outcome:
        r = self.svc.redis
        msg = dataclasses.replace(
            msg, text=safety.normalise_text(msg.text), raw_text=safety.normalise_text(msg.raw_text)
        )
        dedupe_key = None
        if msg.message_id and msg.channel != Channel.USSD:
            dedupe_key = keys.dedupe(msg.provider, msg.message_id)
            if not r.set(dedupe_key, "1", nx=True, ex=self.config["DEDUPE_TTL"]):
                metrics.inbound(self.svc, msg.channel, "duplicate")
                return Outcome(reply=None, duplicate=True)
        # What this message changes in Redis (session, counters, ledger rows,
        # the lock's release) goes in one MULTI at the end (gateway.core.gate).
        out = r.pipeline(transaction=True)
        entered = None
        try:
            phone_hash = self.protector.phone_hash(msg.phone)
            conversation = (keys.live_conversation(msg.session_id or "", phone_hash)
                            if msg.channel in LIVE else phone_hash)
            command = acks.parse(msg.text) if msg.channel not in LIVE else None
            if msg.channel in LIVE:  # the hot path: limit, lock and reads in one round trip
                entered = self._enter(msg, conversation, phone_hash, count=True)
                limited = None if entered.within_limit else self._over_limit(msg, phone_hash)
            else:
                # Every message counts against the sender's limit but a team member's
                # ACK: a stranger's ACK or STATUS flood gets one notice, then silence.
                exempt = command is not None and acks.from_member(self.svc, command, msg.phone)
                limited = None if exempt else self._limit(msg, phone_hash)
            if limited is not None:
                outcome = limited
            elif command is not None:
                outcome = self._command(msg, command, phone_hash, exempt)
            elif (asked := self._callback_asked(msg)) is not None:
                outcome = self._callback(msg, asked)
            else:
                if entered is None:
                    entered = self._enter(msg, conversation, phone_hash, count=False)
                outcome = self._converse(msg, conversation, phone_hash, entered, out)
        except BaseException:
            if entered is not None and entered.locked:
                self._release_quietly(entered)
            if dedupe_key:  # let the provider's retry run the message again
                r.delete(dedupe_key)
            raise
        if entered is not None and entered.locked:
            self.svc.gate.release(out, entered)
        if limited is not None and (msg.channel == Channel.USSD or (
                command is not None and command.verb == "status")):
            # Over the limit, a status check (or a USSD session, which may be a
            # "Check a report" walk) still never links the phone.
            outcome = dataclasses.replace(outcome, forget=(ledger.UNLINK, self.clock.time()))
        streamed = None if outcome.replay else self._record(msg, outcome, inline_reply, out)
        metrics.inbound(out, msg.channel, "command" if command is not None else outcome)
        try:
            self.svc.gate.execute(out, entered if entered is not None and entered.locked else None)
        except RedisError:
            if streamed is not None and (outcome.reference is not None
                                         or outcome.forget is not None):
                # The dialogue ended: its rows, and above all its forgetting
                # (the earlier rows may still wait in the stream), go to SQL.
                self._record_directly(streamed)
            if outcome.reference is None:
                raise
            # The report is stored (or parked): the reporter must see the reference.
            log.warning("redis lost after a report was stored; session left to expire")
        return outcome

    def _record_directly(self, streamed: tuple) -> None:
        rows, forget, at, exchange = streamed
        try:
            ledger_stream.write_directly(self.svc, rows, forget=forget, at=at, exchange=exchange)
        except SQLAlchemyError as exc:
            log.warning("ledger write failed: %s", type(exc).__name__)

    def _enter(self, msg: InboundMessage, conversation: str, phone_hash: str, *,
               count: bool):
        """The gate's one round trip in: the sender's limit (when ``count``),
        the conversation's lock, its session or the phone's unfinished."""
        return self.svc.gate.enter(
            subject=phone_hash, lock_key=keys.session_lock(msg.channel, conversation),
            session_key=keys.session(msg.channel, conversation),
            rate=self.svc.limiter.window_event(ratelimit.INBOUND, phone_hash,
                                               resolution=INBOUND_RESOLUTION),
            limit=self.config["INBOUND_PER_10_MINUTES"] if count else None,
            window=INBOUND_WINDOW, lock_seconds=self.config["SESSION_LOCK_TIMEOUT"])

    def _release_quietly(self, entered) -> None:
        try:
            self.svc.gate.release_now(entered)
        except RedisError:  # expires by itself
            log.warning("could not release the session lock")

    def _command(self, msg: InboundMessage, command, phone_hash: str, member: bool) -> Outcome:
        """Team commands (ACK, STATUS) never touch the reporting dialogue.  A
        stranger repeating one is a loop like any other; a status check is never
        linked to the phone in the ledger (an anonymous reporter may ask)."""
        forget = (ledger.UNLINK, self.clock.time()) if command.verb == "status" else None
        if not member and safety.repeated(
                self.svc.redis, phone_hash, msg.text, window=self.config["LOOP_WINDOW_SECONDS"],
                progress=False) > self.config["LOOP_REPEATS"]:
            return Outcome(reply=None, duplicate=True, forget=forget)
        return Outcome(reply=Reply(acks.handle(self.svc, command, msg.phone), ended=True),
                       forget=forget)

    def _callback_asked(self, msg: InboundMessage) -> str | None:
        """The language of a message that is only a callback keyword (PIGA,
        CALL ME) on a message channel, when callback numbers are configured."""
        if msg.channel == Channel.USSD or not self.config.get("VOICE_CALLBACK_NUMBERS"):
            return None
        words = script_versions.live_script(self.svc).settings.keywords.get("callback", {})
        return words.get(keyword(msg.text)) if msg.text else None

    def _callback(self, msg: InboundMessage, language: str) -> Outcome:
        """Queue a call back (``gateway.intake.callback``) and say so, or why not."""
        done = callback.requested_by_sms(self.svc, msg.phone)
        text = texts.text("callback_queued" if done.queued else "callback_refused", language)
        return Outcome(reply=Reply(text, ended=True), language=language)

    def _limit(self, msg: InboundMessage, phone_hash: str) -> Outcome | None:
        """An outcome when a flood must not reach the dialogue; ``None`` to go
        on.  (Loops are recognised in ``_converse``, where the question is known.)"""
        if self.svc.limiter.hit(ratelimit.INBOUND, phone_hash, resolution=INBOUND_RESOLUTION,
                                limit=self.config["INBOUND_PER_10_MINUTES"],
                                window=INBOUND_WINDOW):
            return None
        return self._over_limit(msg, phone_hash)

    def _over_limit(self, msg: InboundMessage, phone_hash: str) -> Outcome:
        if msg.channel in LIVE or self.svc.limiter.first_notice(ratelimit.INBOUND, phone_hash,
                                                                window=INBOUND_WINDOW):
            # One polite message, then silence (USSD must always answer).
            return Outcome(reply=Reply(texts.text("rate_limited"), ended=True))
        return Outcome(reply=None)

    # -- the dialogue ------------------------------------------------------
    def _converse(self, msg: InboundMessage, conversation: str, phone_hash: str, entered,
                  out) -> Outcome:
        """Load (what ``entered`` read), run the engine's turns, answer a
        lookup, store a report, persist (queued on ``out``), reply: one named
        step each."""
        now = self.clock.time()
        loaded = self._load(msg, conversation, phone_hash, now, entered)
        if isinstance(loaded, Outcome):
            return loaded
        received = media.receive(self.svc, msg, loaded.session.language,
                                 already=len(loaded.session.attachments)) \
            if loaded.media else media.Received()
        turn, funnel_turns = self._run_turns(msg, loaded, now, received.attachments, out)
        if msg.channel not in LIVE:
            location = shared_location(msg)
            # a location as the report keeps it (about 110 m): the loop guard's
            # short-lived key must not hold a finer position than the report
            said = msg.text or (f"{location[0]:.3f},{location[1]:.3f}" if location else "")
            repeats = safety.repeated(
                self.svc.redis, phone_hash, said, window=self.config["LOOP_WINDOW_SECONDS"],
                progress=safety.made_progress(turn, loaded.session.step))
            if repeats > self.config["LOOP_REPEATS"]:
                # A machine: the session moves on (strikes end it) but nothing is sent back.
                self._persist(msg, loaded, turn, funnel_turns, phone_hash, out)
                return Outcome(reply=None, duplicate=True)
        logs.bind(channel=str(msg.channel), step=turn.session.step, reference=turn.session.reference)
        if turn.lookup is not None:  # "Check a report": the engine asks, the host answers
            turn = dataclasses.replace(turn, reply=acks.status_text(
                self.svc, turn.lookup["query"], msg.phone, turn.lookup["language"]))
        report_id = None
        if turn.report is not None:
            report_id = self._store_report(turn.report, msg, phone_hash, now)
        self._persist(msg, loaded, turn, funnel_turns, phone_hash, out)
        forget = self._forget(turn, loaded.session)
        if forget is not None and forget[0] == ledger.ERASE:  # abandoned: its media go too
            media.discard_keys(self.svc, turn.session.attachments)
        if turn.discarded:  # a description recorded again: the earlier recording goes
            media.discard_keys(self.svc, list(turn.discarded))
        reply = turn.reply
        note = media.notice(received, turn.session.language)
        if note and reply:
            reply = f"{note}\n{reply}"
        elif note:
            reply = note
        if turn.ended:  # one line per dialogue, for the operator (``mpaka dev``'s terminal)
            log.info("dialogue ended", extra={"outcome": self._ending(turn),
                                              "language": turn.session.language,
                                              "report_id": report_id})
        return Outcome(
            reply=Reply(reply, ended=turn.ended),
            language=turn.session.language,
            report_id=report_id,
            reference=turn.report["reference"] if turn.report else None,
            forget=forget,
            awaiting=None if turn.ended else self._awaiting(loaded.script, turn.session),
            script=loaded.script,
        )

    @staticmethod
    def _awaiting(script: Script, session: DialogueSession) -> str:
        """What a caller is asked for: the description is recorded, every
        other answer pressed (a text step that is no report data, such as a
        reference to check, can only be pressed on a call)."""
        step = script.steps.get(session.step or "")
        if step is not None and step.kind == "text" and step.field and session.mode == ASK:
            return RECORD
        return DIGITS

    @staticmethod
    def _ending(turn) -> str:
        """How a dialogue ended, in a word or two for the log (never its content)."""
        if turn.report is not None:
            return "report"
        if turn.lookup is not None:
            return "status check"
        kinds = [e["type"] for e in turn.events]
        return next((k for k in ("quick_exit", "cancelled") if k in kinds), "ended")

    @staticmethod
    def _forget(turn, before: DialogueSession) -> tuple[str, float] | None:
        """What the ledger must forget of this dialogue (see ``Outcome.forget``)."""
        since = min(turn.session.started_at, before.started_at)
        # A dialogue that began by offering the unfinished one (quick exit on
        # "You did not finish last time"): that dialogue's rows go too.
        for unfinished in (before.unfinished, turn.session.unfinished):
            began = (unfinished or {}).get("started_at")
            if isinstance(began, int | float):
                since = min(since, began)
        if turn.lookup is not None:  # "Check a report": never linked to the phone
            return (ledger.UNLINK, since)
        if turn.report is not None:
            anonymous = str(turn.report["fields"].get("contact", "no")).lower() != "yes"
            return (ledger.UNLINK, since) if anonymous else None
        if any(e["type"] in ("quick_exit", "cancelled") for e in turn.events):
            return (ledger.ERASE, since)
        return None

    def _load(self, msg: InboundMessage, conversation: str, phone_hash: str,
              now: float, entered) -> _Loaded | Outcome:
        """The session (new, resumed from a unfinished, or from Redis: what
        ``entered`` read) and the inputs to run; an ``Outcome`` when a USSD
        request is a retry of the last one."""
        session_key = keys.session(msg.channel, conversation)
        envelope = entered.session
        if envelope is None:
            script = script_versions.live_script(self.svc)
            unfinished, language = self._load_unfinished(phone_hash, entered)
            session = new_session(
                script, channel=str(msg.channel), now=now, reference=self.new_reference(),
                unfinished=unfinished, language=language,
            )
            if msg.channel == Channel.USSD:
                # First screen, then any inputs pre-filled in an extended dial
                # string (*384*1234*3*1#): menu digits only.  Free text in it is
                # no dial string but a replayed walk: a fresh dial instead.
                dialled = msg.text.split("*") if msg.text else []
                inputs = [""] + (dialled if all(d.isdigit() for d in dialled) else [])
            else:
                inputs = [msg.text]
            if msg.channel == Channel.VOICE and msg.extra.get("media"):
                log.warning("recording ignored: the call was not asked to record")
            return _Loaded(session_key, script, session, inputs, new=True,
                           media=msg.channel != Channel.VOICE)
        state = json.loads(envelope)
        if state.get("ended"):  # a USSD session that ended: its END again, nothing more
            return Outcome(reply=Reply(state["reply"], ended=True), duplicate=True, replay=True)
        session = DialogueSession.from_json(state["session"])
        script = script_versions.session_script(self.svc, session.script_id, session.script_version)
        if msg.channel == Channel.USSD:
            new_input = ussd_new_input(state.get("raw", ""), msg.text or "")
            if new_input is None:  # the same request again: same answer, recorded once
                return Outcome(reply=Reply(state["reply"]), language=session.language, replay=True)
            return _Loaded(session_key, script, session, [new_input], new=False,
                           reached=frozenset(state.get("reached") or ()))
        text, recording = msg.text, True
        if msg.channel == Channel.VOICE:
            pressed = self._on_call(msg, session_key, state, session, script)
            if isinstance(pressed, Outcome):
                return pressed
            text, recording = pressed, state.get("awaiting") == RECORD
        return _Loaded(session_key, script, session, [text], new=False,
                       reached=frozenset(state.get("reached") or ()), media=recording)

    def _on_call(self, msg: InboundMessage, session_key: str, state: dict,
                 session: DialogueSession, script: Script) -> str | Outcome:
        """A call's input, or what to answer without running the engine.

        Silence (no key before the timeout, nothing recorded) asks the same
        question once more, then ends the call politely: the answers so far
        stay resumable (the unfinished, kept by every turn).  The quick exit's
        first ``9``, where the menu has no option 9, is held for the next key.
        """
        held = state.get("held") or ""
        if held:
            return held + msg.text
        if msg.extra.get("media") and state.get("awaiting") != RECORD:
            # A recording the call did not ask for (only Record makes one):
            # ignored; keys pressed with it are still the answer.
            log.warning("recording ignored: the call was not asked to record")
            if not msg.text:
                return Outcome(reply=Reply(state["reply"]), language=session.language,
                               replay=True, awaiting=state.get("awaiting") or DIGITS,
                               script=script)
        if not msg.text and not msg.extra.get("media"):
            ttl = self.config["SESSION_TTL_MESSAGE"]
            if not state.get("silences"):
                state["silences"] = 1
                self.svc.redis.set(session_key, json.dumps(state, separators=(",", ":")), ex=ttl)
                return Outcome(reply=Reply(state["reply"]), language=session.language,
                               replay=True, awaiting=state.get("awaiting") or DIGITS,
                               script=script)
            self.svc.redis.delete(session_key)
            metrics.incr(self.svc, "mpaka_dialogue_abandonments", channel=str(msg.channel),
                         step=session.step or "", reason="timeout")
            log.info("dialogue ended", extra={"outcome": "silent", "language": session.language})
            return Outcome(reply=Reply(texts.text("voice.silent_end", session.language), ended=True),
                           language=session.language, replay=True, script=script)
        if msg.text == QUICK_EXIT_FIRST and script.settings.quick_exit == 2 * QUICK_EXIT_FIRST \
                and QUICK_EXIT_FIRST not in (state.get("options") or []):
            state["held"] = msg.text
            self.svc.redis.set(session_key, json.dumps(state, separators=(",", ":")),
                               ex=self.config["SESSION_TTL_MESSAGE"])
            return Outcome(reply=Reply(""), language=session.language, replay=True,
                           awaiting=DIGITS, script=script)
        return msg.text

    def _run_turns(self, msg: InboundMessage, loaded: _Loaded, now: float,
                   attachments: tuple[Attachment, ...], out):
        """Advance the pure engine once per input; stop at the end of the dialogue.
        Media go with the message's (first) input."""
        session, turn, funnel_turns = loaded.session, None, []
        reached = set(loaded.reached)
        location = shared_location(msg)
        for index, text in enumerate(loaded.inputs):
            if index > 0 and not self._takes_dialled_digits(loaded.script, session):
                break  # a dial string chooses from menus; it never writes or sends
            before = session.step
            # The funnel counts a step once per dialogue: what it was shown
            # already, including what a resumed unfinished had answered.
            seen = frozenset(reached | set(session.history) | set(session.answers)
                             | ({before} if before else set()))
            turn = advance(loaded.script, session, text, now,
                           attachments=attachments if index == 0 else (),
                           location=location if index == 0 else None)
            funnel_turns.append((loaded.script, before, turn.events, seen))
            session = turn.session
            reached |= self._funnel_reached(funnel_turns[-1:])
            metrics.observe_turn(out, msg.channel, turn, new=loaded.new and index == 0)
            if turn.ended:
                break
        return turn, funnel_turns

    @staticmethod
    def _funnel_reached(funnel_turns) -> set[str]:
        """Every step the dialogue was shown so far, kept with the session."""
        reached: set[str] = set()
        for _script, _before, events, seen in funnel_turns:
            reached |= seen | {e["step"] for e in events if e.get("type") == "step"}
        return reached

    @staticmethod
    def _takes_dialled_digits(script: Script, session: DialogueSession) -> bool:
        step = script.steps.get(session.step or "")
        return step is not None and step.kind in ("language", "choice")

    def _persist(self, msg: InboundMessage, loaded: _Loaded, turn, funnel_turns,
                 phone_hash: str, pipe) -> None:
        """Queued on ``pipe`` (the message's MULTI): the session (or its end),
        the unfinished, the funnel counters, and other channels' sessions of a
        finished report."""
        session = turn.session
        ttl = (
            self.config["SESSION_TTL_USSD"]
            if msg.channel == Channel.USSD
            else self.config["SESSION_TTL_MESSAGE"]  # a call too: a recording takes a minute
        )
        if turn.ended and msg.channel == Channel.USSD:
            # Remembered for the session's lifetime: a replayed final request
            # (a provider retry) gets the same END, never a second report.
            state = {"ended": True, "raw": msg.text or "", "reply": turn.reply}
            pipe.set(loaded.session_key, json.dumps(state, separators=(",", ":")), ex=ttl)
        elif turn.ended:
            pipe.delete(loaded.session_key)
        else:
            state = {"session": session.to_json(), "raw": msg.text or "", "reply": turn.reply,
                     "reached": sorted(self._funnel_reached(funnel_turns))}
            if msg.channel == Channel.VOICE:  # what the caller hears: the keys it offers
                state["awaiting"] = self._awaiting(loaded.script, session)
                state["options"] = spoken.options(spoken.parts(
                    loaded.script, session.language, turn.reply))
            pipe.set(loaded.session_key, json.dumps(state, separators=(",", ":")), ex=ttl)
        if session.language and session.language != loaded.session.language:
            # Remembered for the phone's next dialogue, as long as numbers are
            # kept.  Written only when chosen (never when a report is stored),
            # and expiring at a midnight: its TTL tells no time of day that could
            # be matched with an anonymous report's.
            day = self.clock.now().astimezone(UTC).date() + timedelta(
                days=self.config["RETENTION_DAYS"] + 1)
            pipe.set(keys.language(phone_hash), session.language,
                     exat=int(datetime.combine(day, time(), UTC).timestamp()))
        if turn.keep_unfinished and session.answers:
            pipe.set(keys.unfinished(phone_hash), session.to_json(), ex=self.config["RESUME_WINDOW"])
        elif not turn.keep_unfinished:
            pipe.delete(keys.unfinished(phone_hash))
        # Every count of a dialogue goes to the EAT day it began (funnel docstring).
        began = datetime.fromtimestamp(session.started_at, UTC)
        for script_used, before, events, seen in funnel_turns:
            funnel.buffer(pipe, script_used, events, before=before, seen=seen, began=began)
        if turn.report is not None:
            # A unfinished resumed on another channel must not be finished twice.
            pipe.delete(keys.session(Channel.SMS, phone_hash),
                        keys.session(Channel.WHATSAPP, phone_hash))

    def _store_report(self, report: dict, msg: InboundMessage, phone_hash: str, now) -> int | None:
        record = reports.record_from_turn(
            report, phone=msg.phone, protector=self.protector, channel=str(msg.channel),
            created_at=self.clock.now(),
        )
        try:
            # To the minute: the limit needs no more, and nothing finer may tie
            # this phone's hash to an anonymous report's creation time.
            within = self.svc.limiter.hit(ratelimit.REPORTS, phone_hash,
                                          limit=self.config["REPORTS_PER_HOUR"], window=3600,
                                          resolution=60)
        except RedisError:
            within = True  # a limit must never cost a report
        if not within:
            record["priority"] = Priority.LOW  # never discarded: kept for review, not alerted
        return reports.store(self.svc, record)

    def _load_unfinished(self, phone_hash: str,
                         entered) -> tuple[DialogueSession | None, str | None]:
        """The phone's resumable unfinished dialogue and its remembered language
        (as ``entered`` read them)."""
        raw, language = entered.unfinished, entered.language
        if raw is None:
            return None, language
        try:
            unfinished = DialogueSession.from_json(raw)
            script_versions.session_script(self.svc, unfinished.script_id, unfinished.script_version)
        except Exception:  # an unreadable unfinished must never block a new report
            log.warning("discarding unreadable unfinished")
            self.svc.redis.delete(keys.unfinished(phone_hash))
            return None, language
        return unfinished, language

    # -- ledger ------------------------------------------------------------
    def _record(self, msg: InboundMessage, outcome: Outcome, inline_reply: bool,
                out) -> tuple | None:
        """Ledger rows for the inbound message and an inline reply.

        With the reply inline (USSD, a call, TwiML) the exchange is complete:
        its rows go to the ledger stream on ``out``, with the session save
        (``gateway.store.ledger_stream``).  Otherwise the reply is queued with
        its own row (``queue_reply``), which must follow the inbound row: both
        are written to SQL directly, and a forgetting also goes to the stream,
        after any rows of the phone still waiting there.  A database outage
        loses these direct rows, never the dialogue.  Returns what went to
        the stream (rows, forgetting, time, exchange), for ``_handle`` to write
        directly if the ``MULTI`` fails."""
        phone_hash = self.protector.phone_hash(msg.phone)
        forget = None
        if outcome.forget is not None:
            how, since = outcome.forget
            forget = (how, since, phone_hash, msg.session_id if msg.channel in LIVE else None)
        rows = [ledger.inbound(msg, protector=self.protector)]
        if outcome.reply is not None and inline_reply:
            rows.append(self.reply_record(msg, outcome, status=MessageStatus.SENT))
        if forget is not None:
            for row in rows:  # this exchange, whatever the clocks say
                ledger.unlink(row, forget[0])
        at, exchange = utcnow(), ledger_stream.exchange_id()
        if inline_reply:
            ledger_stream.append(out, rows, forget=forget, at=at, exchange=exchange)
            return rows, forget, at, exchange
        if forget is not None:
            ledger_stream.append(out, [], forget=forget, at=at, exchange=exchange)
        try:
            with self.svc.db() as db:
                db.add_all(rows)
                if forget is not None:
                    db.flush()
                    ledger_stream.apply_forget(db, forget, until=at)
                db.commit()
        except SQLAlchemyError as exc:
            log.warning("ledger write failed: %s", type(exc).__name__)
        return None

    def queue_reply(self, msg: InboundMessage, outcome: Outcome) -> int | None:
        """For channels that ignore the webhook's response body (AT SMS): the
        reply becomes a queued ledger message, sent by a job.  If Redis is down
        the row stays queued and the sweeper sends it."""
        try:
            with self.svc.db() as db:
                row = self.reply_record(msg, outcome, status=MessageStatus.QUEUED)
                row.provider = outbox.provider_for(self.config, msg.channel)
                db.add(row)
                db.commit()
                message_id = row.id
        except SQLAlchemyError as exc:
            log.warning("could not queue reply: %s", type(exc).__name__)
            return None
        try:
            tasks.send_messages(self.svc, [message_id])
        except RedisError:
            log.warning("redis unavailable: reply %s left for the sweeper", message_id)
        return message_id

    def reply_record(self, msg: InboundMessage, outcome: Outcome, *, status: str):
        if outcome.forget is not None and status == MessageStatus.QUEUED:
            # Still to be sent: the number stays (encrypted) until the provider
            # has it, then the outbox drops it; no hash and no report beside it.
            return ledger.outbound(
                channel=msg.channel, provider=msg.provider, to=msg.phone,
                text=outcome.reply.text, status=status, protector=self.protector,
                sender=msg.to, forget_recipient_after_send=True,
            )
        return ledger.outbound(
            channel=msg.channel, provider=msg.provider, to=msg.phone,
            text=outcome.reply.text, status=status, protector=self.protector,
            sender=msg.to, report_id=outcome.report_id,
        )

    def unavailable_text(self) -> str:
        script = script_versions.fallback_script()
        return script.message("unavailable_multilingual")
