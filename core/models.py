from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


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
