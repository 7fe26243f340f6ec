"""A long response that streams (the CSV export) tells gunicorn it is alive.

A sync worker reports to the arbiter only between requests: one busy longer
than ``timeout`` (8 s in ``gunicorn.conf.py``) is killed, even while it is
steadily sending an export of 200,000 reports.  ``gunicorn.conf.py``'s
``post_fork`` installs the worker's ``notify`` here; a streaming generator
calls ``beat()`` between chunks.  Outside gunicorn (tests, ``flask run``) it
does nothing.  A request stuck inside one chunk is still killed as before.
"""

from __future__ import annotations

from collections.abc import Callable

_notify: Callable[[], None] | None = None


def install(notify: Callable[[], None] | None) -> None:
    global _notify
    _notify = notify


def beat() -> None:
    if _notify is not None:
        _notify()
