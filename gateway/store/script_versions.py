"""Dialogue script versions: stored in the database, one live per script id.

Parsed scripts are cached per process by (script id, version): a version never
changes once saved, so the cache cannot go stale.  The live version's number is
kept in Redis so a publish takes effect for new sessions at once, on every web
process, without a database query per request.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from gateway.core import keys
from gateway.core.clock import utcnow
from gateway.defaults import default_script_text, gazetteer_text
from gateway.dialogue import Script, load_script
from gateway.errors import ScriptNotFound
from gateway.store.models import ScriptVersion
from gateway.vocab import ScriptStatus

DEFAULT_SCRIPT_ID = "report"
LIVE_POINTER_TTL = 300
#: Longer than any session or resumable draft lives.
BODY_TTL = 7 * 86400

_parsed: dict[tuple[str, str], Script] = {}


def parse_version(row: ScriptVersion) -> Script:
    cached = _parsed.get((row.script_id, str(row.version)))
    return cached or _parse_body(row.script_id, str(row.version), row.body)


def get_version(db, script_id: str, version: str) -> Script:
    cached = _parsed.get((script_id, str(version)))
    if cached is not None:
        return cached
    row = db.scalar(
        select(ScriptVersion).where(
            ScriptVersion.script_id == script_id, ScriptVersion.version == int(version)
        )
    )
    if row is None:
        raise ScriptNotFound(f"script {script_id!r} has no version {version}")
    return parse_version(row)


def _parse_body(script_id: str, version: str, body: str) -> Script:
    script = load_script(body, gazetteer_text=gazetteer_text())
    # The stored version number, not the YAML's, identifies what a session runs.
    script = dataclasses.replace(script, version=str(version))
    _parsed[(script_id, str(version))] = script
    return script


def session_script(svc, script_id: str, version: str) -> Script:
    """The version a dialogue under way runs, even while the database is down.

    A freshly started web worker has nothing parsed yet; the YAML of every
    version a session has used is also kept in Redis, so the dialogue (and the
    report at its end) does not depend on the database answering.
    """
    cached = _parsed.get((script_id, str(version)))
    if cached is not None:
        return cached
    body = svc.redis.get(keys.script_body(script_id, str(version)))
    if body is not None:
        return _parse_body(script_id, str(version), body.decode())
    with svc.db() as db:
        script = get_version(db, script_id, version)
        row_body = db.scalar(
            select(ScriptVersion.body).where(
                ScriptVersion.script_id == script_id, ScriptVersion.version == int(version)
            )
        )
    svc.redis.set(keys.script_body(script_id, str(version)), row_body, ex=BODY_TTL)
    return script


def preload(svc, script_id: str = DEFAULT_SCRIPT_ID) -> None:
    """Parse the live version (and the shipped script) before serving, e.g. in a
    web worker after fork or a job worker before it forks: the first reporter
    after a restart must not wait for a parse or depend on the database."""
    fallback_script()
    script = live_script(svc, script_id)
    session_script(svc, script.id, script.version)


def live_version_number(svc, script_id: str = DEFAULT_SCRIPT_ID) -> str:
    pointer = svc.redis.get(keys.live_script(script_id))
    if pointer is not None:
        return pointer.decode()
    with svc.db() as db:
        row = _live_row(db, script_id)
    svc.redis.set(keys.live_script(script_id), str(row.version), ex=LIVE_POINTER_TTL)
    return str(row.version)


def live_script(svc, script_id: str = DEFAULT_SCRIPT_ID) -> Script:
    return session_script(svc, script_id, live_version_number(svc, script_id))


def live_row(db, script_id: str = DEFAULT_SCRIPT_ID) -> ScriptVersion:
    """The live version's row; ScriptNotFound when there is none."""
    return _live_row(db, script_id)


def _live_row(db, script_id: str) -> ScriptVersion:
    row = db.scalar(
        select(ScriptVersion).where(
            ScriptVersion.script_id == script_id, ScriptVersion.is_live.is_(True)
        )
    )
    if row is None:
        raise ScriptNotFound(
            f"no live version of script {script_id!r}: run `mpaka db upgrade` and `mpaka seed`"
        )
    return row


def fallback_script() -> Script:
    """The shipped default script, for texts needed when storage is unreachable."""
    key = ("<shipped>", "0")
    if key not in _parsed:
        _parsed[key] = load_script(default_script_text(), gazetteer_text=gazetteer_text())
    return _parsed[key]


