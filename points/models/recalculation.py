"""The full recalculation of every volunteer's balances from the ledgers: one row per run,
holding its progress (the next volunteer id of its id-range walk) so that a run cut short
by its time limit, a deploy or a killed worker goes on where it stopped; and one row per
volunteer whose cached figures it found drifted, which is its report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from volunteers.models import Volunteer


class Recalculation(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")

    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The walk: volunteers with ids in [next_volunteer_id, last_volunteer_id] are still to
    # do, from first_volunteer_id; last_volunteer_id is the highest id when the run started
    # (later volunteers have no history to drift from).
    first_volunteer_id = models.BigIntegerField(_("起始志愿者编号"), default=0)
    next_volunteer_id = models.BigIntegerField(_("进度（下一志愿者编号）"), default=0)
    last_volunteer_id = models.BigIntegerField(_("最后志愿者编号"), default=0)
    chunks = models.PositiveIntegerField(_("已完成批次"), default=0)
    drifted = models.PositiveIntegerField(_("偏差人数"), default=0)
    rechecked = models.PositiveIntegerField(_("星级待复核人数"), default=0)

    class Meta:
        verbose_name = _("积分时长重算")
        verbose_name_plural = _("积分时长重算")
        constraints = [
            # One run at a time: a second start while one runs is refused by the database.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running"),
                name="recalculation_one_running",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        span = self.last_volunteer_id + 1 - self.first_volunteer_id
        walked = self.next_volunteer_id - self.first_volunteer_id
        return 0 if span <= 0 else min(99, int(100 * walked / span))


class RecalculationDrift(models.Model):
    """A volunteer whose cached hours or points differed from the ledgers' sums: both
    figures, as found; the run repaired the cache to the ledgers' (``repaired`` False when a
    concurrent entry moved the balance meanwhile, left for the next run)."""

    recalculation = models.ForeignKey(
        Recalculation, verbose_name=_("重算"), on_delete=models.CASCADE, related_name="drifts"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.CASCADE, related_name="+"
    )
    cached_hours = models.DecimalField(_("原缓存时长"), max_digits=10, decimal_places=2)
    ledger_hours = models.DecimalField(_("台账时长"), max_digits=10, decimal_places=2)
    cached_points = models.IntegerField(_("原缓存积分"))
    ledger_points = models.IntegerField(_("台账积分"))
    repaired = models.BooleanField(_("已修正"), default=False)

    class Meta:
        verbose_name = _("重算偏差")
        verbose_name_plural = _("重算偏差")
        constraints = [
            models.UniqueConstraint(
                fields=["recalculation", "volunteer"], name="recalculation_drift_once"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.recalculation_id} {self.volunteer_id}"
