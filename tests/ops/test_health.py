"""``/healthz`` and ``/readyz``: readiness fails, naming the dependency, for
each thing an instance needs."""

from __future__ import annotations

import json

import pytest


def test_healthz_and_readyz_answer_200_when_all_is_well(client):
    """A seeded, migrated app with Redis up is live and ready."""
    assert client.get("/healthz").json == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["failing"] == []
    assert set(response.json["checks"]) == {"redis", "database", "migrations", "queues", "ledger"}


@pytest.mark.parametrize("overrides, failing", [
    pytest.param({"REDIS_URL": "redis://127.0.0.1:1/0"}, {"redis", "queues", "ledger"}, id="redis down"),
    pytest.param({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"},
                 {"database", "migrations"}, id="database down"),
    pytest.param("unmigrated", {"migrations"}, id="migrations behind"),
])
def test_readyz_names_the_failing_dependency(make_app, tmp_path, overrides, failing):
    """503, with every failing check named and explained."""
    if overrides == "unmigrated":
        overrides = {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    client = make_app(**overrides).test_client()
    assert client.get("/healthz").status_code == 200  # alive all the same
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert set(response.json["failing"]) == failing
    for name in failing:
        assert response.json["checks"][name]["error"]
    if "migrations" in failing and "database" not in failing:
        assert "mpaka db upgrade" in response.json["checks"]["migrations"]["error"]


def test_readyz_fails_when_a_queue_is_deeper_than_the_threshold(make_app, svc):
    """Jobs piling up (no workers?) make the instance not ready."""
    app = make_app(READY_QUEUE_THRESHOLD=2)
    queue = app.extensions["mpaka"].queue("default")
    for _ in range(3):
        queue.enqueue("workers.jobs.sweep")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["queues"]
    assert "default=3" in response.json["checks"]["queues"]["error"]


def test_readyz_does_not_echo_driver_messages(make_app):
    """An unauthenticated caller learns which dependency fails, not hosts or ports."""
    app = make_app(REDIS_URL="redis://127.0.0.1:6390/0", DATABASE_URL=(
        "postgresql://mpaka:hunter2@127.0.0.1:1/secretdb"))
    body = app.test_client().get("/readyz").get_json()
    assert {"redis", "database"} <= set(body["failing"])
    text = json.dumps(body)
    for secret in ("6390", "hunter2", "secretdb", "127.0.0.1"):
        assert secret not in text, secret
