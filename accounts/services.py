"""Every write to accounts."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts.errors import AccountErrorCode
from accounts.models import User
from accounts.phones import normalize_phone
from core.errors import DomainError, clean_or_refuse


def _checked_user(*, phone: str, name: str, password: str | None) -> User:
    user = User(phone=normalize_phone(phone), name=(name or "").strip())
    clean_or_refuse(user, exclude=["password", "last_login"])
    if password is not None:
        _check_password(password, user)
    user.set_password(password)
    return user


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(
            " ".join(exc.messages), code=AccountErrorCode.WEAK_PASSWORD, field="password"
        ) from exc


@transaction.atomic
def resident_register(
    *, phone: str, name: str, password: str | None, phone_verified: bool = False
) -> User:
    """A resident signs up: an account that can order services. ``phone_verified`` says
    the caller has proved the number belongs to them (a code, or an operator vouching);
    ``password`` None leaves the account without a usable password."""
    user = _checked_user(phone=phone, name=name, password=password)
    if phone_verified:
        user.phone_verified_at = timezone.now()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # Two sign-ups with one number at the same moment: the unique index decides.
        raise DomainError(
            _("该手机号已注册。"), code=AccountErrorCode.PHONE_TAKEN, field="phone"
        ) from exc
    return user


def resident_register_with_code(*, phone: str, name: str, password: str, code: str) -> User:
    """Sign-up from the page and the API: the account exists only once the code sent to the
    phone has been given back, so nobody can take a number that is not theirs.

    Not in a transaction of its own: the code check commits the wrong try it counts."""
    from accounts.verification import Purpose, verification_code_check

    # Everything else is checked first, so a typo in the password does not use up the code.
    # (A number already taken is refused here too, by the model's unique check.)
    _checked_user(phone=phone, name=name, password=password)
    verification_code_check(phone=phone, purpose=Purpose.SIGNUP, code=code)
    return resident_register(phone=phone, name=name, password=password, phone_verified=True)


def password_reset_with_code(*, phone: str, code: str, password: str) -> User:
    """Set a new password for the account of ``phone`` on the code sent to it. Proving the
    phone also verifies it, ends the per-account delay and axes's lockouts of the number,
    and signs the account out of every API token (sessions end by the password change)."""
    from accounts.signin import signin_guard_clear
    from accounts.verification import Purpose, verification_code_check

    user = User.objects.filter(phone=normalize_phone(phone)).first()
    _check_password(password, user or User(phone=normalize_phone(phone)))
    verification_code_check(phone=phone, purpose=Purpose.RESET, code=code)
    if user is None or not user.is_active:
        # Only reachable by a code sent to a number without a usable account, which is
        # never sent: the same words as a wrong code, so existence does not show.
        raise DomainError(
            _("验证码无效或已过期，请重新获取。"), code=AccountErrorCode.CODE_NONE, field="code"
        )
    with transaction.atomic():
        user.set_password(password)
        fields = ["password"]
        if user.phone_verified_at is None:
            user.phone_verified_at = timezone.now()
            fields.append("phone_verified_at")
        user.save(update_fields=fields)
        Token.objects.filter(user=user).delete()
        signin_guard_clear(user.phone)
    return user


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> User:
    """A signed-in user changes their password, knowing the old one."""
    if not user.check_password(old_password):
        raise DomainError(
            _("原密码不正确。"), code=AccountErrorCode.WRONG_PASSWORD, field="old_password"
        )
    _check_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    # Other devices' API tokens stop working; this browser's session is kept by the view.
    Token.objects.filter(user=user).delete()
    return user


@transaction.atomic
def account_ensure(
    *, phone: str, name: str | None = None, password: str | None = None
) -> tuple[User, bool]:
    """The account with ``phone``, created if there is none (then ``name`` and ``password``
    are required), its name and password changed to those given. Returns the user and
    whether it was created. For deployers (practice's ``cadre_create``), outside any
    cadre's scope."""
    phone = normalize_phone(phone)
    user = User.objects.filter(phone=phone).first()
    created = user is None
    if user is None:
        if not name:
            raise DomainError(
                _("新建账号需要提供姓名。"), code=AccountErrorCode.NAME_REQUIRED, field="name"
            )
        if not password:
            raise DomainError(
                _("新建账号需要设置密码。"),
                code=AccountErrorCode.PASSWORD_REQUIRED,
                field="password",
            )
        user = _checked_user(phone=phone, name=name, password=password)
        # The operator who runs create_cadre knows the cadre and the number they give: they
        # vouch for it. An existing account gains a role but not this mark, because the
        # operator vouched for the person, not for whoever signed up with the number.
        user.phone_verified_at = timezone.now()
        user.save()
    else:
        changed = []
        if name and name.strip() != user.name:
            user.name = name.strip()
            changed.append("name")
        if password:
            _check_password(password, user)
            user.set_password(password)
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
    return user, created
