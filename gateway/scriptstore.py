"""Dialogue script versions: stored in the database, one live per script id.

Parsed scripts are cached per process by (script id, version): a version never
changes once saved, so the cache cannot go stale.  The live version's number is
kept in Redis so a publish takes effect for new sessions at once, on every web
process, without a database query per request.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import select, update

from gateway import keys
from gateway.dialogue import Script, load_script
from gateway.errors import ScriptNotFound
from gateway.models import ScriptVersion
from gateway.scripts import default_script_text, gazetteer_text

DEFAULT_SCRIPT_ID = "report"
LIVE_POINTER_TTL = 300

_parsed: dict[tuple[str, str], Script] = {}


def parse_version(row: ScriptVersion) -> Script:
    key = (row.script_id, str(row.version))
    script = _parsed.get(key)
    if script is None:
        script = load_script(row.body, gazetteer_text=gazetteer_text())
        # The stored version number, not the YAML's, identifies what a session runs.
        script = dataclasses.replace(script, version=str(row.version))
        _parsed[key] = script
    return script


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


def live_version_number(svc, script_id: str = DEFAULT_SCRIPT_ID) -> str:
    pointer = svc.redis.get(keys.live_script(script_id))
    if pointer is not None:
        return pointer.decode()
    with svc.db() as db:
        row = _live_row(db, script_id)
    svc.redis.set(keys.live_script(script_id), str(row.version), ex=LIVE_POINTER_TTL)
    return str(row.version)


def live_script(svc, script_id: str = DEFAULT_SCRIPT_ID) -> Script:
    version = live_version_number(svc, script_id)
    cached = _parsed.get((script_id, version))
    if cached is not None:
        return cached
    with svc.db() as db:
        return get_version(db, script_id, version)


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
        script_id=script_id, version=(latest or 0) + 1, body=body, status="draft",
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
    row.status = "published"
    row.published_by = actor
    row.published_at = datetime.now(UTC)
    db.flush()
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
            script_id=DEFAULT_SCRIPT_ID, version=1, body=text, status="published",
            is_live=True, created_by="seed", published_by="seed",
            published_at=datetime.now(UTC),
        )
    )
    db.flush()
    return True