def save_draft(db, script_id: str, body: str, author: str | None) -> ScriptVersion:
    """Store a new version (not live).  Callers lint before saving."""
    latest = db.scalar(
        select(ScriptVersion.version)
        .where(ScriptVersion.script_id == script_id)
        .order_by(ScriptVersion.version.desc())
        .limit(1)
    )
    row = ScriptVersion(
        script_id=script_id, version=(latest or 0) + 1, body=body, status=ScriptStatus.DRAFT,
        created_by=author,
    )
    db.add(row)
    db.flush()
    return row


def publish(svc, db, row: ScriptVersion, actor: str | None) -> None:
    """Make ``row`` the live version.  Sessions under way keep their own version."""
    load_script(row.body, gazetteer_text=gazetteer_text())  # refuses a script with errors
    db.execute(
        update(ScriptVersion)
        .where(ScriptVersion.script_id == row.script_id)
        .values(is_live=False)
    )
    row.is_live = True
    row.status = ScriptStatus.PUBLISHED
    row.published_by = actor
    row.published_at = svc.clock.now()
    db.flush()
    svc.redis.set(keys.script_body(row.script_id, str(row.version)), row.body, ex=BODY_TTL)
    svc.redis.set(keys.live_script(row.script_id), str(row.version), ex=LIVE_POINTER_TTL)


def seed_default(db) -> bool:
    """Store the shipped script as version 1, live, unless a version exists."""
    exists = db.scalar(
        select(ScriptVersion.id).where(ScriptVersion.script_id == DEFAULT_SCRIPT_ID).limit(1)
    )
    if exists:
        return False
    text = default_script_text()
    fallback_script()  # validates the shipped script (parsed once per process)
    db.add(
        ScriptVersion(
            script_id=DEFAULT_SCRIPT_ID, version=1, body=text, status=ScriptStatus.PUBLISHED,
            is_live=True, created_by="seed", published_by="seed",
            published_at=utcnow(),
        )
    )
    db.flush()
    return True


@dataclass(frozen=True)
class Vocabulary:
    """What a script calls things, for the forms, filters, exports and API
    that show stored answers: value -> label (in ``language``) per field."""

    counties: dict[str, str]
    sub_counties: dict[str, str]
    categories: dict[str, str]
    languages: dict[str, str]
    #: The "when" answers ("now" -> "Happening now").
    times: dict[str, str] = field(default_factory=dict)
    #: county -> its sub-counties (and cross-border sides), as the script groups them.
    county_sub_counties: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, script: Script, language: str = "eng") -> Vocabulary:
        counties = dict(script.field_options("county", language))
        grouped: dict[str, list[str]] = {}
        step = next((s for s in script.steps.values() if s.field == "sub_county"), None)
        gaz = script.lists.get(step.options_from or "") if step is not None else None
        if gaz is not None and gaz.groups is not None:
            grouped = {county: gaz.values(county) for county in counties if county in gaz.groups}
        return cls(
            counties=counties,
            sub_counties=dict(script.field_options("sub_county", language)),
            categories=dict(script.field_options("category", language)),
            languages={code: lang.name for code, lang in script.languages.items()},
            times=dict(script.field_options("when", language)),
            county_sub_counties=grouped,
        )

    def sub_counties_of(self, counties) -> list[str]:
        """The sub-counties of ``counties``, in the script's order (every
        sub-county when the script does not group them by county)."""
        chosen = [v for county in counties for v in self.county_sub_counties.get(county, ())]
        return list(dict.fromkeys(chosen)) if self.county_sub_counties else list(self.sub_counties)

    def label(self, value: str) -> str | None:
        """The label of a stored value of any field, or ``None``."""
        for labels in (self.categories, self.counties, self.sub_counties, self.languages,
                       self.times):
            if value in labels:
                return labels[value]
        return None


def live_or_shipped_script(svc) -> Script:
    """The live script; the shipped one when storage is down."""
    try:
        return live_script(svc)
    except (ScriptNotFound, RedisError, SQLAlchemyError):
        return fallback_script()


def live_vocabulary(svc) -> Vocabulary:
    """The live script's vocabulary; the shipped script's when storage is down."""
    return Vocabulary.of(live_or_shipped_script(svc))


def shipped_vocabulary() -> Vocabulary:
    """The shipped default script's vocabulary (seed data, command-line checks)."""
    return Vocabulary.of(fallback_script())
