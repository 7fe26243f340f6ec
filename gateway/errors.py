"""Mpaka's exceptions: one tree, rooted here.

::

    MpakaError
    ├── ConfigError            a setting is missing or unsafe; the message names it
    ├── InvalidPhone           not a phone number (also a ValueError); says why, digits masked
    ├── ScriptNotFound         no such script version, or no live one (run the seed)
    ├── TranslationError       a translators' PO file is refused; ``problems`` name key and line
    ├── NotUnderReview         gateway.routing.review: release/dismiss of a report not held
    ├── IncidentRefused        gateway.routing.incidents: an action that does not apply now
    ├── NotAssignable          gateway.routing.casework: no such officer for the report's county
    ├── InvalidNote            gateway.routing.casework: an empty or too long note (also a ValueError)
    ├── DialogueError          gateway.dialogue.errors (also ValueErrors)
    │   ├── ScriptError        a script or gazetteer cannot be used; ``line``, ``issues``
    │   └── SessionError       a stored session cannot be read back
    ├── HandlerError           handlers.errors: a webhook request is refused
    │   ├── BadRequest         malformed: answer 400 with the message
    │   ├── Forbidden          bad or missing signature or secret: answer 403
    │   └── MediaRefused       a reporter's media is not fetched or kept (``reason``)
    │       └── MediaUnavailable  the provider did not answer: try again later
    └── ApiError               gateway.web.api: a JSON error of the REST API

A leaf, like ``gateway.vocab``: it imports nothing, so the pure dialogue
engine and the provider adapters derive their errors from it without
depending on the rest of the gateway.  Provider *failures* while sending are
not exceptions: senders report them in ``SendResult``.
"""

from __future__ import annotations


class MpakaError(Exception):
    """Base class of every exception Mpaka raises on purpose."""


class ConfigError(MpakaError):
    """A setting is missing or invalid; the message names the variable."""


class InvalidPhone(MpakaError, ValueError):
    """Not a phone number; the message says why, with the digits masked.

    A domain error, not an HTTP one: webhook parsers turn it into a
    ``BadRequest`` naming the field, forms and CSV imports show the message
    beside their own input."""


class ScriptNotFound(MpakaError):
    """No such script version, or no live one."""


class TranslationError(MpakaError):
    """A translators' PO file cannot be exported or imported; nothing was saved.

    ``problems`` lists each reason, naming the text's key and its PO line."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems
