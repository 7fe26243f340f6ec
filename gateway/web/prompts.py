"""Voice prompts for Africa's Talking's ``<Play>``: public, no login.

``GET /voice/prompts/<version>/<language>/<key>.mp3`` answers the prompt file
of ``gateway.store.prompts`` (the script's own words, never report data).
Every part is checked against a strict pattern before any file is named, so
no request reaches outside ``PROMPTS_DIR``; anything else is a 404.  Cached
for a day by anyone (AT fetches a prompt on every call): a recording that
replaces a draft is heard within a day, at once by a new script version.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, request

from gateway.store import prompts

bp = Blueprint("prompts", __name__, url_prefix="/voice/prompts")

#: Seconds a prompt may be cached (the script version is in the URL).
MAX_AGE = 86400


@bp.get("/<version>/<language>/<name>")
def prompt(version: str, language: str, name: str) -> Response:
    key, dot, ext = name.rpartition(".")
    if not dot or ext != "mp3" or not prompts.valid_part(version, language, key):
        abort(404)
    path = prompts.prompt_path(current_app.config["PROMPTS_DIR"], version, language, key)
    if not path.is_file():
        abort(404)
    data = path.read_bytes()  # a prompt is small (PROMPT_MAX_BYTES at most)
    response = Response(data, mimetype="audio/mpeg")
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)
