from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from practice.models import Center


class Volunteer(TimeStampedModel):
    """A user's volunteer profile: what makes them a volunteer.

    hours, points and stars are caches of the points ledgers, kept here so the phone's
    "me" page reads one row; the ledgers stay the truth and can rebuild them at any time.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        ACTIVE = "active", _("在册")
        SUSPENDED = "suspended", _("暂停")
        LEFT = "left", _("已退出")
        REJECTED = "rejected", _("未通过")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.PROTECT,
        related_name="volunteer",
    )
    home_center = models.ForeignKey(
        Center,
        verbose_name=_("所属村（社区）"),
        on_delete=models.PROTECT,
        related_name="volunteers",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    joined_on = models.DateField(_("加入日期"), null=True, blank=True)
    hours = models.DecimalField(_("服务时长"), max_digits=10, decimal_places=2, default=Decimal(0))
    points = models.IntegerField(_("积分"), default=0)
    stars = models.PositiveSmallIntegerField(_("星级"), default=0)

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_active_volunteer(self) -> bool:
        return self.status == self.Status.ACTIVE
