"""Candidate fixes for core code, applied by monkeypatching *inside benchmark
processes only* so they can be measured before the core owners adopt them:
``gunicorn bench.experiments:app`` with ``MPAKA_BENCH_PATCHES=a,b``.
Nothing here is used by the product; see BENCHMARKS.md for the results."""

from __future__ import annotations

import os

from sqlalchemy import text


def ledger_async_commit() -> None:
    """The ledger rows of each webhook turn committed with
    ``synchronous_commit=off`` on PostgreSQL: no wait for the WAL fsync.  A
    server crash can lose the last ~0.6 s of *ledger* rows, never a report:
    reports are written in their own transaction, synchronously."""
    import contextvars
    import functools

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from gateway import conversation

    in_ledger = contextvars.ContextVar("in_ledger", default=False)
    original = conversation.Conversations._record

    @functools.wraps(original)
    def _record(self, *args, **kwargs):
        token = in_ledger.set(True)
        try:
            return original(self, *args, **kwargs)
        finally:
            in_ledger.reset(token)

    @event.listens_for(Session, "after_begin")
    def _async_commit(session, transaction, connection):
        if in_ledger.get() and connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL synchronous_commit TO OFF"))

    conversation.Conversations._record = _record


PATCHES = {
    "ledger_async_commit": ledger_async_commit,
    "warm_worker": lambda: None,  # applied by bench.worker in the RQ worker's parent
    "simple_worker": lambda: None,  # likewise
}


def apply(names: str | None) -> list[str]:
    applied = []
    for name in filter(None, (n.strip() for n in (names or "").split(","))):
        PATCHES[name]()
        applied.append(name)
    return applied


APPLIED = apply(os.environ.get("MPAKA_BENCH_PATCHES"))

from wsgi import app  # noqa: E402,F401  (after the patches)
