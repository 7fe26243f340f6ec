"""Redis behind Sentinel (``REDIS_SENTINELS``): the primary dies under a live
load; the sentinels promote the replica and every process finds the new
primary by itself, without a restart."""

from __future__ import annotations

import itertools

import pytest

from bench.load import REFERENCE
from tests.helpers import DEADLINE

from .conftest import INPUTS, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.faults]


def _phone(n: int) -> str:
    return f"+25473949{n:04d}"


def test_primary_killed_mid_load_the_replica_takes_over_and_no_report_is_lost(make_system):
    """Two web processes and two workers on a Sentinel group; the primary is
    killed with dialogues half done.  During the failover every answer is a
    200 (a screen or the apology), never a 5xx; the gateway answers again once
    the replica is promoted; every dialogue that reached END with a reference
    has exactly one report, and each report's alert reached each team member
    exactly once."""
    system = make_system(sentinel=True)
    group = system.sentinel
    assert group is not None
    first_primary = group.primary_port()
    system.start_app(workers=2)
    system.start_worker()
    system.start_worker()

    ends = []
    for n in range(3):  # before
        screens = system.walk(INPUTS, f"ATUid_before_{n}", phone=_phone(n))
        assert all(s.status_code == 200 for s in screens)
        ends.append(screens[-1].text)
    half = INPUTS[:4]
    for n in range(3, 6):  # half done when the primary dies
        assert all(s.status_code == 200 for s in system.walk(half, f"ATUid_mid_{n}", phone=_phone(n)))

    group.kill_primary()
    probes = itertools.count(100)
    statuses: list[int] = []

    def answers_again() -> bool:
        response = system.post(f"ATUid_probe_{next(probes)}", "", phone=_phone(next(probes)))
        statuses.append(response.status_code)
        return response.status_code == 200 and response.text.startswith("CON ")

    wait_until(lambda: group.primary_port() not in (None, first_primary), DEADLINE,
               what="the sentinels to promote the replica")
    wait_until(answers_again, DEADLINE, interval=0.5, what="the gateway to answer again")
    assert set(statuses) == {200}, statuses

    for n in range(3, 6):  # the half-done dialogues go on (or end politely, never a 5xx)
        rest = system.walk(INPUTS[4:], f"ATUid_mid_{n}", phone=_phone(n), start="*".join(half))
        assert all(s.status_code == 200 for s in rest)
        ends.append(rest[-1].text)
    for n in range(6, 9):  # after
        screens = system.walk(INPUTS, f"ATUid_after_{n}", phone=_phone(n))
        assert all(s.status_code == 200 for s in screens)
        assert REFERENCE.search(screens[-1].text), screens[-1].text
        ends.append(screens[-1].text)

    references = [m.group(0) for text in ends if (m := REFERENCE.search(text))]
    assert len(references) >= 6  # the three before and the three after, at least
    for reference in references:
        wait_until(lambda r=reference: system.report_count(r) == 1, DEADLINE,
                   what=f"report {reference} in the database")

    def report_alerts() -> dict[tuple[str, str], int]:
        """(reference, member) -> sends of that report's own alert (the early
        warnings these same-place reports raise name several references)."""
        counts: dict[tuple[str, str], int] = {}
        for message in system.fake_log()["messages"]:
            match = REFERENCE.search(message["message"])
            if match and "EARLY WARNING" not in message["message"]:
                key = (match.group(0), message["to"])
                counts[key] = counts.get(key, 0) + 1
        return counts

    def every_report_alerted():
        counts = report_alerts()
        return {ref for ref, _ in counts} >= set(references) and counts

    deliveries = wait_until(every_report_alerted, DEADLINE * 2, what="every report's alert")
    assert set(deliveries.values()) == {1}, deliveries
