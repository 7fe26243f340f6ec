"""Named exceptions raised by the provider adapters (their root is
``gateway.errors.MpakaError``)::

    HandlerError        a webhook request is refused
    ├── BadRequest      malformed webhook: answer 400 with the message
    ├── Forbidden       bad or missing signature/secret: answer 403
    └── MediaRefused    a reporter's media is not fetched or kept (``reason`` says why)
        └── MediaUnavailable  Twilio did not answer (timeout, 5xx): try again later

    ConfigurationError  ``gateway.errors.ConfigError``: a sender cannot be built
    InvalidPhone        ``gateway.errors.InvalidPhone``: not a phone number

Provider *failures* while sending are not exceptions: senders report them in
``SendResult``.
"""

from __future__ import annotations

from gateway.errors import ConfigError, InvalidPhone, MpakaError

#: The adapters' name for the one configuration error.
ConfigurationError = ConfigError

__all__ = [
    "BadRequest", "ConfigurationError", "Forbidden", "HandlerError", "InvalidPhone",
    "MediaRefused", "MediaUnavailable",
]


class HandlerError(MpakaError):
    """Base class for the HTTP-flavoured errors raised by ``handlers``."""

    status_code = 500


class BadRequest(HandlerError):
    """The webhook request is malformed; the message says which field and why."""

    status_code = 400


class Forbidden(HandlerError):
    """The webhook's signature or shared secret is missing or wrong."""

    status_code = 403



class MediaRefused(HandlerError):
    """A media file is not fetched or not kept.  ``reason`` is one word for
    the record (``host``, ``redirects``, ``size``, ``type``, ``status``,
    ``unreadable``); the message says what was wrong, never the URL's secrets."""

    status_code = 422

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class MediaUnavailable(MediaRefused):
    """Twilio did not answer in time or answered 5xx: fetching later may work."""
