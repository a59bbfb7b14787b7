from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from volunteers.models import Volunteer


class HoursEntry(models.Model):
    """Append-only ledger of certified service hours. Each entry names its source, and the
    source is unique, so crediting the same completed order twice is impossible."""

    class Source(models.TextChoices):
        ORDER = "order", _("服务订单")

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="hours_entries"
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    source_id = models.BigIntegerField(_("来源编号"))
    hours = models.DecimalField(_("时长"), max_digits=6, decimal_places=2)
    created_at = models.DateTimeField(_("记入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("服务时长记录")
        verbose_name_plural = _("服务时长记录")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="hours_once_per_source"),
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="hours_not_negative"),
        ]
        indexes = [models.Index(fields=["volunteer", "-id"], name="hours_volunteer_newest")]

    def __str__(self) -> str:
        return f"{self.volunteer} +{self.hours}h ({self.source} {self.source_id})"
