"""How one turn's engine events become funnel counts (pure; no database)."""

from __future__ import annotations

import pytest

from gateway.store.funnel import STARTS, step_changes


def step(name):
    return {"type": "step", "step": name}


@pytest.mark.parametrize(
    ("before", "events", "reached", "stopped"),
    [
        pytest.param(None, [step("language")], {"language": 1, STARTS: 1}, {"language": 1},
                     id="a new session reaches the first step"),
        pytest.param("language", [step("category")], {"category": 1},
                     {"language": -1, "category": 1}, id="moving on moves the stop"),
        pytest.param(None, [step("language"), step("category")],
                     {"language": 1, "category": 1, STARTS: 1}, {"category": 1},
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
            buffer(pipe, script, turn.events, before=before, began=svc.clock.now())
            session = turn.session
    pipe.execute()
    flush(svc)
    with svc.db() as db:
        rows = {r.step: (r.reached, r.stopped) for r in funnel(db, script, date.min, date.max)}
    assert rows["language"] == (2, 0) and rows["when"] == (2, 0)
    assert rows["description"] == (2, 1)
    assert rows["done"] == (1, 1)


@pytest.mark.parametrize(
    ("before", "seen", "events", "reached"),
    [
        pytest.param("county", {"language", "category", "county", "sub_county"},
                     [step("sub_county")], {},
                     id="forward again after Back is not a new reach"),
        pytest.param("confirm", {"language", "category", "county", "confirm"},
                     [{"type": "back", "to": "category"}, step("category")], {},
                     id="Change at the confirmation is not a new reach"),
        pytest.param(None, set(), [step("category")], {"category": 1, STARTS: 1},
                     id="a start keyword that skips the language step is a start"),
        pytest.param("language", {"language"}, [{"type": "restart"}, step("language"),
                                                step("category")], {"category": 1},
                     id="Start again is no new start"),
    ],
)
def test_each_dialogue_reaches_a_step_once(before, seen, events, reached):
    """A step the dialogue was shown already is not reached again; a start is
    counted once, whichever step the dialogue begins on."""
    got, _stopped = step_changes(events, before, frozenset(seen))
    assert {k: v for k, v in got.items() if v} == reached


def _funnel(svc, since, until):
    from gateway.store import funnel as funnel_module
    from gateway.store import script_versions

    funnel_module.flush(svc)
    with svc.db() as db:
        script = script_versions.live_script(svc)
        rows = {r.step: r for r in funnel_module.funnel(db, script, since, until)}
        return funnel_module.starts(db, script, since, until), rows


def test_share_of_starts_never_exceeds_100_percent(client, svc, clock):
    """Through the webhooks: a USSD dialogue that goes back with Change and
    forward again, and an SMS one started with RIPOTI (no language step).
    Two starts; no step reached more than twice; every share at most 100%."""
    from gateway.core import localtime
    from tests.gateway.test_intake_messages import send
    from tests.gateway.test_intake_ussd import walk

    walk(client, ["2", "1", "1", "1", "1", "Watu wenye silaha karibu", "1", "2", "1", "1"])
    send(client, "RIPOTI", phone="+254739495442")
    send(client, "1", phone="+254739495442")
    day = localtime.today(clock.now())
    starts, rows = _funnel(svc, day, day)
    assert starts == 2
    assert rows["language"].reached == 1  # the SMS dialogue never saw it
    assert rows["category"].reached == 2 and rows["county"].reached == 2
    assert rows["sub_county"].reached == 1  # the USSD one, once, despite Change
    assert all(0 <= r.share_of(starts) <= 100 for r in rows.values())
    assert rows["category"].share_of(starts) == 100


def test_a_dialogue_is_counted_on_the_east_african_day_it_began(client, svc, clock):
    """Begun at 23:50 EAT and finished after midnight: every count, the finished
    report included, falls on the day it began; the next day holds nothing."""
    from datetime import UTC, datetime, timedelta

    from tests.gateway.test_intake_ussd import post_ussd

    clock.set(datetime(2026, 11, 29, 20, 50, tzinfo=UTC))  # 23:50 EAT on 29 Nov
    inputs = ["2", "1", "1", "1", "1", "Watu wenye silaha karibu", "1", "1"]
    text = ""
    post_ussd(client, "")
    for index, value in enumerate(inputs):
        if index == 4:
            clock.advance(minutes=20)  # 00:10 EAT on 30 Nov
        text = value if not text else f"{text}*{value}"
        post_ussd(client, text)
    starts, rows = _funnel(svc, datetime(2026, 11, 29).date(), datetime(2026, 11, 29).date())
    assert starts == 1 and rows["done"].reached == 1 and rows["done"].stopped == 1
    assert rows["when"].stopped == 0  # moved on from it, after midnight, on the same day
    later, _ = _funnel(svc, datetime(2026, 11, 30).date(), datetime(2026, 11, 30).date() + timedelta(days=1))
    assert later == 0


def test_funnel_page_takes_any_day_without_an_error(admin_client):
    """The first day of the calendar as the end of the period is no 500."""
    assert admin_client.get("/console/scripts/report/funnel?until=0001-01-02").status_code == 200
