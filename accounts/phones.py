"""Mainland China mobile numbers: the portal's login."""

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
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
