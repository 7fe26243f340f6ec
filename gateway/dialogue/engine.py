"""Advance a session by one input.  Pure: the clock and the reference come in
as arguments, and what happened goes out as a Turn (reply, events, report) for
the host to persist and send.

Reserved inputs at every step: ``0`` back (one page, else one step), ``00``
back to the start keeping answers, ``98`` next menu page (USSD and SMS), and the
script's quick exit (``99``).  SMS and WhatsApp also honour the keywords at
every step: stop ends, help answers and asks the same question again (no
strike), a start keyword offers to continue or start again.
"""

from __future__ import annotations

import dataclasses
import re

from gateway.vocab import Channel

from . import matching, places, render
from .gsm import normalise_punctuation, screen_cost
from .script import CHANNELS, SEVERITIES, Place, Script, Step
from .session import ASK, CHANGE, KEEP, NAME, NEW, PLACE, RESUME, Attachment, DialogueSession, Turn

MAX_ATTACHMENTS = 10  # media ids one session carries at most (the host limits them too)
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def new_session(script: Script, channel: str, now: float, reference: str,
                unfinished: DialogueSession | None = None,
                language: str | None = None) -> DialogueSession:
    """A session before its first screen.  ``unfinished`` is the phone's unfinished
    earlier session, offered for resuming if this script can still run it;
    ``language`` the one the phone chose last time, used instead of asking (the
    first question then offers ``0`` to change it)."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    first = script.steps[script.start]
    remembered = language if first.kind == "language" and language in script.languages else None
    return DialogueSession(
        script_id=script.id, script_version=script.version, channel=channel,
        reference=reference, started_at=now, updated_at=now,
        unfinished=_resumable(script, unfinished),
        language=remembered, remembered=remembered is not None,
    )


def _resumable(script: Script, unfinished: DialogueSession | None) -> dict[str, object] | None:
    if unfinished is None:
        return None
    if unfinished.mode == RESUME and unfinished.unfinished:  # dropped while being offered a resume
        unfinished = DialogueSession.from_dict(unfinished.unfinished)
    step = script.steps.get(unfinished.step) if unfinished.step else None
    if unfinished.script_id != script.id or step is None or step.kind == "end" or not unfinished.answers:
        return None
    if any(sid not in script.steps for sid in unfinished.history):
        return None  # the script changed under it: offering it would mislead
    data = unfinished.to_dict()
    data.pop("unfinished", None)
    return data


def advance(script: Script, session: DialogueSession, text: str | None, now: float,
            attachments: tuple[Attachment, ...] = (),
            location: tuple[float, float] | None = None) -> Turn:
    """Apply one input (USSD: the newest input only; SMS: the message body;
    WhatsApp: also a shared ``location``, (latitude, longitude)).

    ``attachments``: media that came with the input (WhatsApp).  They are
    kept with the session and go with the report.  At a free-text step a
    photo or voice note is a description: its caption when that is long
    enough, else its label (with any short caption).  Anywhere else media
    without words cost no strike: the question is simply asked again.
    """
    session = session.copy()
    session.updated_at = now
    for attachment in attachments:
        if attachment.key and attachment.key not in session.attachments \
                and len(session.attachments) < MAX_ATTACHMENTS:
            session.attachments.append(attachment.key)
    run = _Run(script, session, now)
    if attachments:
        return run.with_media(text or "", attachments[0])
    return run.input(text or "", location)


def keyword(text: str) -> str:
    """A message reduced to a keyword candidate: '  report! ' -> 'report'."""
    return _EDGES.sub("", text).casefold()


class _Run:
    def __init__(self, script: Script, session: DialogueSession, now: float):
        self.script, self.s, self.now = script, session, now
        self.events: list[dict[str, object]] = []
        self.discarded: list[str] = []  # media ids a new answer replaced
        self.moves = 0

    # -- outcomes ---------------------------------------------------------------
    @property
    def lang(self) -> str:
        return self.s.language or self.script.base_language

    def turn(self, reply: str, ended: bool = False, report: dict[str, object] | None = None,
             keep_unfinished: bool | None = None, session: DialogueSession | None = None) -> Turn:
        s = session or self.s
        if keep_unfinished is None:
            keep_unfinished = bool(s.answers or s.unfinished)
        return Turn(s, reply, ended, report, self.events, keep_unfinished,
                    discarded=tuple(self.discarded))

    def end(self, reply: str, keep_unfinished: bool, report: dict[str, object] | None = None) -> Turn:
        return self.turn(reply, ended=True, report=report, keep_unfinished=keep_unfinished)

    def event(self, kind: str, **data: object) -> None:
        self.events.append({"type": kind, **data})

    # -- entry -------------------------------------------------------------------
    def input(self, raw_text: str, location: tuple[float, float] | None = None) -> Turn:
        s, settings = self.s, self.script.settings
        text = normalise_punctuation(raw_text).strip()
        if text == settings.quick_exit:
            self.event("quick_exit")
            s.unfinished = None
            return self.end(self.script.message("quick_exit", self.lang), keep_unfinished=False)
        if s.channel != Channel.USSD and self.keyword_language("stop", text) is not None:
            # ACHA, JOOJI: that word's language; STOP (the base language's word,
            # known to all): the dialogue's language
            lang = self.keyword_language("stop", text)
            if lang == self.script.base_language and s.language:
                lang = s.language
            self.event("cancelled", via="stop")
            s.unfinished = None
            return self.end(self.script.message("stopped", lang), keep_unfinished=False)
        if location is not None:
            s.location = [round(location[0], 5), round(location[1], 5)]
            if s.mode not in (NEW, RESUME):
                return self.on_location(location)
        if s.mode == NEW:
            return self.begin(text)
        if s.channel != Channel.USSD and s.step is not None:
            turn = self.keyword_mid_dialogue(text)
            if turn is not None:
                return turn
        if s.mode == RESUME:
            return self.on_resume(text)
        if text == render.RESTART:
            self.event("restart")
            s.history, s.returning = [], False
            return self.goto(self.script.start)
        if s.mode == CHANGE:
            return self.on_change(text)
        if text == render.BACK and s.mode in (PLACE, NAME):
            return self.to_question()
        if text == render.BACK:
            return self.back()
        step = self.on_screen()
        if s.mode == PLACE:
            return self.on_place(text)
        if s.mode == NAME:
            return self.on_name(step, text)
        if step.kind == "text":
            return self.on_text(step, text)
        return self.on_menu(step, text)

    def with_media(self, raw_text: str, attachment: Attachment) -> Turn:
        """An input that came with a photo, voice note or video."""
        s = self.s
        text = normalise_punctuation(raw_text).strip()
        self.event("attachment", media=attachment.kind)
        reserved = text in (self.script.settings.quick_exit, render.BACK, render.RESTART) or (
            s.channel != Channel.USSD and self.keyword_language("stop", text) is not None)
        if text and (reserved or s.mode in (NEW, RESUME)):
            return self.input(raw_text)
        if not attachment.kind and not text and s.mode != NEW:
            # A file that could not be taken (a document): the question again, no strike.
            return self.turn(self.current_screen())
        step = self.script.steps.get(s.step or "") if s.mode in (ASK, KEEP) else None
        if step is not None and step.kind == "text" and step.field:  # report data, not a lookup
            if s.mode == KEEP and text and len(text) <= 4:  # "1": keep, "2": write anew
                return self.on_text(step, text)
            self.answered_by(step, [attachment.key] if attachment.key else [])
            if len(text) >= step.min_length:
                s.proposed = None
                return self.forward(step, self.shortened(step, text)[0])
            # The media is the description; a short caption goes with its label.
            s.proposed, s.mode = None, ASK
            described = " ".join(filter(None, [attachment.label, text]))
            return self.forward(step, self.shortened(step, described)[0])
        if text or s.mode == NEW:
            return self.input(raw_text)
        # Media without words at a menu: no answer, no strike; the question again.
        return self.turn(self.current_screen())

    def current_screen(self) -> str:
        """The screen on show, whatever the mode (asked again, unchanged)."""
        s, script = self.s, self.script
        if s.mode == RESUME:
            return render.resume_screen(script, self.unfinished_language())
        if s.mode == CHANGE:
            return render.change_screen(script, self.lang, render.change_items(
                script, s.answers, s.history, self.lang))
        if s.mode == PLACE:
            return self.place_screen()
        if s.mode == NAME:
            return self.name_screen(self.on_screen())
        return self.screen(self.on_screen())

    def on_screen(self) -> Step:
        """The step being shown: set (by ``goto``) whenever the mode is not NEW."""
        return self.script.steps[self.s.step or ""]

    def keyword_language(self, kind: str, text: str) -> str | None:
        words = self.script.settings.keywords.get(kind, {})
        return words.get(keyword(text)) if text else None

    def keyword_mid_dialogue(self, text: str) -> Turn | None:
        """Help: the help text, then the same question (no strike).  A start
        keyword: the dialogue so far is offered to continue or start again."""
        s, script = self.s, self.script
        help_lang = self.keyword_language("help", text)
        if help_lang is not None:
            self.event("help", step=s.step)
            return self.turn(render.join(script.message("help", self.lang),
                                         script.message("help_then", self.lang),
                                         self.current_screen()))
        start_lang = self.keyword_language("start", text)
        if start_lang is None or s.mode == RESUME:
            return None
        self.event("restart", via="keyword")
        answered = any(script.steps[sid].kind != "language" for sid in s.answers
                       if sid in script.steps)
        unfinished = _resumable(script, s) if answered else None
        s.history, s.answers, s.remembered = [], {}, False
        s.language = start_lang  # starting again: in the keyword's language
        if unfinished is None:  # nothing answered yet: simply start
            return self.start_fresh()
        s.unfinished, s.mode = unfinished, RESUME
        return self.turn(render.resume_screen(script, self.unfinished_language(), in_progress=True))

    def begin(self, text: str) -> Turn:
        s = self.s
        if s.channel != Channel.USSD:
            help_lang = self.keyword_language("help", text)
            if help_lang is not None:
                # No new session; an earlier unfinished stays as it was.
                unfinished = DialogueSession.from_dict(s.unfinished) if s.unfinished else s
                return self.turn(self.script.message("help", help_lang), ended=True,
                                 keep_unfinished=bool(s.unfinished), session=unfinished)
            first, _space, rest = text.partition(" ")
            start_lang = self.keyword_language("start", text) or self.keyword_language(
                "start", first)
            if start_lang is not None:  # "RIPOTI", or "RIPOTI watu wenye bunduki ..."
                s.language, s.remembered = start_lang, False
                text = "" if self.keyword_language("start", text) else rest.strip()
            if text and not self.small_talk(text):
                # bounded: one character more than is kept tells it was cut
                s.proposed = text[: self.script.settings.long_text_chars + 1]
                if start_lang is not None:  # a report in one message: ask only what is missing
                    s.one_message = True
                    s.guesses = matching.guess(text, self.script.settings.guess)
                    self.place_in(text)
            text = ""
        if s.unfinished:
            s.mode = RESUME
            return self.turn(render.resume_screen(self.script, self.unfinished_language()))
        return self.start_fresh(then=text)

    def start_fresh(self, then: str = "") -> Turn:
        s, start = self.s, self.script.steps[self.script.start]
        if start.kind == "language" and s.language:  # a start keyword already chose it
            s.answers[start.id] = s.language
            s.history = [start.id]
            turn = self.goto(self.script.next_after(start, s.language))
        else:
            turn = self.goto(start.id)
        if then and not turn.ended:  # USSD dial string with a pre-filled choice
            return self.input(then)
        return turn

    # -- resume ----------------------------------------------------------------
    def unfinished_language(self) -> str:
        language = (self.s.unfinished or {}).get("language")
        return language if isinstance(language, str) and language else self.lang

    def on_resume(self, text: str) -> Turn:
        s = self.s
        if text == "1":
            old = DialogueSession.from_dict(s.unfinished)
            s.answers, s.history, s.language = old.answers, old.history, old.language
            s.reference, s.started_at = old.reference, old.started_at
            s.proposed = s.proposed or old.proposed
            s.attachments = list(dict.fromkeys(old.attachments + s.attachments))[:MAX_ATTACHMENTS]
            s.preset, s.place = old.preset, old.place
            s.described = old.described
            s.location = s.location or old.location
            s.unfinished = None
            self.event("resumed")
            return self.goto(old.step)
        if text == "2":
            s.unfinished = None
            return self.start_fresh()
        lang = self.unfinished_language()
        return self.invalid(self.script.message("invalid", lang),
                            render.resume_screen(self.script, lang))

    # -- moving between steps ------------------------------------------------------
    def goto(self, step_id: str | None) -> Turn:
        s = self.s
        self.moves += 1
        step = self.script.steps.get(step_id) if step_id is not None else None
        if step is None or self.moves > self.script.settings.max_steps_per_turn:
            # Lint rules this out for published scripts; never loop or crash on it.
            self.event("error", reason="no_step" if step is None else "step_limit")
            return self.end(self.script.message("unavailable", self.lang), keep_unfinished=True)
        s.step, s.page, s.strikes, s.mode, s.pending = step.id, 0, 0, ASK, None
        self.event("step", step=step.id)
        if step.id in s.preset:  # a place named or shared before this question
            return self.forward(step, s.preset.pop(step.id))  # gazetteer options have no next
        understood = self.understood(step)
        if understood is not None:
            self.event("guessed", step=step.id)
            return self.forward(step, understood)
        if step.kind == "end" and step.lookup:
            return self.lookup(step)
        if step.kind == "end":
            return self.complete(step)
        if step.kind == "text" and self.kept_text(step):
            s.mode = KEEP
        return self.turn(self.screen(step))

    def understood(self, step: Step) -> str | None:
        """The answer a one-message report already gave to ``step``, used once:
        its text for the first text step that fills a field, a guessed option
        for a menu (only one the menu offers)."""
        s = self.s
        if not s.one_message:
            return None
        if step.kind == "text" and step.field and s.proposed:
            text, s.proposed = s.proposed, None
            return self.shortened(step, text)[0] if len(text) >= step.min_length else None
        value = s.guesses.pop(step.id, None)
        if step.kind != "choice" or value is None:
            return None
        offered = {v for v, _label in self.script.options(step, s.answers, self.lang, s.channel)}
        return value if value in offered else None

    def place_in(self, text: str) -> None:
        """A one-message report naming one known place ("... karibu na Kakuma"):
        it answers the county and sub-county when they come (shown on the
        confirm screen, where Change fixes it)."""
        s, pair = self.s, self.script.place_steps()
        found = places.find(self.script.places, text, spelling=False) if pair else ()
        if pair is not None and len(found) == 1:
            s.preset.update({pair[0].id: found[0].county, pair[1].id: found[0].sub_county})
            s.place = found[0].name

    def back(self) -> Turn:
        s = self.s
        if s.page > 0:
            s.page -= 1
            return self.turn(self.screen(self.on_screen()))
        if not s.history:  # nothing before this step: show it again
            return self.turn(self.screen(self.on_screen()))
        self.event("back")
        return self.goto(s.history.pop())

    def forward(self, step: Step, value: str) -> Turn:
        s = self.s
        s.answers[step.id] = value
        if step.kind == "language" and value in self.script.languages:
            s.language, s.remembered = value, False
        if step.id not in s.history:
            s.history.append(step.id)
        following = self.script.next_after(step, value)
        if s.returning:  # a changed answer: back to the confirm screen, unless a
            after = self.script.steps.get(following or "")  # step filtered by it follows
            if after is None or after.filter_by != step.id:
                s.returning = False
                return self.goto(self.confirm_step())
        return self.goto(following)

    def confirm_step(self) -> str | None:
        return next((sid for sid, st in self.script.steps.items() if st.kind == "confirm"), None)

    def invalid(self, error: str, screen: str) -> Turn:
        s = self.s
        s.strikes += 1
        self.event("invalid", step=s.step)
        if s.strikes >= self.script.settings.max_invalid:
            self.event("strikes_out", step=s.step)
            lang = self.unfinished_language() if s.mode == RESUME else self.lang
            return self.end(self.script.message("strikes_out", lang), keep_unfinished=True)
        return self.turn(render.with_error(error, screen))

    # -- screens and answers ------------------------------------------------------
    def answered_by(self, step: Step, keys: list[str]) -> None:
        """``step`` answered anew, by the media ``keys`` (none: by words): the
        media of its earlier answer leave the dialogue (a description recorded
        again keeps only the new recording)."""
        s = self.s
        earlier = [k for k in s.described.pop(step.id, []) if k not in keys]
        if earlier:
            s.attachments = [k for k in s.attachments if k not in earlier]
            self.discarded.extend(earlier)
            self.event("media_replaced", step=step.id, count=len(earlier))
        if keys:
            s.described[step.id] = list(keys)

    def kept_text(self, step: Step) -> str | None:
        s = self.s
        # A first SMS's text is offered only where report data is asked for.
        for text in (s.proposed if step.field else None, s.answers.get(step.id)):
            if text and len(text) >= step.min_length:
                return self.shortened(step, text)[0]
        return None

    def text_limit(self, step: Step) -> int:
        """The longest text kept: the step's ``max`` on USSD; on SMS and WhatsApp
        as long as a concatenated SMS (``settings.long_text_chars``), if longer."""
        if self.s.channel == Channel.USSD:
            return step.max_length
        return max(step.max_length, self.script.settings.long_text_chars)

    def shortened(self, step: Step, text: str) -> tuple[str, bool]:
        """``text`` cut to the step's limit at a word where one is near (never
        refused: what the reporter wrote is kept), and whether it was cut."""
        limit = self.text_limit(step)
        if len(text) <= limit:
            return text, False
        cut = text[: limit - 3]
        space = cut.rfind(" ")
        if space >= limit * 3 // 4:
            cut = cut[:space]
        return cut.rstrip() + "...", True

    def language_hint(self, step: Step) -> str:
        """On the first question after a remembered language: ``0`` changes it."""
        s, script = self.s, self.script
        start = script.steps[script.start]
        # (whatever the page: the pages are cut with the line on the first one)
        if not s.remembered or s.history != [start.id] or step.id == start.id:
            return ""
        return script.message("change_language", self.lang)

    def screen(self, step: Step) -> str:
        s, script = self.s, self.script
        if step.kind == "text":
            kept = self.kept_text(step) if s.mode == KEEP else None
            if kept is not None:  # KEEP is only entered when there is a text to keep
                return render.keep_screen(script, step, self.lang, kept, s.channel)
            return script.step_text(step, "prompt", self.lang)
        if step.kind == "confirm":
            pair = script.place_steps()
            place = (pair[0].id, pair[1].id, s.place) if pair is not None and s.place else None
            return render.confirm_screen(script, step, self.lang, s.answers, s.history, s.channel,
                                         place, render.reserve_for(script, step, self.lang))
        text, _pages = render.choice_screen(script, step, self.lang, s.channel, s.answers, s.page,
                                            self.language_hint(step))
        return text

    def on_menu(self, step: Step, text: str) -> Turn:
        s, script = self.s, self.script
        if step.kind != "confirm" and text == render.MORE and render.screen_budget(
                script, s.channel) is not None:
            _text, pages = render.choice_screen(script, step, self.lang, s.channel, s.answers,
                                                s.page, self.language_hint(step))
            if s.page < pages - 1:
                s.page += 1
                return self.turn(self.screen(step))
        number = matching.number_of(text)
        if (s.channel == Channel.USSD and step.kind != "confirm" and number is not None
                and number not in render.page_options(script, step, self.lang, s.channel,
                                                      s.answers, s.page, self.language_hint(step))):
            # A keypad slip (9 beside 98) or a number remembered from another
            # menu must not choose an option the caller cannot see.
            return self.invalid(render.invalid_text(script, step, self.lang), self.screen(step))
        options = script.options(step, s.answers, self.lang, s.channel)
        found = matching.match(options, text, self.yes_no(), self.reserved_words())
        if found.candidates:  # two options fit as well: ask, listing just those (no strike)
            question = render.which_one(script, self.lang, options, found.candidates)
            if s.channel != Channel.USSD or screen_cost(question) <= script.settings.ussd_screen_chars:
                self.event("ambiguous", step=step.id, candidates=list(found.candidates))
                return self.turn(question)
        value = found.value
        pair = script.place_steps()
        at_place = pair is not None and step in pair
        if value is None and at_place:
            named = places.find(script.places, text)
            if named:  # a town, market or border crossing: confirm, or ask which
                return self.offer(named, via="name")
        if value is None and step.kind == "confirm" and self.yes_no().get(
                matching.normalise(text)) == "no":
            value = "change"  # "hapana" to "Send this report?": what to change, not a strike
        if value is None:
            return self.invalid(render.invalid_text(script, step, self.lang), self.screen(step))
        if step.kind == "confirm":
            return self.confirm(step, value)
        if at_place and value == self.ask_name(step):
            s.mode = NAME
            return self.turn(self.name_screen(step))
        if at_place:
            s.place = None  # chosen from the menu: no place name goes with it
        return self.forward(step, value)

    def says_nothing(self, text: str) -> bool:
        """A menu-style answer where words are asked for: a yes or no word
        ("ndio", "haa") or a bare number ("1."), a slip that would otherwise be
        stored as the description."""
        said = matching.normalise(text)
        return said in self.yes_no() or matching.number_of(text) is not None and not any(
            ch.isalpha() for ch in text)

    def small_talk(self, text: str) -> bool:
        """A greeting or politeness only ("Habari", "hello", "tafadhali"): never
        offered back as a description."""
        words = self.script.settings.keywords.get("small_talk", {})
        said = matching.normalise(text).split()
        known = {matching.normalise(word) for word in words}
        return bool(said) and all(word in known for word in said)

    # -- places: named, shared, or a county by name -----------------------------------
    def ask_name(self, step: Step) -> str | None:
        gaz = self.script.lists[str(step.options_from)]  # a place step's list exists (lint)
        return gaz.ask_name if gaz.unlisted else None

    def back_mode(self) -> str:
        """The mode a place offer returns to (the question as it was)."""
        return str((self.s.pending or {}).get("back") or ASK)

    def offer(self, found: tuple[Place, ...], via: str) -> Turn:
        s, script = self.s, self.script
        listed = [{"name": p.name, "county": p.county, "sub_county": p.sub_county} for p in found]
        if s.channel == Channel.USSD and screen_cost(
                render.place_screen(script, self.lang, listed)) > script.settings.ussd_screen_chars:
            # Too many to list on one USSD screen: never guess, ask the question again.
            return self.invalid(script.message("invalid", self.lang),
                                self.question_screen(self.on_screen()))
        back = s.mode if s.mode in (ASK, KEEP, NAME) else self.back_mode()
        s.pending = {"places": listed, "back": back, "via": via}
        s.mode = PLACE
        self.event("place_offered", via=via, count=len(found))
        return self.turn(self.place_screen())

    def offered(self) -> list[dict[str, str]]:
        raw = (self.s.pending or {}).get("places")
        return [p for p in raw if isinstance(p, dict)] if isinstance(raw, list) else []

    def place_screen(self) -> str:
        return render.place_screen(self.script, self.lang, self.offered())

    def name_screen(self, step: Step) -> str:
        return (self.script.message("county_name", self.lang)
                or self.script.step_text(step, "prompt", self.lang))

    def question_screen(self, step: Step) -> str:
        return self.name_screen(step) if self.s.mode == NAME else self.screen(step)

    def to_question(self) -> Turn:
        """Back from a place offer (No, or 0) to the question it came from, no strike."""
        s = self.s
        s.mode, s.pending = self.back_mode(), None  # in NAME mode nothing is pending: ASK
        return self.turn(self.question_screen(self.on_screen()))

    def on_place(self, text: str) -> Turn:
        script, lang, offered = self.script, self.lang, self.offered()
        options = render.place_answers(script, lang, offered)
        found = matching.match(options, text, self.yes_no(), self.reserved_words())
        if found.value == "no":
            self.event("place_declined")
            return self.to_question()
        if found.value == "yes":
            return self.accept(offered[0])
        if found.value is not None:
            return self.accept(offered[int(found.value)])
        return self.invalid(script.message("invalid", lang), self.place_screen())

    def accept(self, place: dict[str, str]) -> Turn:
        """The place is right: it answers the county and sub-county questions,
        now if they are on screen, else when they come (or where answered)."""
        s, pair = self.s, self.script.place_steps()
        assert pair is not None  # places are offered only by scripts that ask both
        county_step, sub_step = pair
        back = self.back_mode()
        s.place, s.pending = place["name"], None
        self.event("place", sub_county=place["sub_county"])
        values = {county_step.id: place["county"], sub_step.id: place["sub_county"]}
        step = self.on_screen()
        if step.id in values:
            if county_step.id in s.history:
                s.history = s.history[: s.history.index(county_step.id)]
            s.preset.update(values)
            return self.goto(county_step.id)
        if county_step.id in s.history:
            s.answers.update(values)
            if sub_step.id not in s.history:
                s.history.insert(s.history.index(county_step.id) + 1, sub_step.id)
        else:
            s.preset.update(values)
        s.mode = back
        return self.turn(self.question_screen(step))

    def on_location(self, at: tuple[float, float]) -> Turn:
        """A shared location: the nearest known place within reach is offered
        (one line to confirm); outside the known area the coordinates are kept
        and the question on screen is asked as usual."""
        s = self.s
        place = places.nearest(self.script.places, at) if self.script.place_steps() else None
        if place is not None:
            return self.offer((place,), via="location")
        self.event("location", near=False)
        if s.mode == PLACE:
            s.mode, s.pending = self.back_mode(), None
        return self.turn(render.join(self.script.message("location_kept", self.lang),
                                     self.question_screen(self.on_screen())))

    def on_name(self, step: Step, text: str) -> Turn:
        """"Other county": any of Kenya's counties by name, or a place."""
        s, script = self.s, self.script
        pair = script.place_steps()
        if pair is None or step is not pair[0]:  # a stored session this step does not fit
            s.mode = ASK
            return self.on_menu(step, text)
        gaz = script.lists[str(step.options_from)]
        counties = [(v, script.list_label(gaz, v, self.lang)) for v in (*gaz.names, *gaz.unlisted)]
        found = places.county(counties, text)
        if len(found) == 1:
            value = found[0]
            s.mode, s.place = ASK, None
            if value in gaz.names:
                return self.forward(step, value)
            # A county without sub-counties here: its sub-county is not asked.
            s.answers[step.id], s.place = value, gaz.unlisted[value]
            s.history.append(step.id)
            self.event("county_by_name", listed=False)
            return self.goto(script.next_after(pair[1]))
        if found:
            self.event("ambiguous", step=step.id, candidates=list(found))
            return self.turn(render.join(render.which_question(script, self.lang),
                                         *(label for value, label in counties if value in found)))
        named = places.find(script.places, text)
        if named:
            return self.offer(named, via="name")
        return self.invalid(script.message("invalid", self.lang), self.name_screen(step))

    def reserved_words(self) -> frozenset[str]:
        """The script's start, help and stop keywords, normalised."""
        kinds = ("start", "help", "stop")
        return frozenset(matching.normalise(word) for kind in kinds
                         for word in self.script.settings.keywords.get(kind, {}))

    def yes_no(self) -> dict[str, str]:
        """Yes and no words of every language of the script, normalised."""
        words: dict[str, str] = {}
        for meaning in ("yes", "no"):
            for word in self.script.settings.keywords.get(meaning, {}):
                words[matching.normalise(word)] = meaning
        return words

    def on_text(self, step: Step, text: str) -> Turn:
        s = self.s
        if s.mode == KEEP:
            kept = self.kept_text(step)
            # "1", "1.", "#1", a yes word: keep; "2" or a no word: write anew.
            meaning = self.yes_no().get(matching.normalise(text))
            choice = {"yes": render.KEEP, "no": render.REWRITE}.get(meaning or "") or (
                matching.match([(render.KEEP, ""), (render.REWRITE, "")], text).value
                if len(text) <= 4 else None)
            if choice == render.KEEP and kept is not None:  # not None: see goto
                s.proposed = None
                return self.forward(step, kept)
            if choice == render.REWRITE:
                s.proposed, s.mode = None, ASK
                return self.turn(self.screen(step))
        if len(text) < step.min_length or (step.field and self.says_nothing(text)):
            return self.invalid(self.script.error_text(step, "too_short", self.lang),
                                self.screen(step))
        s.proposed = None
        self.answered_by(step, [])  # typed words replace a recorded description
        kept, cut = self.shortened(step, text)
        turn = self.forward(step, kept)
        if not cut:
            return turn
        self.event("shortened", step=step.id, length=len(text))
        notice = self.script.message("shortened", self.lang).replace(
            "{max}", str(self.text_limit(step)))
        reply = render.join(notice, turn.reply)
        budget = render.screen_budget(self.script, s.channel)
        if s.channel == Channel.USSD and budget is not None and screen_cost(reply) > budget:
            return turn  # a USSD screen has no room for the notice: the text is still kept
        return dataclasses.replace(turn, reply=reply)

    # -- the end ---------------------------------------------------------------------
    def confirm(self, step: Step, value: str) -> Turn:
        s = self.s
        if value == "cancel":
            self.event("cancelled", via="confirm")
            return self.end(self.script.message("cancelled", self.lang), keep_unfinished=False)
        if value == "change":
            items = render.change_items(self.script, s.answers, s.history, self.lang)
            if step.change_to is None and len(items) > 1:
                s.mode = CHANGE  # which part? then straight back here
                return self.turn(render.change_screen(self.script, self.lang, items))
            target = step.change_to or self.first_data_step()
            if target in s.history:
                s.history = s.history[: s.history.index(target)]
            self.event("back", to=target)
            return self.goto(target)
        s.history.append(step.id)
        return self.goto(self.script.next_after(step, value))

    def on_change(self, text: str) -> Turn:
        """The answer to "What to change?": the part to ask again, or 0 for the
        confirm screen."""
        s, script = self.s, self.script
        items = render.change_items(script, s.answers, s.history, self.lang)
        if text == render.BACK:
            return self.goto(self.confirm_step())
        found = matching.match([(sid, name) for sid, name in items], text)
        if found.value is None:
            s.strikes += 1
            self.event("invalid", step=s.step)
            if s.strikes >= script.settings.max_invalid:
                self.event("strikes_out", step=s.step)
                return self.end(script.message("strikes_out", self.lang), keep_unfinished=True)
            return self.turn(render.with_error(script.message("invalid", self.lang),
                                               render.change_screen(script, self.lang, items)))
        s.returning = True
        self.event("back", to=found.value)
        return self.goto(found.value)

    def first_data_step(self) -> str:
        for sid in self.s.history:
            if self.script.steps[sid].kind != "language":
                return sid
        return self.script.start

    def lookup(self, end: Step) -> Turn:
        """End without a report: the host answers the query (a status check)."""
        query = self.s.answers.get(end.lookup_from) if end.lookup_from else None
        self.event("lookup", lookup=end.lookup)
        turn = self.end("", keep_unfinished=False)
        return dataclasses.replace(turn, ended=True, report=None, keep_unfinished=False,
                                   lookup={"kind": end.lookup, "query": query,
                                           "language": self.lang})

    def complete(self, end: Step) -> Turn:
        s, script = self.s, self.script
        path = [script.steps[sid] for sid in s.history if sid in script.steps]
        answers = {step.id: s.answers[step.id] for step in path if step.id in s.answers}
        fields: dict[str, str | None] = {
            step.field: None for step in script.steps.values() if step.field
        }
        severity = script.settings.default_severity
        for step in path:
            if step.field:
                fields[step.field] = answers.get(step.id)
            chosen = script.severity(step, answers.get(step.id))
            if chosen and SEVERITIES.index(chosen) > SEVERITIES.index(severity):
                severity = chosen
        report: dict[str, object] = {
            "fields": fields, "severity": severity, "language": self.lang,
            "reference": s.reference, "script_id": script.id,
            "script_version": script.version, "channel": s.channel,
            "started_at": s.started_at, "finished_at": self.now, "answers": answers,
        }
        if s.attachments:
            report["attachments"] = list(s.attachments)
        if s.place:  # the place named, as the gazetteer names it
            report["place"] = s.place
        if s.location:  # a shared location, [latitude, longitude]
            report["location"] = list(s.location)
        self.event("completed", severity=severity)
        return self.end(render.end_screen(script, end, self.lang, s.reference), keep_unfinished=False,
                        report=report)
