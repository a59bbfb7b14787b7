from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from practice.models import Center
from practice.scoping import AncestorColumns
from volunteers.models import Volunteer


class HoursEntry(models.Model):
    """Append-only ledger of certified service hours. Each entry names its source, and the
    source is unique, so crediting the same completed order twice is impossible.

    home_center, township and county copy the volunteer's at the time of the credit (their
    own copied columns), so that a cadre's "newest entries in this county" is one index range
    at city scale instead of a walk of the tree for each of ten million rows. Services keep
    them in step when a center moves; an entry stays with the village it was earned in when
    the volunteer later moves home, as an order stays with its village.
    """

    class Source(models.TextChoices):
        ORDER = "order", _("服务订单")

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="hours_entries"
    )
    # No single-column index: each leads one of the (column, -id) indexes below.
    home_center = models.ForeignKey(
        Center,
        verbose_name=_("所属村（社区）"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
    )
    township = models.ForeignKey(
        Center,
        verbose_name=_("所属乡镇（街道）"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
        db_index=False,
    )
    county = models.ForeignKey(
        Center,
        verbose_name=_("所属县（市、区）"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
        db_index=False,
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    source_id = models.BigIntegerField(_("来源编号"))
    hours = models.DecimalField(_("时长"), max_digits=6, decimal_places=2)
    created_at = models.DateTimeField(_("记入时间"), auto_now_add=True)

    # Scoping filters on the copied ancestor columns (see practice.scoping).
    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="home_center"
    )

    class Meta:
        verbose_name = _("服务时长记录")
        verbose_name_plural = _("服务时长记录")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="hours_once_per_source"),
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="hours_not_negative"),
        ]
        indexes = [
            models.Index(fields=["volunteer", "-id"], name="hours_volunteer_newest"),
            models.Index(fields=["county", "-id"], name="hours_county_newest"),
            models.Index(fields=["township", "-id"], name="hours_township_newest"),
            models.Index(fields=["home_center", "-id"], name="hours_village_newest"),
        ]

    def __str__(self) -> str:
        # Read by cadres (the admin's titles and breadcrumbs): the source's label, not its code.
        return (
            f"{self.volunteer} +{self.hours} 小时（{self.get_source_display()} #{self.source_id}）"
        )
