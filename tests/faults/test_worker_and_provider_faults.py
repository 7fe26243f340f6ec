"""Sending alerts while workers die and the provider fails."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import func, select

from gateway.store.models import Message
from tests.helpers import DEADLINE

from .conftest import INPUTS, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.faults]


def _reports(system, n: int, prefix: str) -> list[str]:
    references = []
    for i in range(n):
        # A different sub-county each: three alike would also raise an incident.
        inputs = [*INPUTS[:3], str(i + 1), *INPUTS[4:]]
        screens = system.walk(inputs, f"ATUid_{prefix}_{i}", phone=f"+2547111{i:05d}")
        assert screens[-1].text.startswith("END "), screens[-1].text
        references.append(screens[-1].text.split("R-", 1)[1][:6])
    return ["R-" + r for r in references]


def test_worker_killed_mid_send_every_alert_sent_none_twice_outside_the_window(system):
    """SIGKILL the worker (and its work horse) while the provider holds a send
    request: a new worker's sweeper resends what was left ``sending`` after
    STUCK_DELIVERY_SECONDS.  Every member gets every alert; a duplicate is only
    possible for messages that were in flight at the kill (the documented
    window: between the provider accepting a request and our commit)."""
    system.fake_mode("ok", latency="2.0")
    references = _reports(system, 3, "kill")
    worker = system.start_worker()
    wait_until(lambda: system.fake_log()["calls"]["ok"] >= 1, DEADLINE, interval=0.05,
               what="a send request in flight")
    worker.kill()
    killed_at = time.time()
    in_flight = system.scalar(select(func.count()).select_from(Message).where(
        Message.direction == "out", Message.status == "sending"))
    assert in_flight >= 1  # the kill did land mid-send

    system.start_worker()
    expected = {(ref, to) for ref in references for to in ("+254700000101", "+254700000102")}
    wait_until(lambda: set(system.deliveries()) >= expected, 2 * DEADLINE,
               what="every alert delivered")
    wait_until(lambda: system.outbound_statuses().keys() <= {"sent"}, DEADLINE,
               what="every ledger row sent")
    deliveries = system.deliveries()
    duplicates = {k: n for k, n in deliveries.items() if n > 1}
    assert set(deliveries) == expected
    assert max(deliveries.values()) <= 2
    # Only the messages the provider held when the worker died may come twice.
    assert sum(n - 1 for n in duplicates.values()) <= in_flight
    resent = [a for a in system.fake_log()["attempts"] if a["time"] > killed_at]
    assert resent, "the new worker sent the rest"


def test_provider_500s_then_timeouts_then_recovery_every_alert_delivered_with_backoff(
    make_system,
):
    """The fake provider answers HTTP 500, then holds requests past the SDK's
    9.05 s read timeout, for ``MPAKA_FAULT_OUTAGE_SECONDS`` (default 30; 60 is
    the issue's minute), then recovers.  Every alert is delivered exactly once,
    after several attempts spaced by growing, jittered delays (the worker's
    backoff is compressed 5x so the test fits in CI; attempts are raised to 12
    because the default 6 can run out inside a one-minute outage)."""
    outage = float(os.environ.get("MPAKA_FAULT_OUTAGE_SECONDS", "30"))
    system = make_system()
    system.start_app()
    references = _reports(system, 2, "outage")
    system.fake_mode("error")
    start = time.time()
    system.start_worker(MPAKA_TEST_BACKOFF_SCALE="0.2", DELIVERY_MAX_ATTEMPTS="12")
    time.sleep(outage / 2)
    system.fake_mode("timeout", hold="10")
    time.sleep(outage / 2)
    system.fake_mode("ok", latency="0")
    recovered = time.time()

    expected = {(ref, to) for ref in references for to in ("+254700000101", "+254700000102")}
    wait_until(lambda: set(system.deliveries()) >= expected, 2 * DEADLINE,
               what="delivery after recovery")
    wait_until(lambda: system.outbound_statuses().keys() <= {"sent"}, DEADLINE,
               what="ledger sent")
    deliveries = system.deliveries()
    assert set(deliveries) == expected and set(deliveries.values()) == {1}

    attempts = system.fake_log()["attempts"]
    failed = [a for a in attempts if a["mode"] != "ok" and start <= a["time"] <= recovered]
    assert failed, "the outage was seen"
    by_call: dict[str, list[float]] = {}
    for a in attempts:
        by_call.setdefault(a["to"], []).append(a["time"])
    for times in by_call.values():
        assert len(times) >= 3  # failed at least twice, then delivered
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        # backoff, not a hot loop: no more than ~one try per second on average
        assert (times[-1] - times[0]) / len(gaps) > 1.0
    rows = system.rows(select(Message.attempts).where(Message.direction == "out",
                                                      Message.channel == "sms"))
    assert all(n >= 2 for (n,) in rows)


def test_web_process_killed_mid_dialogue_continues_from_redis(system):
    """SIGKILL gunicorn (master and workers) after three answers, start it
    again: the same USSD session goes on where it was and ends in one report."""
    first = system.walk(INPUTS[:3], "ATUid_web_restart")
    assert all(r.text.startswith("CON ") for r in first)
    system.app.kill()
    system.start_app()
    rest = system.walk(INPUTS[3:], "ATUid_web_restart", start="*".join(INPUTS[:3]))
    assert all(r.status_code == 200 for r in rest)
    assert rest[0].text.startswith("CON ") and "Lini?" in rest[0].text
    assert rest[-1].text.startswith("END ") and "R-" in rest[-1].text
    assert system.report_count() == 1
