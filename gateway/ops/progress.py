"""Progress for long commands (imports, exports, retention): a bar on a
terminal, plain ``label: n/total (p%)`` lines otherwise (logs, cron, CI).
Always on standard error, so the command's output stays clean."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator

import click

#: Off a terminal, short runs print nothing (a log line per ten items is noise).
MIN_ITEMS = 100


def progress(items: Iterable, label: str, *, length: int | None = None,
             stream=None, every: float = 2.0) -> Iterator:
    """Yield ``items`` while showing how far along they are."""
    stream = stream or sys.stderr
    if length is None:
        try:
            length = len(items)  # type: ignore[arg-type]
        except TypeError:
            length = None
    if stream.isatty():
        with click.progressbar(items, length=length, label=label, file=stream) as bar:
            yield from bar
        return
    done, last, step = 0, time.monotonic(), max(1, (length or 0) // 10)
    quiet = length is not None and length < MIN_ITEMS
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if quiet and now - last < every:
            continue
        if done % step == 0 or now - last >= every or done == length:
            last = now
            share = f" ({done * 100 // length}%)" if length else ""
            click.echo(f"{label}: {done}/{length if length is not None else '?'}{share}",
                       file=stream)
