"""Named exceptions of the dialogue engine (their root is ``gateway.errors.MpakaError``).

    DialogueError          base class
    ├── ScriptError        a script or gazetteer cannot be used: malformed or
    │                      oversized YAML, wrong shapes, or problems the linter
    │                      calls errors.  ``line`` points into the YAML when known;
    │                      ``issues`` lists every error found.
    └── SessionError       a stored session cannot be read back.

Both are also ``ValueError``s: bad input, not a bug in the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.errors import MpakaError

if TYPE_CHECKING:
    from .issues import LintIssue


class DialogueError(MpakaError):
    """Base class for errors raised by gateway.dialogue."""


class ScriptError(DialogueError, ValueError):
    def __init__(self, message: str, line: int | None = None, issues: list[LintIssue] | None = None):
        super().__init__(message if line is None else f"line {line}: {message}")
        self.message = message
        self.line = line
        self.issues = list(issues or [])


class SessionError(DialogueError, ValueError):
    """The JSON given to Session.from_json is not a session this engine wrote."""
