"""The REST API, ``/api/v1``: bearer tokens, JSON errors of one shape, cursor
pagination.  Its OpenAPI 3 document (``openapi.py``) is served at
``/api/v1/openapi.json`` and checked against the code by schemathesis
(tests/api/test_schemathesis.py).  Documented in docs/api.md."""

from __future__ import annotations

from gateway.web.api import shared, views  # noqa: F401 - registers the routes
from gateway.web.api.common import bp, register_error_handlers

__all__ = ["bp", "init_app"]


def init_app(app) -> None:
    app.register_blueprint(bp)
    register_error_handlers(app)
