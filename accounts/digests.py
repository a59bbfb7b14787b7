"""Keyed digests that stand in for a phone number, a code or a client address wherever the
value itself need not be kept (sign-in records, verification rows after their code is dead).

The key is PERSONAL_DATA_LOOKUP_KEY, the one that keys the ID-number lookup hash (it never
changes); unset, a key derived from SECRET_KEY, for development and tests only. Each use
mixes in its own label, so a phone's digest here never equals its digest elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

from accounts.phones import normalize_phone

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def _key() -> bytes:
    configured = settings.PERSONAL_DATA_LOOKUP_KEY
    if configured:
        return configured.encode()
    return hashlib.sha256(b"portal-lookup:" + settings.SECRET_KEY.encode()).digest()


def keyed_digest(label: str, value: str) -> str:
    return hmac.new(_key(), f"{label}:{value}".encode(), hashlib.sha256).hexdigest()


def phone_digest(raw_phone: object) -> str:
    """The digest of a phone number however it was typed, for the sign-in records and the
    per-account guard. A value that already is such a digest is returned as is: django-axes
    hands back what it stored when it clears a user's attempts."""
    text = str(raw_phone or "")
    if _DIGEST.match(text):
        return text
    return keyed_digest("phone", normalize_phone(text))


def is_digest(value: object) -> bool:
    return bool(_DIGEST.match(str(value or "")))
