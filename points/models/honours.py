"""The annual honours (评选表彰): outstanding volunteers of a year, nominated by a county's
or the city's cadre from the year's figures, confirmed by the city, then published."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from points.models.ledger import copied_center_column
from practice.scoping import AncestorColumns
from volunteers.models import Volunteer

if TYPE_CHECKING:
    pass


class Honour(models.Model):
    """One volunteer's nomination for a year's honour, and what the city decided.

    The year's hours are copied from the summary when nominated, so the public list and the
    decision show the figure the nomination was made on."""

    class Status(models.TextChoices):
        NOMINATED = "nominated", _("已提名")
        CONFIRMED = "confirmed", _("已表彰")
        REJECTED = "rejected", _("未通过")

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    hours = models.DecimalField(_("年度服务时长"), max_digits=10, decimal_places=2, editable=False)
    reason = models.CharField(_("推荐理由"), max_length=500)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.NOMINATED, editable=False
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提名人"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    nominated_at = models.DateTimeField(_("提名时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("审定时间"), null=True, blank=True, editable=False)
    home_center = copied_center_column(_("所属村（社区）"), null=False)
    township = copied_center_column(_("所属乡镇（街道）"), null=True)
    county = copied_center_column(_("所属县（市、区）"), null=True)

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="home_center"
    )

    class Meta:
        verbose_name = _("年度表彰")
        verbose_name_plural = _("年度表彰")
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "year"], name="honour_once_per_year"),
        ]
        indexes = [
            models.Index(fields=["county", "-id"], name="honour_county_newest"),
            models.Index(fields=["township", "-id"], name="honour_township_newest"),
            models.Index(fields=["home_center", "-id"], name="honour_village_newest"),
            # The public list: a year's confirmed honours, keyset pages by id.
            models.Index(fields=["status", "year", "-id"], name="honour_published"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.year} 年度（{self.get_status_display()}）"
