"""How one turn's engine events become funnel counts (pure; no database)."""

from __future__ import annotations

import pytest

from gateway.store.funnel import step_changes


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


def test_recorded_dialogues_sum_to_the_funnel(svc):
    """Two sessions walked with the engine, one finished and one abandoned at the
    description: every step before is reached twice, the description holds one stop
    and the end step one finished report."""
    from datetime import date

    from gateway.defaults import load_default_script
    from gateway.dialogue import advance, new_session
    from gateway.store.funnel import buffer, flush, funnel

    script = load_default_script()
    walks = [["", "2", "1", "1", "1", "1", "Watu wenye silaha", "2", "1"],
             ["", "2", "1", "1", "1", "1"]]
    pipe = svc.redis.pipeline()
    for inputs in walks:
        session = new_session(script, channel="ussd", now=0.0, reference="R-FUNNEL")
        for text in inputs:
            before = session.step
            turn = advance(script, session, text, 1.0)
            buffer(pipe, script, turn.events, before=before, now=svc.clock.now())
            session = turn.session
    pipe.execute()
    flush(svc)
    with svc.db() as db:
        rows = {r.step: (r.reached, r.stopped) for r in funnel(db, script, date.min, date.max)}
    assert rows["language"] == (2, 0) and rows["when"] == (2, 0)
    assert rows["description"] == (2, 1)
    assert rows["done"] == (1, 1)
