"""The script model: steps, languages, settings, texts and gazetteer lists.

A Script is immutable and holds only structure plus the texts exactly as the
YAML gave them.  Every text is addressed by a flat key, the same in every
language, so lookups, fallbacks and translation coverage share one scheme:

    messages.<name>                     system messages (invalid input, help...)
    steps.<step>.prompt|text|summary    a step's own texts
    steps.<step>.options.<value>        an option label
    steps.<step>.errors.<name>          a step's own error messages
    gazetteer.<list>.<value>            a translatable gazetteer label

build.py turns parsed YAML into a Script; docs/dialogue-scripts.md shows the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.vocab import Channel, Severity

STEP_KINDS = ("language", "choice", "text", "confirm", "end")
LOOKUPS = ("status",)
CONFIRM_VALUES = ("send", "change", "cancel")
#: Severities, least severe first (the engine keeps the most severe chosen).
SEVERITIES: tuple[str, ...] = tuple(Severity)
CHANNELS: tuple[str, ...] = tuple(Channel)
#: start/help/stop: words that act at the start of an SMS dialogue; yes/no:
#: words that choose a "yes" (or "send") or a "no" option in any menu.
#: Review states of a translated text (docs/dialogue-scripts.md, "Review state").
DRAFT, REVIEWED = "draft", "reviewed"
#: ``callback``: a message asking to be called back (``gateway.intake.callback``).
KEYWORD_KINDS = ("start", "help", "stop", "yes", "no", "small_talk", "callback")
# System messages every script must define in its base language.
#: Messages a script may leave out (added after scripts were written): without
#: them the screen simply omits the line.
OPTIONAL_MESSAGE_KEYS = ("sent_earlier", "words_received", "which_one", "shortened",
                         "change_language", "help_then", "in_progress", "change_which",
                         "place_check", "place_yes", "place_no", "county_name", "location_kept",
                         "too_long")  # unused since long texts are kept, shortened
MESSAGE_KEYS = (
    "invalid", "too_short", "strikes_out", "quick_exit", "resume", "continue",
    "start_over", "help", "stopped", "cancelled", "you_wrote", "use_this", "write_new",
    "more", "back", "unavailable", "unavailable_multilingual",
)


@dataclass(frozen=True)
class Option:
    value: str
    next: str | None = None
    severity: str | None = None


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    field: str | None = None
    options: tuple[Option, ...] = ()
    options_from: str | None = None  # a gazetteer list name
    filter_by: str | None = None  # the step whose answer picks the list's group
    next: str | None = None
    min_length: int = 1
    max_length: int = 300
    change_to: str | None = None  # confirm: where "Change" goes
    # end: instead of completing a report, ask the host to look something up
    # (``status``: a report's stage) with the answer of step ``lookup_from``.
    lookup: str | None = None
    lookup_from: str | None = None


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    fallback: tuple[str, ...] = ()
    review: bool = False  # needs a native speaker's review
    #: With ``review``: the text keys a native speaker has checked
    #: (``translations.<code>.reviewed``); every other text of the language is a draft.
    reviewed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GazList:
    name: str
    names: dict[str, str]  # value -> proper noun, the same in every language
    # value -> translatable label as the YAML gave it; only the keys are read
    # here, the texts themselves are in Script.texts ("gazetteer.<list>.<value>").
    labels: dict[str, object]
    groups: dict[str, list[str]] | None = None  # group key -> [values]; None: one flat list
    always: tuple[str, ...] = ()  # values appended to every group
    # value -> proper noun of values understood when typed but never shown in
    # the menu (the counties beyond the five), and the option that asks for them
    unlisted: dict[str, str] = field(default_factory=dict)
    ask_name: str | None = None

    def values(self, group: str | None = None) -> list[str]:
        if self.groups is None:
            base = list(self.names) + list(self.labels)
        else:
            base = list(self.groups.get(group, ())) if group is not None else []
        return base + [v for v in self.always if v not in base]


@dataclass(frozen=True)
class Place:
    """A place residents name (a town, settlement, market, border crossing or
    water point) in a county and sub-county of the gazetteer's place lists.
    ``at`` is an approximate centre (latitude, longitude); None for the
    sub-counties themselves, which are known by name only."""

    name: str
    county: str
    sub_county: str
    aliases: tuple[str, ...] = ()
    at: tuple[float, float] | None = None
    kind: str = "town"


#: The gazetteer lists that places fill: the county and its sub-county.
PLACE_LISTS = ("counties", "sub_counties")
PLACE_KINDS = ("town", "settlement", "market", "border", "water", "camp", "sub_county")


@dataclass(frozen=True)
class Settings:
    ussd_screen_chars: int = 160
    sms_screen_chars: int = 160  # one GSM-7 segment: SMS menus are paged to fit it
    long_text_chars: int = 1000  # SMS/WhatsApp free text (a concatenated SMS); USSD keeps max
    quick_exit: str = "99"
    max_invalid: int = 3  # invalid answers in a row before the session ends
    max_steps_per_turn: int = 20  # guard against auto-advance loops
    default_severity: str = Severity.LOW
    quote_chars: int = 40  # how much of a kept text "You wrote: ..." repeats
    keywords: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> {WORD: language}
    #: step id -> {option value -> words or phrases, any language}: what a
    #: one-message report's text may answer without asking ("gunmen" -> armed_attack)
    guess: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Script:
    id: str
    version: str
    base_language: str
    languages: dict[str, Language]  # code -> Language, in menu order
    settings: Settings
    steps: dict[str, Step]  # id -> Step, in script order
    texts: dict[str, dict[str, str]]  # language -> {flat key -> text}
    lists: dict[str, GazList] = field(default_factory=dict)  # gazetteer list name -> GazList
    places: tuple[Place, ...] = ()  # the gazetteer's named places

    def place_steps(self) -> tuple[Step, Step] | None:
        """The county question and the sub-county question filtered by it, when
        the script asks both from the gazetteer's place lists."""
        county_list, sub_list = PLACE_LISTS
        for step in self.steps.values():
            parent = self.steps.get(step.filter_by or "")
            if (step.options_from == sub_list and parent is not None
                    and parent.options_from == county_list):
                return parent, step
        return None

    @property
    def start(self) -> str:
        return next(iter(self.steps))

    def chain(self, language: str | None) -> list[str]:
        """The language, its declared fallbacks, then the base language."""
        lang = self.languages.get(language or self.base_language)
        codes = [lang.code, *lang.fallback] if lang else []
        codes.append(self.base_language)
        return list(dict.fromkeys(codes))

    def text(self, key: str, language: str | None = None) -> str | None:
        for code in self.chain(language):
            value = self.texts.get(code, {}).get(key)
            if value is not None:
                return value
        return None

    def multilingual_keys(self) -> set[str]:
        """Texts shown before a language is known, so written in several at once."""
        keys = {"messages.unavailable_multilingual"}
        for st in self.steps.values():
            if st.kind == "language":
                keys.add(f"steps.{st.id}.prompt")
                keys.update(f"steps.{st.id}.options.{o.value}" for o in st.options)
        return keys

    def translatable_keys(self) -> list[str]:
        """Every text a translation of this script should give (coverage counts them)."""
        multilingual = self.multilingual_keys()
        return [k for k in self.texts.get(self.base_language, {}) if k not in multilingual]

    def review_state(self, language: str, key: str) -> str | None:
        """``reviewed`` or ``draft`` for a text the language gives itself, else None.

        The base language, and a language not marked ``review: true``, are
        reviewed throughout; a ``review: true`` language only in the keys it
        lists under ``translations.<code>.reviewed``."""
        lang = self.languages.get(language)
        if lang is None or key not in self.texts.get(language, {}):
            return None
        if language == self.base_language or not lang.review or key in lang.reviewed:
            return REVIEWED
        return DRAFT

    def fully_reviewed(self, language: str | None) -> bool:
        """Every text of the language translated and checked by a native speaker:
        until then the gateway marks its reports for an interpreter."""
        lang = self.languages.get(language or "")
        if lang is None or lang.code == self.base_language or not lang.review:
            return True
        return all(self.review_state(lang.code, k) == REVIEWED for k in self.translatable_keys())

    def message(self, key: str, language: str | None = None) -> str:
        return self.text(f"messages.{key}", language) or ""

    def step_text(self, step: Step, key: str, language: str | None) -> str:
        return self.text(f"steps.{step.id}.{key}", language) or ""

    def error_text(self, step: Step, key: str, language: str | None) -> str:
        """A step's own error message, else the script-wide one; {min}/{max} filled in."""
        text = self.text(f"steps.{step.id}.errors.{key}", language) or self.message(key, language)
        return text.replace("{min}", str(step.min_length)).replace("{max}", str(step.max_length))

    def options(
        self, step: Step, answers: dict[str, str], language: str | None,
        channel: str | None = None,
    ) -> list[tuple[str, str]]:
        """(value, label) pairs of a menu step, as shown to this session.

        On a voice call (``channel``) an option whose next step asks for
        typed words is not offered: "Check a report" (a reference to type)
        and "Other county" (a county's name to type) would be dead ends on a
        keypad; the options after them move up, so what is spoken and what
        the keys choose stay one list."""
        key = f"steps.{step.id}.options."
        found: list[tuple[str, str]]
        if step.kind == "language":  # the languages, then any options of its own
            found = [(code, lang.name) for code, lang in self.languages.items()] + [
                (o.value, self.text(key + o.value, language) or o.value) for o in step.options]
        elif step.options_from:
            gaz = self.lists.get(step.options_from)
            if gaz is None:
                return []
            group = answers.get(step.filter_by) if step.filter_by else None
            found = [(v, self.list_label(gaz, v, language)) for v in gaz.values(group)]
        else:
            found = [(o.value, self.text(key + o.value, language) or o.value)
                     for o in step.options]
        if channel == Channel.VOICE:
            found = [(v, label) for v, label in found if not self.typed_next(step, v)]
        return found

    def typed_next(self, step: Step, value: str) -> bool:
        """Whether choosing ``value`` leads to a question answered by typing
        words that are no report data: a county by name (the list's
        ``ask_name``), or a text step on the way to a look-up (a reference)."""
        gaz = self.lists.get(step.options_from or "")
        if gaz is not None and gaz.ask_name == value:
            return True
        following = self.steps.get(self.next_after(step, value) or "")
        return following is not None and following.kind == "text" and not following.field

    def field_options(self, field: str, language: str | None = None) -> list[tuple[str, str]]:
        """Every (value, label) a step storing ``field`` can give, whatever the
        earlier answers: the script's own vocabulary of categories, counties
        and sub-counties, for the forms, filters and exports that show them."""
        for step in self.steps.values():
            if step.field != field:
                continue
            if not step.options_from:
                # An option that leads to a look-up ("Check a report") stores nothing.
                stored = {o.value for o in step.options if not self._leads_to_lookup(o.next)}
                return [(v, label) for v, label in self.options(step, {}, language) if v in stored]
            gaz = self.lists.get(step.options_from)
            if gaz is None:
                return []
            values = [*gaz.names, *gaz.labels, *(v for vs in (gaz.groups or {}).values() for v in vs),
                      *gaz.always, *gaz.unlisted]
            return [(v, self.list_label(gaz, v, language)) for v in dict.fromkeys(values)]
        return []

    def _leads_to_lookup(self, step_id: str | None) -> bool:
        seen: set[str] = set()
        while step_id is not None and step_id in self.steps and step_id not in seen:
            seen.add(step_id)
            step = self.steps[step_id]
            if step.lookup:
                return True
            if step.kind == "end" or step.field:
                return False
            step_id = self.next_after(step)
        return False

    def list_label(self, gaz: GazList, value: str, language: str | None) -> str:
        if value in gaz.names:
            return gaz.names[value]
        if value in gaz.unlisted:
            return gaz.unlisted[value]
        return self.text(f"gazetteer.{gaz.name}.{value}", language) or value

    def answer_label(self, step: Step, answers: dict[str, str], language: str | None) -> str:
        value = answers.get(step.id)
        if value is None:
            return ""
        if step.kind == "text":
            return value
        gaz = self.lists.get(step.options_from or "")
        if gaz is not None and value in gaz.unlisted:
            return gaz.unlisted[value]
        return dict(self.options(step, answers, language)).get(value, value)

    def next_after(self, step: Step, value: str | None = None) -> str | None:
        """Where a step leads: the chosen option's next, the step's next, or the following step."""
        for option in step.options:
            if option.value == value and option.next:
                return option.next
        if step.next:
            return step.next
        ids = list(self.steps)
        index = ids.index(step.id) + 1
        return ids[index] if index < len(ids) else None

    def severity(self, step: Step, value: str | None) -> str | None:
        for option in step.options:
            if option.value == value:
                return option.severity
        return None
