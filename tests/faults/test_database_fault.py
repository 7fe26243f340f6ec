"""The database unreachable at the moment a dialogue completes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bench.load import REFERENCE
from gateway.core import keys
from gateway.store.models import Report
from tests.helpers import DEADLINE

from .conftest import INPUTS, needs_postgres, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.faults, needs_postgres]


def test_database_down_at_completion_reporter_gets_reference_report_written_later(make_system):
    """The proxy to PostgreSQL is cut before the last answer: the reporter still
    gets END with a reference, the report waits in Redis; once the database is
    back the sweeper writes it with that reference, once, and routes it."""
    system = make_system(proxy_db=True)
    # One web worker: it has parsed the dialogue script on the first screens
    # (see the next test for a worker that has not).
    system.start_app(workers=1)
    screens = system.walk(INPUTS[:-1], "ATUid_db_down")
    assert all(s.status_code == 200 and s.text.startswith("CON ") for s in screens), [
        s.text for s in screens]

    system.stop_db_proxy()
    last = system.post("ATUid_db_down", "*".join(INPUTS))
    assert last.status_code == 200
    assert last.text.startswith("END "), last.text
    reference = REFERENCE.search(last.text).group(0)
    parked = system.redis.client().hgetall(keys.PENDING_REPORTS)
    assert list(parked) == [reference.encode()]
    assert json.loads(parked[reference.encode()])["reference"] == reference
    assert system.report_count() == 0

    system.start_worker()  # the database is still down: the sweeper must not lose it
    worker_log = system.tmp / "worker-0.log"
    failed_sweep = "exception raised while executing (workers.jobs.sweep)"
    wait_until(lambda: worker_log.exists() and failed_sweep in worker_log.read_text(), DEADLINE,
               what="a sweep to fail while the database is down")
    assert system.redis.client().hexists(keys.PENDING_REPORTS, reference)

    system.start_db_proxy()
    wait_until(lambda: system.report_count(reference) == 1, DEADLINE,
               what="the sweeper to write the parked report")
    assert not system.redis.client().hexists(keys.PENDING_REPORTS, reference)
    deliveries = wait_until(
        lambda: (d := system.deliveries()) and len(d) >= 2 and d, DEADLINE, what="the alert")
    assert {ref for ref, _ in deliveries} == {reference}
    assert sorted(deliveries.values()) == [1, 1]
    assert system.report_count() == 1
    assert system.scalar(select(Report.channel)) == "ussd"


def test_database_down_at_completion_on_a_fresh_web_worker_still_parks_the_report(make_system):
    """A restarted web worker continues the dialogue from Redis alone and parks the report."""
    system = make_system(proxy_db=True)
    system.start_app(workers=1)
    system.walk(INPUTS[:-1], "ATUid_db_cold")
    system.app.stop()
    system.start_app(workers=1)  # new processes: nothing parsed yet
    system.stop_db_proxy()
    last = system.post("ATUid_db_cold", "*".join(INPUTS))
    assert last.status_code == 200
    assert REFERENCE.search(last.text), last.text
    assert system.redis.client().hlen(keys.PENDING_REPORTS) == 1
