"""Named exceptions raised by the provider adapters.

::

    HandlerError
    ├── BadRequest          malformed webhook: answer 400 with the message
    ├── Forbidden           bad or missing signature/secret: answer 403
    └── ConfigurationError  a sender cannot be built: fix the environment

    InvalidPhone (ValueError)  not a phone number (``phones.normalise_phone``)

``InvalidPhone`` is a plain domain error, not an HTTP one: the webhook parsers
turn it into ``BadRequest`` naming the field, while forms and CSV imports show
its message next to their own input.  ``gateway.errors.ConfigError`` is
``ConfigurationError`` under the gateway's name.  Provider *failures* while
sending are not exceptions: senders report them in ``SendResult``.
"""

from __future__ import annotations


class HandlerError(Exception):
    """Base class for the HTTP-flavoured errors raised by ``handlers``."""

    status_code = 500


class BadRequest(HandlerError):
    """The webhook request is malformed; the message says which field and why."""

    status_code = 400


class Forbidden(HandlerError):
    """The webhook's signature or shared secret is missing or wrong."""

    status_code = 403


class ConfigurationError(HandlerError):
    """A setting is missing or invalid; the message names the variable."""


class InvalidPhone(ValueError):
    """Not a phone number; the message says why, with the digits masked."""
