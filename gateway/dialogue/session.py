"""DialogueSession state (one reporter's dialogue so far) and the result of one turn.

A session is plain data that round-trips through compact JSON, exactly as the
host keeps it in Redis between messages; the engine never holds it in memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields

from .errors import SessionError

# mode: what the current screen is, beyond the step itself.  PLACE: a place
# named or shared is being confirmed (or chosen among several); NAME: the
# county is being asked for by name ("Other county"); CHANGE: which answer to
# change, asked from the confirm screen.
NEW, ASK, KEEP, RESUME, PLACE, NAME, CHANGE = ("", "ask", "keep", "resume", "place", "name",
                                               "change")
_MODES = (NEW, ASK, KEEP, RESUME, PLACE, NAME, CHANGE)


@dataclass
class DialogueSession:
    script_id: str
    script_version: str
    channel: str
    reference: str
    started_at: float
    updated_at: float = 0.0
    language: str | None = None
    step: str | None = None  # None until the first screen is shown
    mode: str = NEW
    answers: dict[str, str] = field(default_factory=dict)  # step id -> raw value
    history: list[str] = field(default_factory=list)  # answered step ids, for Back
    page: int = 0  # menu page on USSD
    strikes: int = 0  # invalid answers in a row
    proposed: str | None = None  # text sent before it was asked for (SMS)
    remembered: bool = False  # the language came from the phone's last dialogue
    returning: bool = False  # changing one answer from the confirm screen: back there after it
    #: a keyword with words ("RIPOTI watu wenye bunduki Kakuma"): the words are the
    #: description, and ``guesses`` (step id -> value) answer what they make clear
    one_message: bool = False
    guesses: dict[str, str] = field(default_factory=dict)
    # an earlier unfinished session offered for resuming, as ``to_dict`` gave it
    unfinished: dict[str, object] | None = None
    # the host's ids of media received during this dialogue (photos, voice notes)
    attachments: list[str] = field(default_factory=list)
    # step id -> ids of the media that are its answer (a recorded description):
    # answering the step anew discards them
    described: dict[str, list[str]] = field(default_factory=dict)
    # PLACE/NAME modes: the places (or counties) offered and the mode to return to
    pending: dict[str, object] | None = None
    preset: dict[str, str] = field(default_factory=dict)  # answers of steps not yet reached
    place: str | None = None  # the gazetteer's name of the place the reporter named
    location: list[float] | None = None  # [latitude, longitude] shared (WhatsApp)

    def to_dict(self) -> dict[str, object]:
        """The session as plain data (a deep copy), defaults left out."""
        data: dict[str, object] = json.loads(self.to_json())
        return data

    def to_json(self) -> str:
        # Leave out defaults: sessions live in Redis for every open dialogue.
        # (Read straight from the fields: ``asdict`` deep-copies every value,
        # and this runs twice per USSD screen.)
        data = {name: value for name in _FIELD_NAMES
                if (value := getattr(self, name)) != _DEFAULTS.get(name, _KEEP)}
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: object) -> DialogueSession:
        if not isinstance(data, dict):
            raise SessionError("a session must be a JSON object")
        if "draft" in data:  # the field's name before v2, in sessions stored then
            data = {("unfinished" if k == "draft" else k): v for k, v in data.items()}
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise SessionError(f"unknown session fields: {', '.join(sorted(unknown))}")
        try:
            session = cls(**data)
        except TypeError as exc:
            raise SessionError(f"incomplete session: {exc}") from None
        if (not isinstance(session.answers, dict) or not isinstance(session.history, list)
                or not isinstance(session.attachments, list) or session.mode not in _MODES
                or not isinstance(session.preset, dict)
                or not isinstance(session.described, dict)):
            raise SessionError("malformed session")
        return session

    @classmethod
    def from_json(cls, text: str | bytes) -> DialogueSession:
        try:
            data = json.loads(text)
        except (ValueError, TypeError) as exc:
            raise SessionError(f"a session must be JSON: {exc}") from None
        return cls.from_dict(data)

    def copy(self) -> DialogueSession:
        return DialogueSession.from_dict(json.loads(self.to_json()))


#: Fields always stored; every other field is left out while it holds its default.
_ALWAYS = ("script_id", "script_version", "channel", "reference", "started_at")
_FIELD_NAMES = tuple(f.name for f in fields(DialogueSession))
_DEFAULTS = {f.name: f.default_factory() if callable(f.default_factory) else f.default
             for f in fields(DialogueSession) if f.name not in _ALWAYS}
_KEEP = object()  # compares unequal to everything: the field is always stored


@dataclass(frozen=True)
class Attachment:
    """A media file that came with an input (a WhatsApp photo or voice note),
    as the host names it: its random id, its kind (``photo``, ``voice``,
    ``video``) and the words that stand for it as a description (``[photo]``,
    in the reporter's language).  The engine keeps the id with the session and
    hands it on with the report; the file itself is the host's business.  An
    empty key: media the host did not keep (over its limit), still an answer."""

    key: str
    kind: str
    label: str


@dataclass(frozen=True)
class Turn:
    """What one input did.  The host persists ``session`` (or, when ``ended``,
    deletes it), stores ``turn.session`` as the phone's resumable unfinished when
    ``keep_unfinished`` is true and deletes any unfinished when it is false, stores
    ``report`` when given, then sends ``reply``."""

    session: DialogueSession
    reply: str
    ended: bool = False
    report: dict[str, object] | None = None
    events: list[dict[str, object]] = field(default_factory=list)
    keep_unfinished: bool = True
    #: An end step's lookup for the host to answer (``{"kind": "status",
    #: "query": "R-7KQ4XH", "language": "swa"}``); the host writes the reply.
    lookup: dict[str, str | None] | None = None
    #: Media ids no longer part of the dialogue (a description recorded
    #: again replaces the earlier recording): the host deletes them.
    discarded: tuple[str, ...] = ()
