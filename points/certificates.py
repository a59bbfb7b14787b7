"""Certificate numbers and the verification codes of their public links.

A number reads "2026-430405-7QK3M9XD": the year of issue, the county code of the issuing
center, and eight random characters from an alphabet without look-alikes (0/O, 1/I/L). It
is unique (a constraint; a clash is drawn again) and cannot be guessed from its neighbours,
as a running sequence could.

The link printed on the certificate carries the number and a verification code: an HMAC
of the number with every frozen figure, under CERTIFICATE_KEYS. A number someone made up
is not in the table; a real number with a digit changed is another certificate (or none),
whose code differs; a row whose figures were edited in the database no longer matches
its own code. All three are refused alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.utils import timezone

from points.models import Certificate

NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_RANDOM_LENGTH = 8
NUMBER_PATTERN = re.compile(r"^\d{4}-\d{6}-[" + NUMBER_ALPHABET + r"]{8}$")
# 80 bits of the HMAC, in lower-case base32: short enough for a QR code a phone reads at
# arm's length, far beyond guessing.
CODE_BYTES = 10
CODE_PATTERN = re.compile(r"^[a-z2-7]{16}$")


def new_number(*, year: int, issuing_center_code: str) -> str:
    county = (issuing_center_code[:6]).ljust(6, "0")
    suffix = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_RANDOM_LENGTH))
    return f"{year:04d}-{county}-{suffix}"


def normalize_number(text: str) -> str | None:
    """The number as stored, from what a person typed or a link carried, or None if it
    cannot be one (so that a malformed link never reaches the database)."""
    number = text.strip().upper()
    return number if NUMBER_PATTERN.match(number) else None


def normalize_code(text: str) -> str | None:
    code = text.strip().lower()
    return code if CODE_PATTERN.match(code) else None


def _keys() -> list[bytes]:
    configured = [key.encode() for key in settings.CERTIFICATE_KEYS if key]
    if configured:
        return configured
    # Development and tests only: `check --deploy` warns (points.checks, points.W001).
    return [hashlib.sha256(b"portal-certificate:" + settings.SECRET_KEY.encode()).digest()]


def _message(certificate: Certificate) -> bytes:
    issued_on = timezone.localdate(certificate.issued_at).isoformat()
    fields = [
        certificate.number,
        str(certificate.volunteer_id),
        certificate.real_name,
        certificate.id_number_first4,
        certificate.id_number_last4,
        certificate.national_number,
        certificate.period_start.isoformat(),
        certificate.period_end.isoformat(),
        f"{certificate.hours:.2f}",
        str(certificate.services),
        str(certificate.issuing_center_id),
        issued_on,
    ]
    # A separator no field can hold, so that two fields cannot trade characters.
    return "\x1f".join(fields).encode()


def _code(key: bytes, message: bytes) -> str:
    digest = hmac.new(key, message, hashlib.sha256).digest()[:CODE_BYTES]
    return base64.b32encode(digest).decode().lower()


def verification_code(certificate: Certificate) -> str:
    """The code printed in the certificate's link, under the current signing key."""
    return _code(_keys()[0], _message(certificate))


def code_matches(certificate: Certificate, code: str) -> bool:
    """Whether ``code`` is the certificate's, under any key still accepted."""
    message = _message(certificate)
    return any(hmac.compare_digest(_code(key, message), code) for key in _keys())
