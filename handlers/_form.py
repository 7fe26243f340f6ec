"""Reading webhook form fields with presence and length checks, and phone fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, overload

from .errors import BadRequest, InvalidPhone
from .phones import normalise_phone


@overload
def get_field(
    form: Mapping[str, str], name: str, *, max_len: int, required: Literal[True]
) -> str: ...


@overload
def get_field(
    form: Mapping[str, str], name: str, *, max_len: int, required: bool = False
) -> str | None: ...


def get_field(
    form: Mapping[str, str], name: str, *, max_len: int, required: bool = False
) -> str | None:
    """Return the field's value, ``None`` when absent and optional.

    Raises ``BadRequest`` naming the field when a required one is missing or
    empty, or when a value is longer than ``max_len`` characters.
    """
    value = form.get(name)
    if value is None or (required and not str(value).strip()):
        if required:
            raise BadRequest(f"required field {name!r} is missing")
        return None
    value = str(value)
    if len(value) > max_len:
        raise BadRequest(f"field {name!r} is longer than {max_len} characters")
    return value


def phone_field(value: str, name: str) -> str:
    """``value``, read from field ``name``, as E.164.

    Raises ``BadRequest`` naming the field when it is not a phone number.
    """
    try:
        return normalise_phone(value)
    except InvalidPhone as exc:
        raise BadRequest(f"field {name!r}: {exc}") from None
