"""Build the configured sender (and caller) by provider name.  Explicit: no plugins, no discovery."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from .africastalking import AfricasTalkingCaller, AfricasTalkingSender
from .base import Caller, Sender
from .console import ConsoleCaller, ConsoleSender
from .errors import ConfigurationError
from .twilio import TwilioSender

TWILIO_STATUS_PATH = "/webhooks/twilio/status"


def _required(config: Mapping[str, object], name: str, provider: str) -> str:
    value = config.get(name)
    if not value or not str(value).strip():
        raise ConfigurationError(f"{name} is not set; the {provider} sender needs it")
    return str(value).strip()


def _optional(config: Mapping[str, object], name: str) -> str | None:
    value = config.get(name)
    return str(value).strip() or None if value else None


def _africastalking(config: Mapping[str, object]) -> AfricasTalkingSender:
    return AfricasTalkingSender(
        username=_required(config, "AT_USERNAME", "africastalking"),
        api_key=_required(config, "AT_API_KEY", "africastalking"),
        sender_id=_optional(config, "AT_SENDER_ID"),
    )


def _twilio(config: Mapping[str, object]) -> TwilioSender:
    base_url = _optional(config, "PUBLIC_BASE_URL")
    return TwilioSender(
        account_sid=_required(config, "TWILIO_ACCOUNT_SID", "twilio"),
        auth_token=_required(config, "TWILIO_AUTH_TOKEN", "twilio"),
        from_number=_required(config, "TWILIO_FROM_NUMBER", "twilio"),
        whatsapp_from=_optional(config, "TWILIO_WHATSAPP_FROM"),
        status_callback=base_url.rstrip("/") + TWILIO_STATUS_PATH if base_url else None,
    )


def _console(config: Mapping[str, object]) -> ConsoleSender:
    return ConsoleSender()


SENDERS: dict[str, Callable[[Mapping[str, object]], Sender]] = {
    "africastalking": _africastalking,
    "twilio": _twilio,
    "console": _console,
}


def _build(table: Mapping[str, Callable[[Mapping[str, object]], Any]], kind: str, provider: str,
           config: Mapping[str, object]) -> Any:
    try:
        factory = table[provider]
    except KeyError:
        known = ", ".join(sorted(table))
        raise ConfigurationError(f"unknown {kind} provider {provider!r}; use one of: {known}") from None
    return factory(config)


def build_sender(provider: str, config: Mapping[str, object]) -> Sender:
    """The sender for ``provider``; ``ConfigurationError`` names what is missing."""
    return cast(Sender, _build(SENDERS, "SMS", provider, config))


def _africastalking_caller(config: Mapping[str, object]) -> AfricasTalkingCaller:
    return AfricasTalkingCaller(
        username=_required(config, "AT_USERNAME", "africastalking"),
        api_key=_required(config, "AT_API_KEY", "africastalking"),
    )


def _console_caller(config: Mapping[str, object]) -> ConsoleCaller:
    return ConsoleCaller()


CALLERS: dict[str, Callable[[Mapping[str, object]], Caller]] = {
    "africastalking": _africastalking_caller,
    "console": _console_caller,
}


def build_caller(provider: str, config: Mapping[str, object]) -> Caller:
    """The voice caller for ``provider``; ``ConfigurationError`` names what is missing."""
    return cast(Caller, _build(CALLERS, "voice", provider, config))
