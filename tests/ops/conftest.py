"""Fixtures for operations tests: apps built on purpose-broken configurations."""

from __future__ import annotations

import pytest

from gateway.app import create_app


@pytest.fixture
def make_app(config, redis_conn):
    """``make_app(**overrides)``: an app on the test configuration plus overrides."""
    made = []

    def build(**overrides):
        app = create_app(config | overrides)
        made.append(app)
        return app

    yield build
    for app in made:
        app.extensions["mpaka"].close()
