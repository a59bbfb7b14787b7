from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.phones import mask_phone, normalize_phone, validate_mainland_mobile


def phone_last4(phone: str) -> str:
    """The 尾号 of a number as the accounts table keeps it."""
    return phone[-4:]


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
    # The last four digits (尾号) people search an account by: a column of its own with an
    # index, since a substring match on the number reads every account. Kept in step with
    # ``phone`` by clean() (every form and service cleans before saving) and by the bulk
    # loaders that write accounts directly.
    phone_last4 = models.CharField(_("手机尾号"), max_length=4, blank=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    # Django's own staff flag is kept for technical operators only; cadres reach the admin
    # through their roles (see config.admin_site).
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
        indexes = [
            # The admin's list, newest accounts first (date_joined, then id as the admin
            # breaks ties), read backwards.
            models.Index(fields=["date_joined", "id"], name="user_joined"),
            # The few switched-off accounts, for the list's filter: walking the index above
            # for them would read every active account first.
            models.Index(
                fields=["date_joined", "id"],
                condition=models.Q(is_active=False),
                name="user_inactive_joined",
            ),
            # A name search is a prefix match (LIKE '王%'), which only an index in the
            # pattern operator class serves under a non-C collation.
            models.Index(
                fields=["name"], opclasses=["varchar_pattern_ops"], name="user_name_prefix"
            ),
            models.Index(fields=["phone_last4"], name="user_phone_last4"),
        ]

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
        self.phone_last4 = phone_last4(self.phone)
        self.name = (self.name or "").strip()


class PhoneVerification(models.Model):
    """One code sent to one phone for one purpose. Neither the code nor the number is
    stored, only keyed digests of them: the code is checked by recomputing its digest, and
    the row still counts towards the per-phone and per-address limits until the purge of
    sign-in records removes it."""

    class Purpose(models.TextChoices):
        SIGNUP = "signup", _("注册")
        RESET = "reset", _("重置密码")

    phone_digest = models.CharField(_("手机号摘要"), max_length=64, db_index=True)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    code_digest = models.CharField(_("验证码摘要"), max_length=64)
    client_digest = models.CharField(_("客户端地址摘要"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("手机验证码")
        verbose_name_plural = _("手机验证码")
        indexes = [
            models.Index(
                fields=["phone_digest", "purpose", "-created_at"], name="verification_live_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"


class SignInGuard(models.Model):
    """Failed sign-ins of one account, counted across every client address, and the delay
    they earned. Keyed by the digest the sign-in records use, so an unknown number is
    guarded exactly like a known one and nothing tells the two apart."""

    account_digest = models.CharField(_("账号摘要"), max_length=64, unique=True)
    window_started_at = models.DateTimeField(_("计数起点"))
    window_failures = models.PositiveIntegerField(_("窗口内失败次数"), default=0)
    delays_imposed = models.PositiveSmallIntegerField(_("已延迟次数"), default=0)
    delayed_until = models.DateTimeField(_("延迟至"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("最近失败时间"), db_index=True)

    class Meta:
        verbose_name = _("账号登录保护")
        verbose_name_plural = _("账号登录保护")

    def __str__(self) -> str:
        return f"{self.account_digest[:12]}… {self.window_failures}"
