"""What a web request shares, made once per request and closed at its end:
its database session and the live script's vocabulary (console and API)."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from gateway.core.services import current_services
from gateway.store.script_versions import Vocabulary, live_vocabulary


def db() -> Session:
    """The request's database session, closed when the request ends."""
    if "request_db" not in g:
        g.request_db = current_services().db()
    return g.request_db


def vocabulary() -> Vocabulary:
    """Counties, sub-counties, categories and languages as the live script names them."""
    if "vocabulary" not in g:
        g.vocabulary = live_vocabulary(current_services())
    return g.vocabulary


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("request_db", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
