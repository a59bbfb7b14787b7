"""The points rules as data, kept by the city's cadres.

Every change is a new version (points.services.rules.rules_publish); a version is never
edited, so an entry's ``rules`` says exactly how it was priced. The newest version prices new
entries."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from practice.models import Service


class PointsRules(models.Model):
    """One version of the rules. The id is the version number."""

    points_per_hour = models.DecimalField(
        _("每小时积分"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(10),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1000))],
    )
    rating_bonus = models.PositiveIntegerField(
        _("五星好评奖励积分"), default=5, validators=[MaxValueValidator(100_000)]
    )
    # None: no cap.
    order_cap = models.PositiveIntegerField(
        _("每单积分上限"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100_000)],
        help_text=_("一张订单所得积分（含好评奖励）的上限；留空为不设上限。"),
    )
    expiry_enabled = models.BooleanField(
        _("积分按年过期"),
        default=False,
        help_text=_("开启后，第 Y 年获得的积分在第 Y+1 年年底过期。"),
    )
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修订人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("生效时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points_per_hour__gte=0), name="rules_points_per_hour_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"积分规则第 {self.pk} 版"


class ServiceCoefficient(models.Model):
    """Heavier or riskier services earn more: points per hour times this. A service without
    a row in a version earns at 1."""

    rules = models.ForeignKey(
        PointsRules,
        verbose_name=_("积分规则版本"),
        on_delete=models.CASCADE,
        related_name="coefficients",
    )
    service = models.ForeignKey(Service, verbose_name=_("服务项目"), on_delete=models.PROTECT)
    coefficient = models.DecimalField(
        _("系数"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))],
    )

    class Meta:
        verbose_name = _("服务积分系数")
        verbose_name_plural = _("服务积分系数")
        constraints = [
            models.UniqueConstraint(fields=["rules", "service"], name="coefficient_once"),
            models.CheckConstraint(
                condition=models.Q(coefficient__gte=0), name="coefficient_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} ×{self.coefficient}"
