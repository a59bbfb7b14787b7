from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class StatusEvent(models.Model):
    """The shape of one recorded change of status: who made it (None for the system), when
    and why. A concrete event adds what changed (its subject) and ``from_status`` /
    ``to_status`` with its own status choices; rows are written in the transaction of the
    change they record."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        abstract = True
        # A timeline reads in the order things happened; id breaks ties within a transaction.
        ordering = ["at", "id"]


class Heartbeat(models.Model):
    """When each background component last proved it was alive.

    Beat schedules the heartbeat task and a worker runs it, so a fresh row means the broker,
    beat and at least one worker all work; the health page reads its age.
    """

    source = models.CharField(_("来源"), max_length=64, unique=True)
    beat_at = models.DateTimeField(_("最近心跳"))
    count = models.PositiveBigIntegerField(_("次数"), default=0)

    class Meta:
        verbose_name = _("后台心跳")
        verbose_name_plural = _("后台心跳")

    def __str__(self) -> str:
        return f"{self.source} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """One message in a user's in-app inbox. ``key`` names the event it reports, unique per
    user, so a task that runs twice notifies once."""

    # By the setting, not "accounts.User": core sits below accounts (docs/layers.md).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(max_length=64)
    title = models.CharField(_("标题"), max_length=100)
    body = models.CharField(_("内容"), max_length=500, blank=True)
    link = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_event")
        ]
        indexes = [models.Index(fields=["user", "-id"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.title


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` a client sent with a write, and the answer it got
    (core.idempotency). Kept in the database, not the cache, so a replay finds it after a
    restart and on another web process; the unique (user, key) row is also the lock that
    makes a second request with the same key wait for the first."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("幂等键"), max_length=255)
    request_hash = models.CharField(_("请求摘要"), max_length=64)
    # Null only inside the transaction that is producing the answer: a row is committed
    # together with its answer, or not at all.
    response_status = models.PositiveSmallIntegerField(_("响应状态"), null=True)
    response_body = models.JSONField(_("响应内容"), null=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self) -> str:
        return self.key


class FormToken(models.Model):
    """A one-time token issued with a form (core.idempotency): spent, in the transaction
    that does the form's work, by the first submission; a later one with the same token
    is sent to what the first made (``result_url``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="+"
    )
    purpose = models.CharField(_("用途"), max_length=64)
    token = models.CharField(_("令牌"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    result_url = models.CharField(_("结果链接"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("表单令牌")
        verbose_name_plural = _("表单令牌")

    def __str__(self) -> str:
        return f"{self.purpose} {self.token[:8]}…"
