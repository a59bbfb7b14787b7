"""Mainland China phone numbers: mobiles (the portal's login) and, for contact only, landlines."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Prefixes the three carriers and the virtual operators have been allocated, as of 2024.
MAINLAND_MOBILE = re.compile(
    r"^1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])\d{8}$", re.ASCII
)
_SEPARATORS = re.compile(r"[\s\-()]")


def normalize_phone(raw: object) -> str:
    """Drop the separators and the +86 country code people type; keep anything else as is,
    so that the validator can say what is wrong with it.

    Full-width digits and signs, which Chinese input methods type, become their ASCII forms
    first, so "１３８００１３８０００" is the same account as "13800138000"."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(raw or "")))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    return text


def validate_mainland_mobile(value: str) -> None:
    if not (value.isascii() and value.isdigit()):
        raise ValidationError(_("手机号只能包含数字。"), code="phone_not_digits")
    if len(value) != 11:
        raise ValidationError(
            _("手机号应为 11 位数字，当前为 %(length)d 位。"),
            code="phone_length",
            params={"length": len(value)},
        )
    if not MAINLAND_MOBILE.match(value):
        raise ValidationError(_("不是有效的大陆手机号码段。"), code="phone_prefix")


def mask_phone(phone: str) -> str:
    if LANDLINE.match(phone):
        # The area code says only the city; the last four digits let the owner know it.
        area, rest = phone.split("-", 1)
        return f"{area}-{'*' * (len(rest) - 4)}{rest[-4:]}"
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


# A landline as people write it: area code (3 or 4 digits, starting with 0) in brackets or
# followed by a dash or a space, the local number (7 or 8 digits, perhaps split after its
# first three or four), an extension perhaps.
_LANDLINE_WRITTEN = re.compile(
    r"^\(?(0[1-9]\d{1,2})\)?[\s\-]*(\d{3,4}[\s\-]?\d{4})(?:(?:[\s\-]+|转|#|分机)(\d{1,6}))?$",
    re.ASCII,
)
# The one form a landline is kept in: "0734-8888888", "010-88888888-123".
LANDLINE = re.compile(r"^0[1-9]\d{1,2}-[2-9]\d{6,7}(?:-\d{1,6})?$", re.ASCII)
# Beijing (010) and the big cities of 02x have three-digit area codes; every other has four.
_THREE_DIGIT_AREA = re.compile(r"^0(?:10|2\d)")


def normalize_contact_number(raw: object) -> str:
    """A number to call about an order: a mobile (normalised as ``normalize_phone`` does)
    or a landline, kept as "0734-8888888" however it was written ("07348888888",
    "(0734)8888888", "0734 8888888"). Anything else is kept as typed, for the validator."""
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    written = _LANDLINE_WRITTEN.match(text)
    if written:
        digits = written[1] + _SEPARATORS.sub("", written[2])
        area_length = 3 if _THREE_DIGIT_AREA.match(digits) else 4
        area, number = digits[:area_length], digits[area_length:]
        landline = f"{area}-{number}" + (f"-{written[3]}" if written[3] else "")
        if LANDLINE.match(landline):
            return landline
    return normalize_phone(text)


def validate_contact_number(value: str) -> None:
    """A mainland mobile or a landline in its kept form: where a contact number is asked
    (an order's), never for the login, which is a mobile only."""
    if not value:
        raise ValidationError(_("请填写联系电话。"), code="required")
    if LANDLINE.match(value):
        return
    if value.startswith("0"):
        raise ValidationError(
            _("固定电话请按“区号-号码”填写，例如 0734-8888888。"), code="landline_invalid"
        )
    validate_mainland_mobile(value)
