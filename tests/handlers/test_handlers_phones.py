"""Phone normalisation and masking, and the error classes' HTTP statuses."""

import pytest

from handlers.errors import BadRequest, ConfigurationError, Forbidden, HandlerError, InvalidPhone
from handlers.phones import mask_phone, normalise_phone


@pytest.mark.parametrize(
    "raw, expected",
    [
        pytest.param("0712345678", "+254712345678", id="national with trunk 0"),
        pytest.param("712345678", "+254712345678", id="national without trunk"),
        pytest.param("254712345678", "+254712345678", id="international without plus"),
        pytest.param("+254712345678", "+254712345678", id="E.164"),
        pytest.param("whatsapp:+254712345678", "+254712345678", id="whatsapp prefix"),
        pytest.param(" +254 712 345 678 ", "+254712345678", id="spaces"),
        pytest.param("0110345678", "+254110345678", id="new 01 mobile range"),
        pytest.param("+256772123456", "+256772123456", id="Ugandan number kept"),
    ],
)
def test_normalise_phone_accepts(raw, expected):
    """Kenyan numbers in every common form become E.164."""
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("not a number", id="letters"),
        pytest.param("12345", id="too short"),
        pytest.param("+9991234567", id="unknown country code"),
        pytest.param("07" + "1" * 40, id="too long"),
    ],
)
def test_normalise_phone_rejects(raw):
    """Anything that is not a phone number raises InvalidPhone."""
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_normalise_phone_strict_checks_assigned_ranges():
    """strict=True refuses a number of the right length in an unassigned range."""
    assert normalise_phone("+254912345678") == "+254912345678"
    with pytest.raises(InvalidPhone):
        normalise_phone("+254912345678", strict=True)


def test_rejection_message_does_not_echo_the_number():
    """Error messages (which end up in logs and 400 bodies) mask the digits."""
    with pytest.raises(InvalidPhone) as caught:
        normalise_phone("0712")
    assert "0712" not in str(caught.value)


@pytest.mark.parametrize(
    "e164, expected",
    [
        pytest.param("+254712345678", "+254 7•• ••• 678", id="kenyan mobile"),
        pytest.param("+15005550006", "+1 5 ••• ••• 006", id="ten-digit national number"),
        pytest.param("garbage", "•••", id="not a number"),
        pytest.param(None, "•••", id="none"),
    ],
)
def test_mask_phone(e164, expected):
    """Only the country code, first digit and last three digits show."""
    assert mask_phone(e164) == expected


@pytest.mark.parametrize(
    "error, status",
    [
        pytest.param(BadRequest, 400, id="bad request"),
        pytest.param(Forbidden, 403, id="forbidden"),
    ],
)
def test_errors_carry_http_status(error, status):
    """Each error says which HTTP status the web layer should answer."""
    assert issubclass(error, HandlerError)
    assert error.status_code == status


def test_invalid_phone_is_not_an_http_error():
    """InvalidPhone is a ValueError for forms and imports; only webhooks turn it into a 400."""
    assert issubclass(InvalidPhone, ValueError)
    assert not issubclass(InvalidPhone, HandlerError)


def test_gateway_config_error_is_the_handlers_one():
    """One config error: gateway.errors.ConfigError is handlers' ConfigurationError."""
    from gateway.errors import ConfigError

    assert ConfigError is ConfigurationError


def test_every_error_shares_one_root():
    """The adapters', the engine's and the gateway's errors all derive from MpakaError."""
    from gateway.dialogue import ScriptError, SessionError
    from gateway.errors import MpakaError, ScriptNotFound
    from gateway.web.api.common import ApiError

    for error in (BadRequest, Forbidden, ConfigurationError, InvalidPhone, ScriptError,
                  SessionError, ScriptNotFound, ApiError):
        assert issubclass(error, MpakaError), error
