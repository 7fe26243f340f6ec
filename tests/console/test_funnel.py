"""How one turn's engine events become funnel counts (pure; no database)."""

from __future__ import annotations

import pytest

from gateway.funnel import step_changes


def step(name):
    return {"type": "step", "step": name}


@pytest.mark.parametrize(
    ("before", "events", "reached", "stopped"),
    [
        pytest.param(None, [step("language")], {"language": 1}, {"language": 1},
                     id="a new session reaches the first step"),
        pytest.param("language", [step("category")], {"category": 1},
                     {"language": -1, "category": 1}, id="moving on moves the stop"),
        pytest.param(None, [step("language"), step("category")],
                     {"language": 1, "category": 1}, {"category": 1},
                     id="two steps in one turn (USSD dial string)"),
        pytest.param("county", [{"type": "back"}, step("category")], {},
                     {"county": -1, "category": 1}, id="back is not a new reach"),
        pytest.param(None, [{"type": "resumed"}, step("when")], {}, {},
                     id="a resumed draft was already counted where it stopped"),
        pytest.param("category", [{"type": "invalid", "step": "category"}], {}, {},
                     id="an invalid answer changes nothing"),
        pytest.param("confirm", [step("done"), {"type": "completed"}], {"done": 1},
                     {"confirm": -1, "done": 1}, id="completion counts at the end step"),
    ],
)
def test_step_changes(before, events, reached, stopped):
    """Each turn adds reaches for forward moves and moves the session's stop."""
    got_reached, got_stopped = step_changes(events, before)
    assert {k: v for k, v in got_reached.items() if v} == reached
    assert {k: v for k, v in got_stopped.items() if v} == stopped
