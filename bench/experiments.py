"""Candidate fixes for core code, applied by monkeypatching *inside benchmark
processes only* so they can be measured before the core owners adopt them:
``gunicorn bench.experiments:app`` with ``MPAKA_BENCH_PATCHES=a,b``.
Nothing here is used by the product; see BENCHMARKS.md for the results."""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError


def ledger_async_commit() -> None:
    """Ledger rows of a USSD/SMS turn committed with ``synchronous_commit=off``
    on PostgreSQL (no fsync wait; a server crash can lose the last ~0.6 s of
    ledger rows, never a report: reports keep their own synchronous commit)."""
    from gateway import conversation, ledger
    from handlers.base import Channel

    def _record(self, msg, outcome):
        try:
            with self.svc.db() as db:
                if db.get_bind().dialect.name == "postgresql":
                    db.execute(text("SET LOCAL synchronous_commit TO OFF"))
                db.add(ledger.inbound(msg, protector=self.protector))
                if outcome.reply is not None and msg.channel != Channel.SMS:
                    db.add(self.reply_record(msg, outcome, status="sent"))
                db.commit()
        except SQLAlchemyError as exc:
            conversation.log.warning("ledger write failed: %s", type(exc).__name__)

    conversation.Conversations._record = _record


PATCHES = {"ledger_async_commit": ledger_async_commit}


def apply(names: str | None) -> list[str]:
    applied = []
    for name in filter(None, (n.strip() for n in (names or "").split(","))):
        PATCHES[name]()
        applied.append(name)
    return applied


APPLIED = apply(os.environ.get("MPAKA_BENCH_PATCHES"))

from wsgi import app  # noqa: E402,F401  (after the patches)
