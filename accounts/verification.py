"""Codes that prove a person holds a phone: sent for sign-up and for a password reset.

Six digits from ``secrets``, valid VERIFICATION_CODE_MINUTES (10), void after
VERIFICATION_CODE_MAX_ATTEMPTS (5) wrong tries; at most VERIFICATION_CODES_PER_PHONE_HOUR (5)
codes a phone an hour and VERIFICATION_CODES_PER_ADDRESS_DAY (20) a client address a day,
counted in the database (the cache may be down, and a limit that forgets is no limit).

Neither the code nor the number is stored: a row holds their keyed digests, so a copy of the
table tells nobody which phones asked or what their codes were.

Both functions run their writes in a transaction of their own and must be called outside
any other: a wrong try has to be counted even though the request it came with is refused.
"""

from __future__ import annotations

import datetime
import hmac
import logging
import secrets
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.digests import keyed_digest, phone_digest
from accounts.errors import AccountErrorCode
from accounts.models import PhoneVerification, User
from accounts.phones import normalize_phone, validate_mainland_mobile
from core.errors import DomainError
from core.locks import transaction_lock
from core.notify import phone_text_send

logger = logging.getLogger(__name__)
Purpose = PhoneVerification.Purpose


class TooManyCodes(DomainError):
    http_status = 429


def code_minutes() -> int:
    return settings.VERIFICATION_CODE_MINUTES


def _checked_phone(raw: object) -> str:
    phone = normalize_phone(raw)
    if not phone:
        raise DomainError(_("请填写手机号。"), code=AccountErrorCode.PHONE_REQUIRED, field="phone")
    try:
        validate_mainland_mobile(phone)
    except ValidationError as exc:
        raise DomainError(
            exc.messages[0], code=AccountErrorCode.INVALID_PHONE, field="phone"
        ) from exc
    return phone


def _checked_purpose(purpose: object) -> str:
    if purpose not in Purpose.values:
        raise DomainError(
            _("验证码用途无效。"), code=AccountErrorCode.INVALID_PURPOSE, field="purpose"
        )
    return str(purpose)


def _code_digest(phone: str, purpose: str, code: str) -> str:
    return keyed_digest("verification-code", f"{phone}:{purpose}:{code}")


def _client_digest(client_address: str | None) -> str:
    # Requests whose address is unknown share one allowance rather than escaping the limit.
    return keyed_digest("client-address", client_address or "unknown")


def _serialize_per_phone(digest: str) -> None:
    # Two requests at once for one phone must not both see four codes and both send a fifth.
    transaction_lock(digest)


