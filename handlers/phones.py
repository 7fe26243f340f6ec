"""Phone numbers: normalise to E.164 and mask for logs and screens."""

from __future__ import annotations

import phonenumbers

from .errors import InvalidPhone

_CHANNEL_PREFIXES = ("whatsapp:", "tel:", "sms:")


def normalise_phone(raw: str | None, region: str = "KE", *, strict: bool = False) -> str:
    """Return ``raw`` as E.164 (``+254712345678``), or raise ``InvalidPhone``.

    Accepts national (``0712345678``, ``712345678``), international with or
    without ``+`` and channel-prefixed (``whatsapp:+254…``) forms.

    Numbers that reach us from a provider were authenticated by the network,
    so by default only their shape is checked (``is_possible_number``): the
    ``phonenumbers`` metadata can lag behind newly opened ranges, and a
    reporter must not be refused for that.  Pass ``strict=True`` for numbers
    typed by people (team members in the admin console).
    """
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhone("phone number is missing")
    text = raw.strip()
    lowered = text.lower()
    for prefix in _CHANNEL_PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    if len(text) > 32:
        raise InvalidPhone("phone number is longer than 32 characters")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"not a phone number: {mask_phone(text)}") from None
    ok = phonenumbers.is_valid_number(number) if strict else phonenumbers.is_possible_number(number)
    if not ok:
        raise InvalidPhone(f"not a valid phone number: {mask_phone(text)}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str | None) -> str:
    """Hide all but the country code, first and last three digits.

    ``+254712345678`` → ``+254 7•• ••• 678``.  Never raises: anything that is
    not a number is masked down to its last three digits.
    """
    text = (e164 or "").strip()
    try:
        number = phonenumbers.parse(text, None)
        national = phonenumbers.national_significant_number(number)
        country = f"+{number.country_code} "
    except phonenumbers.NumberParseException:
        national = "".join(ch for ch in text if ch.isdigit())
        country = ""
    if len(national) < 7:
        return country + "•" * max(len(national), 3)
    masked = national[0] + "•" * (len(national) - 4) + national[-3:]
    head = len(masked) % 3 or 3  # group in threes from the right: 7•• ••• 678
    groups = [masked[:head]] + [masked[i : i + 3] for i in range(head, len(masked), 3)]
    return country + " ".join(groups)
