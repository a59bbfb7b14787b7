from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.phones import mask_phone, normalize_phone, validate_mainland_mobile


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, phone: str, password: str | None, **fields: Any) -> User:
        user = self.model(phone=normalize_phone(phone), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, phone: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(phone, password, **fields)

    def create_superuser(self, phone: str, password: str | None = None, **fields: Any) -> User:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(phone, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone with an account: every account may order services as a resident; volunteer
    and cadre are roles it gains through a volunteer profile or a cadre role at a center."""

    phone = models.CharField(
        _("手机号"),
        max_length=11,
        unique=True,
        validators=[validate_mainland_mobile],
        error_messages={"unique": _("该手机号已注册。")},
    )
    name = models.CharField(_("姓名"), max_length=50)
    is_active = models.BooleanField(_("启用"), default=True)
    # Django's own staff flag is kept for technical operators only; cadres reach the admin
    # through their roles (see core.admin_site).
    is_staff = models.BooleanField(_("系统运维人员"), default=False)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)
    # Set when the owner proved they hold the phone (a code sent to it). Until then the
    # account is only a claim to the number: nothing that belongs to the number's real
    # holder (a roster row, a volunteer profile) may attach to it.
    phone_verified_at = models.DateTimeField(_("手机号验证时间"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        # Shown in admin history and choice lists, kept for years: the number masked.
        return f"{self.name}（{mask_phone(self.phone)}）"

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.phone = normalize_phone(self.phone)
        self.name = (self.name or "").strip()
