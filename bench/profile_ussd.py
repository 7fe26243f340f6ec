"""``python -m bench.profile_ussd``: profile USSD dialogues in-process with
pyinstrument (the Flask test client against a real Redis and PostgreSQL), to
see where a request's time goes.  Uses ``REDIS_URL`` (default db 14 on
127.0.0.1) and a fresh database ``mpaka_profile`` next to
``TEST_DATABASE_URL``."""

from __future__ import annotations

import argparse
import os
import time

from pyinstrument import Profiler
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gateway.app import create_app
from gateway.core.db import make_engine
from gateway.store import migrate
from gateway.store.seed import seed

INPUTS = ["1", "1", "1", "1", "1", "Armed men near the well", "2", "1"]


def fresh_database(base: str, name: str = "mpaka_profile") -> str:
    admin = make_engine(base)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dialogues", type=int, default=40)
    args = parser.parse_args()
    url = fresh_database(os.environ.get("TEST_DATABASE_URL",
                                        "postgresql://postgres@127.0.0.1:5432/test"))
    app = create_app({"REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
                      "DATABASE_URL": url, "SECRET_KEY": "profile", "TRUSTED_PROXIES": 0,
                      "INBOUND_PER_10_MINUTES": 10**6, "REPORTS_PER_HOUR": 10**6})
    svc = app.extensions["mpaka"]
    svc.redis.flushdb()
    with svc.db() as db:
        seed(db, admin_password="profile")
    client = app.test_client()

    def walk(i: int) -> None:
        for n in range(len(INPUTS) + 1):
            client.post("/webhooks/africastalking/ussd", data={
                "sessionId": f"prof{i}", "phoneNumber": f"+2547120{i:05d}",
                "serviceCode": "*384#", "networkCode": "63902", "text": "*".join(INPUTS[:n])})

    walk(0)  # warm caches
    profiler = Profiler()
    profiler.start()
    started = time.perf_counter()
    for i in range(1, args.dialogues + 1):
        walk(i)
    elapsed = time.perf_counter() - started
    profiler.stop()
    print(f"{args.dialogues * (len(INPUTS) + 1) / elapsed:.1f} requests/s in one process")
    print(profiler.output_text(unicode=True, color=False))


if __name__ == "__main__":
    main()
