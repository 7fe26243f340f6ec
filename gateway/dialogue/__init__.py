"""The pure dialogue engine: script model, loader and linter, session state,
and the engine that advances a session by one input.  No I/O here; see README.md.
"""

from . import gsm
from .engine import advance, new_session
from .errors import DialogueError, ScriptError, SessionError
from .issues import LintIssue, LintReport
from .lint import lint_script, load_script
from .script import Script
from .session import Attachment, DialogueSession, Turn

__all__ = [
    "DialogueError", "LintIssue", "LintReport", "Script", "ScriptError", "DialogueSession",
    "SessionError", "Turn", "Attachment", "advance", "gsm", "lint_script", "load_script", "new_session",
]
