"""What a web request shares, made once per request and closed at its end:
its database session and the live script's vocabulary (console and API)."""

from __future__ import annotations

from flask import Flask, abort, g, request
from sqlalchemy.orm import Session

from gateway.core.services import current_services
from gateway.store.script_versions import Vocabulary, live_vocabulary


def db() -> Session:
    """The request's database session, closed when the request ends."""
    if "request_db" not in g:
        g.request_db = current_services().db()
    session: Session = g.request_db
    return session


def vocabulary() -> Vocabulary:
    """Counties, sub-counties, categories and languages as the live script names them."""
    if "vocabulary" not in g:
        g.vocabulary = live_vocabulary(current_services())
    names: Vocabulary = g.vocabulary
    return names


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("request_db", None)
    if session is not None:
        session.close()


#: blueprint -> the largest request body it accepts, where the app-wide
#: MAX_CONTENT_LENGTH is too small (the script editor posts whole scripts).
LARGER_BODIES: dict[str, int] = {}


def allow_large_bodies(blueprint: str, limit: int) -> None:
    LARGER_BODIES[blueprint] = limit


def body_limit() -> None:
    """Set this request's body limit before anything reads the body."""
    limit = LARGER_BODIES.get(request.blueprint or "")
    if limit is not None:
        request.max_content_length = limit


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul() -> None:
    """The one place NUL is refused: no query, form or JSON value carries it
    further (PostgreSQL cannot store it, and no person types it)."""
    if "\x00" in request.path or any(_has_nul(k) or _has_nul(v)
                                     for k, v in request.args.items(multi=True)):
        abort(400, "NUL characters are not accepted.")
    if request.method in ("POST", "PUT", "PATCH"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if any(_has_nul(k) or _has_nul(v) for k, v in request.form.items(multi=True)):
                abort(400, "NUL characters are not accepted.")
        elif request.is_json and _has_nul(request.get_json(silent=True)):
            abort(400, "NUL characters are not accepted.")


def init_app(app: Flask) -> None:
    app.before_request(body_limit)
    app.before_request(refuse_nul)
    app.teardown_appcontext(close_db)
