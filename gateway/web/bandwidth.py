"""What keeps the console fast on slow links: static files cached for a year
under URLs that carry their content's hash, and compressed responses.

Static files: ``static_url("console.css")`` is ``/static/console.css?v=<hash>``,
the first 12 hex digits of the file's SHA-256.  A request whose ``v`` is the
file's current hash is answered ``Cache-Control: public, max-age=31536000,
immutable``: a new file is a new URL, so a browser never asks again.  Any
other request (no ``v``, an old one) keeps Flask's ``no-cache``.

Compression (flask-compress: zstd, brotli or gzip, as the browser accepts) of
HTML, CSS, JavaScript, JSON and SVG over 500 bytes, on GET and HEAD only.
BREACH, the attack on compressed secrets, needs a response that holds both a
secret and text the attacker chose, fetched with the victim's cookies many
times.  Here:

* static files and the shipped pages' CSS/JS hold no secret;
* the API authenticates with a bearer token, never a cookie: a third-party
  page cannot make the victim's browser send an authenticated request;
* console pages hold the CSRF token and reflect filter text, but the session
  cookie is ``SameSite=Lax`` (only top-level navigations carry it
  cross-site, not the thousands of background requests the attack needs), and
  the CSRF token (Flask-WTF) is signed with a timestamp: its signature, without
  which it is refused, changes every second, so it cannot be learned across the
  many responses the attack compares (its stable part, the session's raw token,
  is useless without the secret key's signature);
* responses to POST (the page showing a revealed number, form results) are
  never compressed;
* the CSV export (``text/csv``) is not compressed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for
from flask_compress import Compress

#: The answer for a static file under its current versioned URL.
IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                    "application/json", "image/svg+xml"]

_compress = Compress()
_hashes: dict[tuple[str, int, int], str] = {}


def static_version(filename: str) -> str:
    """The first 12 hex digits of the static file's SHA-256 ('' if missing);
    computed once per file change (path, size, modification time)."""
    folder = current_app.static_folder
    if folder is None:
        return ""
    path = Path(folder) / filename
    try:
        stat = path.stat()
    except OSError:
        return ""
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _hashes:
        _hashes[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return _hashes[key]


def static_url(filename: str) -> str:
    """The file's URL with its content hash, so browsers may keep it a year."""
    return url_for("static", filename=filename, v=static_version(filename))


def _cache_versioned_static(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code != 200:
        return response
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    if version and version == static_version(filename):
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers.pop("Expires", None)
    return response


def _compress_safe_responses(response: Response) -> Response:
    if request.method not in ("GET", "HEAD"):
        return response  # never a POST's answer (a revealed number, a form's result)
    if (response.direct_passthrough and response.status_code == 200
            and response.mimetype in COMPRESSED_TYPES):
        # A static file: read it and close it here (flask-compress would drop
        # the open file unclosed when it replaces the body).
        response.direct_passthrough = False
        stream = response.response
        response.set_data(response.get_data())
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return _compress.after_request(response)


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config["COMPRESS_REGISTER"] = False  # registered below, for GET and HEAD only
    _compress.init_app(app)
    # after_request functions run last-registered first: caching headers are
    # set before compression (which adds Vary and keeps the ETag conditional).
    app.after_request(_compress_safe_responses)
    app.after_request(_cache_versioned_static)
