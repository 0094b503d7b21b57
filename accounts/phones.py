"""Phone numbers: parse what people type, store E.164, show it nicely."""

from __future__ import annotations

import phonenumbers

from accounts.organisation import current_organisation

_POSSIBLE = phonenumbers.ValidationResult.IS_POSSIBLE


class InvalidPhoneNumber(ValueError):
    pass


def normalise_phone(raw: str, *, region: str | None = None) -> str:
    """Return ``raw`` as E.164 (``+441632960961``), or "" for a blank value.

    Raises InvalidPhoneNumber when the text cannot be a full number for its
    region. The check is on length, not on allocated ranges: libphonenumber's
    metadata lags behind what carriers hand out, and a real new mobile
    number must not be refused. ``region`` (for numbers without a country
    code) defaults to the organisation's; a caller reading many numbers
    passes it once.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or current_organisation().phone_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"“{raw}” is not a phone number.") from exc
    # IS_POSSIBLE_LOCAL_ONLY ("12345") lacks an area code, so it is refused too.
    if phonenumbers.is_possible_number_with_reason(number) != _POSSIBLE:
        raise InvalidPhoneNumber(f"“{raw}” is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """Return a stored E.164 number in international format (``+44 1632 960961``)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
