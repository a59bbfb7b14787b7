"""Writes to accounts that depend on a cadre's scope over them. Here, not in accounts: that
scope follows from cadre roles and volunteer homes, which sit above the user model."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, NotInScope, clean_or_refuse
from volunteers.account_selectors import account_editable_by
from volunteers.errors import VolunteerErrorCode


@transaction.atomic
def user_update(*, actor: User, user: User, fields: list[str]) -> User:
    """Save the admin's changes to ``user``; the caller has scoped ``user`` to ``actor``.

    Only a cadre whose scope covers every role of the account may change it
    (``account_editable_by``). Cadres may change names and switch accounts on and off,
    never the technical flags, and never their own active flag (a cadre locking themself
    out needs a colleague).
    """
    if not account_editable_by(actor, user):
        raise NotInScope(
            _("该账号不在您的管理范围内，不能修改。"), code=VolunteerErrorCode.ACCOUNT_NOT_EDITABLE
        )
    allowed = {"name", "is_active"} if not actor.is_superuser else set(fields)
    refused = set(fields) - allowed
    if refused:
        raise DomainError(
            _("您无权修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(refused))}
        )
    if user.pk == actor.pk and "is_active" in fields and not user.is_active:
        raise DomainError(
            _("不能停用您本人的账号。"), code=VolunteerErrorCode.DEACTIVATE_SELF, field="is_active"
        )
    clean_or_refuse(user, exclude=["password", "last_login"])
    if "phone" in fields:
        # clean() derived the 尾号 from the new number; it is saved with it.
        fields = [*fields, "phone_last4"]
    if fields:
        user.save(update_fields=fields)
    return user
