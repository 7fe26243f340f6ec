"""Redis failing under a live dialogue: the reporter always gets an answer the
network can show (never a 5xx), and no completed report is lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bench.load import REFERENCE
from gateway.store.models import Report
from tests.helpers import DEADLINE

from .conftest import INPUTS, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.faults]


def test_redis_stopped_mid_dialogue_ends_politely_and_the_draft_is_offered_after(system):
    """Redis stops after four answers: a polite multilingual END, no 5xx; once
    it is back, a new session from the same phone offers the saved draft and
    finishes with exactly one report."""
    screens = system.walk(INPUTS[:4], "ATUid_redis_first")
    assert all(s.status_code == 200 and s.text.startswith("CON ") for s in screens)

    system.redis.stop()
    during = [system.post("ATUid_redis_first", "*".join(INPUTS[:5])),
              system.post("ATUid_redis_other", "")]
    for response in during:
        assert response.status_code == 200
        assert response.text.startswith("END ")
        assert "Huduma haipatikani" in response.text  # Kiswahili, the reporter's choice
        assert "112" in response.text

    system.redis.start()  # same port, same append-only file
    resumed = system.post("ATUid_redis_second", "")
    assert resumed.status_code == 200 and resumed.text.startswith("CON ")
    assert "Hukumaliza" in resumed.text  # "You did not finish last time", in Kiswahili
    rest = system.walk(["1", *INPUTS[4:]], "ATUid_redis_second", start="")
    # ``walk`` sent a first "" again: the same screen (a retry), then the inputs.
    last = rest[-1]
    assert last.text.startswith("END ") and REFERENCE.search(last.text), last.text
    assert system.report_count() == 1


def _complete_with_redis_lost_at_enqueue(make_system):
    system = make_system(app_env={"MPAKA_FAULT_SHUTDOWN_REDIS_AT_ENQUEUE": "1"})
    system.start_app()
    screens = system.walk(INPUTS, "ATUid_redis_enqueue")
    assert all(s.status_code == 200 for s in screens)
    return system, screens[-1]


def test_redis_lost_at_completion_report_is_stored_and_routed_by_the_sweeper(make_system):
    """Redis goes down exactly when the completed report's routing is enqueued:
    the report is in the database, unrouted; when Redis is back the sweeper
    routes it (after ``routing.unrouted``'s fixed 30 s grace) and every team
    member gets the alert exactly once."""
    system, last = _complete_with_redis_lost_at_enqueue(make_system)
    assert last.text.startswith("END ")
    assert system.report_count() == 1
    assert system.scalar(select(Report.routed_at)) is None
    reference = system.scalar(select(Report.reference))

    system.redis.start()
    system.start_worker()
    wait_until(lambda: system.scalar(select(Report.routed_at)) is not None, 30 + DEADLINE,
               what="the sweeper to route the report")
    deliveries = wait_until(
        lambda: (d := system.deliveries()) and len(d) >= 2 and d, DEADLINE, what="the alert")
    assert {ref for ref, _ in deliveries} == {reference}
    assert sorted(deliveries.values()) == [1, 1]  # the Turkana team's two members, once each
    assert system.report_count() == 1


def test_redis_lost_at_completion_reporter_still_gets_the_reference(make_system):
    """Redis lost right after the report is stored: the reporter still sees the reference."""
    system, last = _complete_with_redis_lost_at_enqueue(make_system)
    reference = system.scalar(select(Report.reference))
    assert reference in last.text

