"""Candidate fixes for core code, applied by monkeypatching *inside benchmark
processes only* so they can be measured before the core owners adopt them:
``gunicorn bench.experiments:app`` with ``MPAKA_BENCH_PATCHES=a,b``.
Nothing here is used by the product; see BENCHMARKS.md for the results."""

from __future__ import annotations

import os

#: name -> function applying the patch.  Empty: the candidates measured so far
#: (ledger commits without fsync wait, a warm non-forking worker) are in core
#: now; add a new candidate here to measure it before adopting it.
PATCHES: dict = {}


def apply(names: str | None) -> list[str]:
    applied = []
    for name in filter(None, (n.strip() for n in (names or "").split(","))):
        PATCHES[name]()
        applied.append(name)
    return applied


APPLIED = apply(os.environ.get("MPAKA_BENCH_PATCHES"))

from wsgi import app  # noqa: E402,F401  (after the patches)