def verification_code_send(
    *,
    phone: str,
    purpose: str,
    client_address: str | None,
    now: datetime.datetime | None = None,
) -> PhoneVerification:
    """Send a new code to ``phone`` for ``purpose``; earlier live codes for the same phone
    and purpose stop working. For a reset to a number with no account nothing is sent, but
    the answer and the counting are the same, so the form tells nobody who is registered."""
    phone = _checked_phone(phone)
    purpose = _checked_purpose(purpose)
    now = now or timezone.now()
    has_account = User.objects.filter(phone=phone).exists()
    if purpose == Purpose.SIGNUP and has_account:
        raise DomainError(
            _("该手机号已注册，请直接登录；忘记密码可通过验证码重置。"),
            code=AccountErrorCode.PHONE_TAKEN,
            field="phone",
        )
    digest = phone_digest(phone)
    client = _client_digest(client_address)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        _serialize_per_phone(digest)
        per_phone = settings.VERIFICATION_CODES_PER_PHONE_HOUR
        sent_to_phone = PhoneVerification.objects.filter(
            phone_digest=digest, created_at__gt=now - datetime.timedelta(hours=1)
        ).count()
        if sent_to_phone >= per_phone:
            raise TooManyCodes(
                _("该手机号 1 小时内获取验证码已达 %(count)d 次，请稍后再试。")
                % {"count": per_phone},
                code=AccountErrorCode.TOO_MANY_CODES_FOR_PHONE,
            )
        per_client = settings.VERIFICATION_CODES_PER_ADDRESS_DAY
        sent_from_client = PhoneVerification.objects.filter(
            client_digest=client, created_at__gt=now - datetime.timedelta(days=1)
        ).count()
        if sent_from_client >= per_client:
            raise TooManyCodes(
                _("您所在的网络今天获取验证码已达 %(count)d 次，请明天再试。")
                % {"count": per_client},
                code=AccountErrorCode.TOO_MANY_CODES_FOR_ADDRESS,
            )
        PhoneVerification.objects.filter(
            phone_digest=digest, purpose=purpose, used_at__isnull=True, voided_at__isnull=True
        ).update(voided_at=now)
        verification = PhoneVerification.objects.create(
            phone_digest=digest,
            purpose=purpose,
            code_digest=_code_digest(phone, purpose, code),
            client_digest=client,
            created_at=now,
            expires_at=now + datetime.timedelta(minutes=code_minutes()),
        )
    if purpose == Purpose.RESET and not has_account:
        return verification
    text = _("验证码 %(code)s，%(minutes)d 分钟内有效，用于%(purpose)s。如非本人操作，请忽略。") % {
        "code": code,
        "minutes": code_minutes(),
        "purpose": Purpose(purpose).label,
    }
    try:
        phone_text_send(phone=phone, text=text)
    except Exception as exc:  # noqa: BLE001 - any gateway failure: say so, keep the count
        logger.exception("verification code %s could not be sent", verification.pk)
        PhoneVerification.objects.filter(pk=verification.pk).update(voided_at=now)
        raise DomainError(
            _("验证码发送失败，请稍后再试。"), code=AccountErrorCode.CODE_NOT_SENT, field="phone"
        ) from exc
    return verification


def _normalized_code(raw: object) -> str:
    code = unicodedata.normalize("NFKC", str(raw or "")).strip()
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        raise DomainError(
            _("请输入 6 位数字验证码。"), code=AccountErrorCode.INVALID_CODE, field="code"
        )
    return code


def verification_code_check(
    *, phone: str, purpose: str, code: str, now: datetime.datetime | None = None
) -> PhoneVerification:
    """Use up the live code for ``phone`` and ``purpose`` if ``code`` is it; otherwise count
    the wrong try (the fifth voids the code) and refuse."""
    phone = _checked_phone(phone)
    purpose = _checked_purpose(purpose)
    code = _normalized_code(code)
    now = now or timezone.now()
    max_attempts = settings.VERIFICATION_CODE_MAX_ATTEMPTS
    with transaction.atomic():
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(
                phone_digest=phone_digest(phone),
                purpose=purpose,
                used_at__isnull=True,
                voided_at__isnull=True,
                expires_at__gt=now,
            )
            .order_by("-created_at")
            .first()
        )
        if verification is None:
            outcome = "none"
        elif hmac.compare_digest(verification.code_digest, _code_digest(phone, purpose, code)):
            verification.used_at = now
            verification.save(update_fields=["used_at"])
            outcome = "used"
        else:
            verification.attempts += 1
            if verification.attempts >= max_attempts:
                verification.voided_at = now
            verification.save(update_fields=["attempts", "voided_at"])
            outcome = "voided" if verification.voided_at else "wrong"
    if outcome == "used" and verification is not None:
        return verification
    if outcome == "none":
        message = _("验证码无效或已过期，请重新获取。")
    elif outcome == "voided":
        message = _("验证码错误次数过多，已作废，请重新获取。")
    else:
        attempts = verification.attempts if verification is not None else max_attempts
        message = _("验证码不正确，还可再试 %(left)d 次。") % {"left": max_attempts - attempts}
    raise DomainError(message, code=AccountErrorCode(f"code_{outcome}"), field="code")
