"""Hours that wait for proof (issue 11 item 1, "against ghost hours"): an order checked out
without the resident's code, a figure the volunteer proposed beside the measured one, a
service the resident disputes, or service done off the platform (补录). Each becomes hours
in the ledger only when the resident confirms or a cadre in scope approves; until then it
is a claim, and a rejected claim never reaches the ledger."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from points.models.ledger import copied_center_column
from practice.models import Service
from practice.scoping import AncestorColumns
from volunteers.models import Volunteer


class HoursClaim(models.Model):
    class Kind(models.TextChoices):
        ORDER = "order", _("订单服务")
        OFFLINE = "offline", _("线下补录")

    class Status(models.TextChoices):
        AWAITING_RESIDENT = "awaiting_resident", _("待群众确认")
        AWAITING_CADRE = "awaiting_cadre", _("待干部审核")
        DISPUTED = "disputed", _("群众有异议，待干部处理")
        CERTIFIED = "certified", _("已认证")
        REJECTED = "rejected", _("未认证")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    # The order's id for an order; for 补录 the claim is its own source (its id).
    order_id = models.BigIntegerField(_("订单编号"), null=True, blank=True, unique=True)
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务对象"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("服务项目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    hours = models.DecimalField(_("申报时长"), max_digits=5, decimal_places=2)
    measured_hours = models.DecimalField(
        _("签到签退时长"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    served_on = models.DateField(_("服务日期"))
    description = models.CharField(_("说明"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    # Where the service was done (the order's center and its path), or for 补录 the
    # volunteer's home: the cadres of that subtree decide.
    center = copied_center_column(_("服务村（社区）"), null=False)
    township = copied_center_column(_("服务乡镇（街道）"), null=True)
    county = copied_center_column(_("服务县（市、区）"), null=True)
    dispute_reason = models.CharField(_("群众异议"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = models.CharField(_("审核意见"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="center"
    )

    class Meta:
        verbose_name = _("待认证时长")
        verbose_name_plural = _("待认证时长")
        indexes = [
            models.Index(fields=["county", "status", "-id"], name="claim_county_status"),
            models.Index(fields=["township", "status", "-id"], name="claim_township_status"),
            models.Index(fields=["center", "status", "-id"], name="claim_village_status"),
            models.Index(fields=["county", "-id"], name="claim_county_newest"),
            models.Index(fields=["township", "-id"], name="claim_township_newest"),
            models.Index(fields=["center", "-id"], name="claim_village_newest"),
            models.Index(fields=["volunteer", "-id"], name="claim_volunteer_newest"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="claim_hours_positive"),
            models.CheckConstraint(
                condition=models.Q(kind="offline") | models.Q(order_id__isnull=False),
                name="claim_order_named",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.ORDER:
            return f"订单 #{self.order_id} {self.hours} 小时（{self.get_status_display()}）"
        return f"补录 #{self.pk} {self.hours} 小时（{self.get_status_display()}）"
