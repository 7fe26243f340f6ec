"""Named exceptions raised by the provider adapters.

::

    HandlerError
    ├── BadRequest          malformed webhook: answer 400 with the message
    ├── Forbidden           bad or missing signature/secret: answer 403
    └── ConfigurationError  a sender cannot be built: fix the environment

``Unauthorized`` is another name for ``Forbidden``.  Provider *failures*
while sending are not exceptions: senders report them in ``SendResult``.
"""

from __future__ import annotations


class HandlerError(Exception):
    """Base class for every error raised by ``handlers``."""

    status_code = 500


class BadRequest(HandlerError):
    """The webhook request is malformed; the message says which field and why."""

    status_code = 400


class Forbidden(HandlerError):
    """The webhook's signature or shared secret is missing or wrong."""

    status_code = 403


Unauthorized = Forbidden


class ConfigurationError(HandlerError):
    """A setting is missing or invalid; the message names the variable."""
