"""What every API view shares: the blueprint, token authentication, the
error shape, argument validation and cursor pagination.

Errors are always::

    {"error": {"status": 404, "code": "not_found", "message": "..."}}
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from datetime import date, datetime

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import HTTPException

from gateway.accounts import tokens
from gateway.core import localtime
from gateway.core.services import current_services
from gateway.errors import MpakaError
from gateway.ops import logs
from gateway.store.queries import Scope
from gateway.web.api import openapi
from gateway.web.api.openapi import DEFAULT_LIMIT, MAX_LIMIT
from gateway.web.context import db

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Paths that need no token.
PUBLIC_ENDPOINTS = ("api.openapi",)
#: Endpoints for partner tokens only (gateway.web.api.shared).
SHARED_PREFIX = "api.shared_"


class ApiError(MpakaError):
    """An API error answered as ``{"error": {status, code, message}}``."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    response = jsonify(error={"status": status, "code": code, "message": message})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
          413: "too_large", 415: "unsupported_media_type", 429: "too_many_requests"}


@bp.after_request
def _no_store(response):
    """Report data must not stay in a browser's or proxy's cache."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.headers)


def _allow(exc: HTTPException) -> dict:
    methods = getattr(exc, "valid_methods", None)
    return {"Allow": ", ".join(methods)} if methods else {}


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error_response(exc.code or 500, _CODES.get(exc.code, "error"),
                          exc.description or exc.name, _allow(exc))


@bp.errorhandler(Exception)
def _server_error(exc: Exception):
    if isinstance(exc, HTTPException):  # pragma: no cover - handled above
        return _http_error(exc)
    log.exception("api request failed")
    return error_response(500, "server_error",
                          f"Internal error; quote request id {logs.current_request_id()}")


def register_error_handlers(app) -> None:
    """Unknown paths and methods under /api/ never reach the blueprint, nor do
    the app's own refusals before a route is matched (a NUL anywhere, a body
    over the limit): answer them in the same JSON shape (everything else keeps
    its usual pages)."""

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(413)
    def _api_not_found(exc: HTTPException):
        if request.path.startswith(bp.url_prefix + "/") or request.path == bp.url_prefix:
            return error_response(exc.code, _CODES[exc.code], exc.description, _allow(exc))
        return exc


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="mpaka"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized",
                       "Send 'Authorization: Bearer <token>' (create one with `mpaka tokens create`).",
                       challenge)
    now = current_services().clock.now()
    shared = (request.endpoint or "").startswith(SHARED_PREFIX)
    user = tokens.authenticate(db(), token.strip(), now=now)
    partner = tokens.authenticate_partner(db(), token.strip(), now=now) if user is None else None
    if user is None and partner is None:
        raise ApiError(401, "unauthorized", "The token is unknown, revoked, or its user inactive.",
                       challenge)
    if partner is not None:
        if not shared:
            raise ApiError(403, "forbidden",
                           "A partner's token reads only /api/v1/shared (see docs/api.md).")
        g.partner = partner
        logs.bind(partner=partner.id)
        check_query_names()
        return None
    if shared:
        raise ApiError(403, "forbidden", "/api/v1/shared is for partner tokens "
                       "(`mpaka partners token NAME`); your own token reads /api/v1/reports.")
    assert user is not None
    g.api_user = user
    g.scope = Scope.for_user(user)
    logs.bind(user=user.username)
    check_query_names()
    return None


def check_query_names() -> None:
    """Refuse query parameters the OpenAPI document does not list (a typo
    such as ``?countyy=`` must not silently return everything)."""
    if request.url_rule is None:
        return
    allowed = openapi.query_names(request.url_rule.rule, request.method)
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise ApiError(400, "invalid_argument",
                       f"unknown query parameter(s): {', '.join(unknown)}; "
                       f"this endpoint takes: {', '.join(sorted(allowed)) or 'none'}")


def scope() -> Scope:
    return g.scope


# -- arguments --------------------------------------------------------------------


def choice_arg(name: str, allowed) -> str | None:
    value = request.args.get(name)
    if value is None:
        return None
    if value not in allowed:
        raise ApiError(400, "invalid_argument",
                       f"{name} must be one of: {', '.join(allowed)}")
    return value


def date_arg(name: str) -> date | datetime | None:
    """A day (``YYYY-MM-DD``, an East Africa Time calendar day) or a moment
    (``YYYY-MM-DDTHH:MM[:SS]``, East Africa Time unless it carries an offset
    such as ``+03:00`` or ``Z``); see ``gateway.core.localtime``."""
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return localtime.parse_moment(value)
    except ValueError:
        raise ApiError(400, "invalid_argument",
                       f"{name} must be a date, YYYY-MM-DD (an East Africa Time day), or a "
                       "date and time, YYYY-MM-DDTHH:MM (EAT unless it ends with an offset "
                       "such as +03:00 or Z)") from None


def bool_arg(name: str) -> bool:
    value = request.args.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise ApiError(400, "invalid_argument", f"{name} must be true or false")
    return value == "true"


def text_arg(name: str, max_length: int) -> str | None:
    value = request.args.get(name)
    if value is not None and len(value) > max_length:
        raise ApiError(400, "invalid_argument", f"{name} is longer than {max_length} characters")
    if value is not None and any(ord(ch) < 32 for ch in value):
        raise ApiError(400, "invalid_argument", f"{name} contains control characters")
    return value


#: Ids are 32-bit integers in the database; larger ones cannot exist.
MAX_ID = 2**31 - 1


def check_id(value: int, what: str) -> None:
    if not 1 <= value <= MAX_ID:
        raise ApiError(404, "not_found", f"no {what} {value}")


def limit_arg() -> int:
    value = request.args.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if str(limit) != value.strip() or not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, "invalid_argument", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return limit


# -- cursors ------------------------------------------------------------------------


def encode_cursor(**position) -> str:
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(*fields: str) -> dict | None:
    """The position after which the next page starts; ``None`` for the first page."""
    value = request.args.get("cursor")
    if value is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        if not isinstance(data, dict) or set(data) != set(fields):
            raise ValueError
        # bool is an int to Python, not to the database: check the exact type.
        if "id" in data and (type(data["id"]) is not int or not 0 <= data["id"] <= 2**31):
            raise ValueError
        if "at" in data and not isinstance(data["at"], str):
            raise ValueError
        if "at" in data:
            data["at"] = datetime.fromisoformat(data["at"])
        return data
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "invalid_cursor",
                       "cursor is not one this API returned; start again without it") from None


def page(rows: list, limit: int, cursor_of) -> dict:
    """``rows`` was fetched with ``limit + 1``: the extra row says there is more."""
    more = len(rows) > limit
    rows = rows[:limit]
    return {"rows": rows, "next_cursor": cursor_of(rows[-1]) if more and rows else None}


def iso(value) -> str | None:
    return value.isoformat() if value else None
