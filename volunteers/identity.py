"""Resident identity card numbers (居民身份证号码, GB 11643-1999): validation, the facts
they carry, masking, encryption at rest and the keyed lookup hash.

A resident ID number is sensitive personal information under the Personal Information
Protection Law: the database never holds it in clear. It is stored as a Fernet token
(encrypted and authenticated), found again through an HMAC of the number, and shown masked
except to a cadre in scope who asks to reveal it (and is audited for it).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# ISO 7064 MOD 11-2 weights for the first 17 digits, and the check character for each
# remainder.
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK_CHARACTERS = "10X98765432"
# First two digits of the region code: the provinces, autonomous regions and municipalities
# of the mainland, Taiwan (71), Hong Kong (81) and Macao (82).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82",
    }
)  # fmt: skip
EARLIEST_BIRTH = datetime.date(1900, 1, 1)


@dataclass(frozen=True)
class IdentityFacts:
    birth_date: datetime.date
    gender: str  # "male" or "female", by the parity of the 17th digit


def normalize_id_number(raw: object) -> str:
    # NFKC turns the full-width digits and Ｘ of Chinese input methods into ASCII.
    return unicodedata.normalize("NFKC", str(raw or "")).strip().replace(" ", "").upper()


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def validate_id_number(value: str, *, today: datetime.date | None = None) -> IdentityFacts:
    """Check ``value`` (already normalised) and return what it says of its holder."""
    if len(value) == 15 and value.isdigit():
        raise ValidationError(
            _("这是 15 位的旧版身份证号码，请填写 18 位的第二代身份证号码。"), code="id_legacy"
        )
    if len(value) != 18:
        raise ValidationError(
            _("身份证号码应为 18 位，当前为 %(length)d 位。"),
            code="id_length",
            params={"length": len(value)},
        )
    first17, last = value[:17], value[17]
    if not first17.isascii() or not first17.isdigit() or last not in "0123456789X":
        raise ValidationError(
            _("身份证号码前 17 位应为数字，最后一位为数字或 X。"), code="id_characters"
        )
    if first17[:2] not in PROVINCE_CODES or first17[2:6] == "0000":
        raise ValidationError(_("身份证号码的地区码无效。"), code="id_region")
    try:
        birth_date = datetime.date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    except ValueError as exc:
        raise ValidationError(_("身份证号码中的出生日期不存在。"), code="id_birth_date") from exc
    today = today or timezone.localdate()
    if not EARLIEST_BIRTH <= birth_date <= today:
        raise ValidationError(_("身份证号码中的出生日期不合理。"), code="id_birth_date")
    if check_character(first17) != last:
        raise ValidationError(
            _("身份证号码校验位不正确，请核对后重新填写。"), code="id_check_character"
        )
    gender = "male" if int(first17[16]) % 2 else "female"
    return IdentityFacts(birth_date=birth_date, gender=gender)


def mask_id_number(first4: str, last4: str) -> str:
    """4304**********123X: enough for its holder to recognise, not enough to use."""
    return f"{first4}{'*' * 10}{last4}"


def _derived_key(purpose: bytes) -> bytes:
    # Development and tests only: keys derived from SECRET_KEY. `check --deploy` warns.
    digest = hashlib.sha256(b"portal-" + purpose + b":" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _encryption_keys() -> list[bytes]:
    return [key.encode() for key in settings.PERSONAL_DATA_KEYS] or [_derived_key(b"encrypt")]


def _lookup_key() -> bytes:
    return settings.PERSONAL_DATA_LOOKUP_KEY.encode() or _derived_key(b"lookup")


@lru_cache(maxsize=4)
def _cipher(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "PERSONAL_DATA_KEYS must be Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def cipher() -> MultiFernet:
    """The first key encrypts; every key decrypts, so keys can be rotated."""
    return _cipher(tuple(_encryption_keys()))


def encrypt_id_number(value: str) -> str:
    return cipher().encrypt(value.encode()).decode()


def decrypt_id_number(token: str) -> str:
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An ID number could not be decrypted with the keys set."
        ) from exc


def reencrypt_id_number(token: str) -> str | None:
    """``token`` encrypted again with the first key, or None when the first key already
    encrypted it, so that a second pass over the same rows writes nothing. Raises
    cryptography's InvalidToken when no key of PERSONAL_DATA_KEYS decrypts it."""
    keys = tuple(_encryption_keys())
    try:
        _cipher(keys[:1]).decrypt(token.encode())
    except InvalidToken:
        return _cipher(keys).rotate(token.encode()).decode()
    return None


def id_number_digest(value: str) -> str:
    """The keyed hash an ID number is looked up by: equal numbers, equal digests; without the
    key, a digest cannot be tested against the few billion possible numbers."""
    return hmac.new(_lookup_key(), value.encode(), hashlib.sha256).hexdigest()


def phone_digest(phone: str) -> str:
    """The keyed hash a phone number is found by where the number itself need not be kept
    (a roster invitation waiting for the phone's owner). A prefix keeps it apart from ID
    number digests."""
    return id_number_digest(f"phone:{phone}")


def compose_id_number(region: str, birth_date: datetime.date, sequence: int) -> str:
    """A well-formed number for ``region`` (6 digits), ``birth_date`` and a 3-digit
    ``sequence`` (odd for men). For seed and synthetic data: real people's numbers never
    come from here."""
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
