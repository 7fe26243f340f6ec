"""Sharing fixtures: partners at each level with their tokens."""

from __future__ import annotations

import pytest

from gateway.accounts import partners, tokens
from tests.api.conftest import admin_token  # noqa: F401 - a fixture


def add_partner(svc, name, level, counties=()) -> tuple[int, str]:
    """A partner and its API token: (partner id, token)."""
    with svc.db() as db:
        partner = partners.create(db, name, level, counties)
        _row, token = tokens.create_for_partner(db, partner, "test")
        db.commit()
        return partner.id, token


@pytest.fixture
def partner_tokens(svc):
    """One partner per level: level -> (partner id, token)."""
    return {level: add_partner(svc, f"Partner {level}", level)
            for level in ("aggregate", "incident", "report")}
