"""A USSD screen costs at most three Redis round trips and no SQL statement
(the hot path of issue 15): one Lua script in (limit, lock, session), one
MULTI out (session, counters, ledger rows, unlock).  Counted on the wire:
every packet redis-py sends is one round trip, and every statement
SQLAlchemy sends to the database is counted by its engine event."""

from __future__ import annotations

import pytest
import redis.connection
from sqlalchemy import event

PHONE = "+254739495441"
# English, terrorism, Turkana, Turkana North, now, a description, contact yes, send
INPUTS = ["1", "1", "1", "1", "1", "Armed men near the well", "1", "1"]


@pytest.fixture
def wire(monkeypatch, svc):
    """Counts Redis round trips and SQL statements while a test runs."""
    counts = {"redis": 0, "sql": 0}
    send = redis.connection.AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        counts["redis"] += 1
        return send(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)

    def statement(*_args, **_kwargs):
        counts["sql"] += 1

    event.listen(svc.engine, "before_cursor_execute", statement)
    yield counts
    event.remove(svc.engine, "before_cursor_execute", statement)


def screens(client, wire, session_id):
    """Each request's (Redis round trips, SQL statements, response text)."""
    seen = []
    for n in range(len(INPUTS) + 1):
        wire.update(redis=0, sql=0)
        response = client.post("/webhooks/africastalking/ussd", data={
            "sessionId": session_id, "phoneNumber": PHONE, "networkCode": "99999",
            "serviceCode": "*384*44135#", "text": "*".join(INPUTS[:n])})
        seen.append((wire["redis"], wire["sql"], response.text))
    return seen


def test_every_screen_before_the_report_costs_at_most_three_redis_round_trips(client, wire):
    """From the first screen to the confirmation: ≤ 3 round trips each (2
    once the dialogue has started), whatever the screen."""
    screens(client, wire, "ATUid_warm")  # a first dialogue: the live script's pointer cached
    seen = screens(client, wire, "ATUid_counted")
    before_report = seen[:-1]
    assert all(text.startswith("CON ") for _, _, text in before_report)
    assert max(trips for trips, _, _ in before_report) <= 3, before_report
    assert all(trips == 2 for trips, _, _ in before_report[1:]), before_report


def test_no_screen_before_the_report_touches_the_database(client, wire):
    """Screens write their ledger rows to the stream: no SQL until the report is stored."""
    screens(client, wire, "ATUid_warm")
    seen = screens(client, wire, "ATUid_counted")
    assert [statements for _, statements, _ in seen[:-1]] == [0] * len(INPUTS)
    assert seen[-1][1] > 0  # the report itself is written to SQL, synchronously
