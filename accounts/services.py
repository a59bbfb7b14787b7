"""Every write to accounts."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phones import normalize_phone
from accounts.selectors import account_editable_by
from core.errors import DomainError, NotInScope, clean_or_refuse
from practice.models import Center
from practice.services import cadre_role_grant


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
        raise DomainError(" ".join(exc.messages), code="weak_password", field="password") from exc


@transaction.atomic
def resident_register(*, phone: str, name: str, password: str) -> User:
    """A resident signs up: an account that can order services."""
    user = _checked_user(phone=phone, name=name, password=password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # Two sign-ups with one number at the same moment: the unique index decides.
        raise DomainError(_("该手机号已注册。"), code="phone_taken", field="phone") from exc
    return user


@transaction.atomic
def cadre_create(
    *, phone: str, center: Center, name: str | None = None, password: str | None = None
) -> tuple[User, bool]:
    """Give the account with ``phone`` a cadre role at ``center``, creating the account if
    there is none (then ``name`` and ``password`` are required). Returns the user and
    whether it was created. Run by deployers, outside any cadre's scope."""
    phone = normalize_phone(phone)
    user = User.objects.filter(phone=phone).first()
    created = user is None
    if user is None:
        if not name:
            raise DomainError(_("新建账号需要提供姓名。"), code="name_required", field="name")
        if not password:
            raise DomainError(
                _("新建账号需要设置密码。"), code="password_required", field="password"
            )
        user = _checked_user(phone=phone, name=name, password=password)
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
    cadre_role_grant(actor=None, user=user, center=center)
    return user, created


@transaction.atomic
def user_update(*, actor: User, user: User, fields: list[str]) -> User:
    """Save the admin's changes to ``user``; the caller has scoped ``user`` to ``actor``.

    Only a cadre whose scope covers every role of the account may change it
    (``account_editable_by``). Cadres may change names and switch accounts on and off,
    never the technical flags, and never their own active flag (a cadre locking themself
    out needs a colleague).
    """
    if not account_editable_by(actor, user):
        raise NotInScope(_("该账号不在您的管理范围内，不能修改。"), code="account_not_editable")
    allowed = {"name", "is_active"} if not actor.is_superuser else set(fields)
    refused = set(fields) - allowed
    if refused:
        raise DomainError(
            _("您无权修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(refused))}
        )
    if user.pk == actor.pk and "is_active" in fields and not user.is_active:
        raise DomainError(_("不能停用您本人的账号。"), code="deactivate_self", field="is_active")
    clean_or_refuse(user, exclude=["password", "last_login"])
    if fields:
        user.save(update_fields=fields)
    return user
