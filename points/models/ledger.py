"""The two append-only ledgers, hours and points, and the cadre's review a 1-star rating opens.

An entry never changes its amount, kind or source once written; a correction is a reversing
entry. Only its copied ancestor columns move, when a center moves (practice.ancestry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from practice.models import Center
from practice.scoping import AncestorColumns
from volunteers.models import Volunteer

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


class Kind(models.TextChoices):
    """What an entry does to its balance. Hours use earned, adjusted and reversed."""

    EARNED = "earned", _("获得")
    RATING_BONUS = "rating_bonus", _("好评奖励")
    ADJUSTED = "adjusted", _("调整")
    REVERSED = "reversed", _("冲销")
    REDEEMED = "redeemed", _("兑换")
    REFUNDED = "refunded", _("退还")
    EXPIRED = "expired", _("过期")


class Source(models.TextChoices):
    """What an entry's source_id names."""

    ORDER = "order", _("服务订单")
    ACTIVITY = "activity", _("志愿活动")
    CADRE = "cadre", _("干部录入")
    REDEMPTION = "redemption", _("积分兑换")
    # source_id is the year whose points expired: one expiry per volunteer and year.
    EXPIRY = "expiry", _("积分过期")


# The sign each kind's amount must have; "adjusted" goes either way.
CREDIT_KINDS = (Kind.EARNED, Kind.RATING_BONUS, Kind.REFUNDED)
DEBIT_KINDS = (Kind.REVERSED, Kind.REDEEMED, Kind.EXPIRED)
HOURS_KINDS = (Kind.EARNED, Kind.ADJUSTED, Kind.REVERSED)


def _signed_by_kind(field: str) -> models.Q:
    return (
        models.Q(kind__in=CREDIT_KINDS, **{f"{field}__gte": 0})
        | models.Q(kind__in=DEBIT_KINDS, **{f"{field}__lte": 0})
        | models.Q(kind=Kind.ADJUSTED)
    )


def copied_center_column(
    verbose_name: StrOrPromise, *, null: bool
) -> models.ForeignKey[Center, Center]:
    # No single-column index: where a list reads by the column, its model declares a
    # (column, -id) index led by it, as the ledgers do.
    return models.ForeignKey(
        Center,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=null,
        db_index=False,
    )


class LedgerEntry(models.Model):
    """What both ledgers share.

    home_center, township and county copy the volunteer's at the time of the entry (their
    own copied columns), so that a cadre's "newest entries in this county" is one index range
    at city scale instead of a walk of the tree for each of ten million rows, and
    leaderboards go by where volunteers live. Services keep them in step when a center moves;
    an entry stays with the village it was earned in when the volunteer later moves home, as
    an order stays with its village.

    The unique (volunteer, source, source_id, kind) makes every award idempotent while
    letting every attendee of one activity earn, and a bonus sit beside its award.
    """

    home_center = copied_center_column(_("所属村（社区）"), null=False)
    township = copied_center_column(_("所属乡镇（街道）"), null=True)
    county = copied_center_column(_("所属县（市、区）"), null=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.EARNED)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    source_id = models.BigIntegerField(_("来源编号"))
    # Who wrote it: a cadre's adjustment or reversal; None for the system's own awards.
    # Indexed only where set (each model's "<ledger>_by_actor"): the awards, nearly every
    # entry, then write no index row for it, and the PROTECT check still finds a cadre's.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("记入时间"), auto_now_add=True)

    # Scoping filters on the copied ancestor columns (see practice.scoping).
    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="home_center"
    )

    class Meta:
        abstract = True


class HoursEntry(LedgerEntry):
    """Append-only ledger of certified service hours (kinds earned, adjusted, reversed)."""

    # No index of its own: the volunteer leads hours_volunteer_newest and the unique key,
    # and every index is one more write at each entry.
    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("志愿者"),
        on_delete=models.PROTECT,
        related_name="hours_entries",
        db_index=False,
    )
    # Kept as `hours` (not `amount`): the orders, the demo and the admin read it by name.
    hours = models.DecimalField(_("时长"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("服务时长记录")
        verbose_name_plural = _("服务时长记录")
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "source", "source_id", "kind"], name="hours_once_per_source"
            ),
            models.CheckConstraint(condition=models.Q(kind__in=HOURS_KINDS), name="hours_kind"),
            models.CheckConstraint(condition=_signed_by_kind("hours"), name="hours_sign_by_kind"),
        ]
        indexes = [
            # The amount rides in the volunteer's index (last, so the newest-first ledger
            # pages still read it in order): the recalculation's sums of a range of
            # volunteers are then an index-only scan of that range, not a visit to most of
            # the table's pages for each chunk (one volunteer's entries lie scattered).
            models.Index(fields=["volunteer", "-id", "hours"], name="hours_volunteer_newest"),
            models.Index(fields=["county", "-id"], name="hours_county_newest"),
            models.Index(fields=["township", "-id"], name="hours_township_newest"),
            models.Index(fields=["home_center", "-id"], name="hours_village_newest"),
            models.Index(
                fields=["actor"], condition=models.Q(actor__isnull=False), name="hours_by_actor"
            ),
        ]

    def __str__(self) -> str:
        # Read by cadres (the admin's titles and breadcrumbs): the source's label, not its code.
        sign = "+" if self.hours >= 0 else ""
        return (
            f"{self.volunteer} {sign}{self.hours} 小时"
            f"（{self.get_kind_display()}，{self.get_source_display()} #{self.source_id}）"
        )


class PointsEntry(LedgerEntry):
    """Append-only ledger of points: earned by certified hours, spent, refunded, expired.

    ``rules`` is the version of the points rules that priced an earned or bonus entry; a
    later change of the rules never reprices it."""

    # As the hours': the volunteer leads points_volunteer_newest and the unique key.
    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("志愿者"),
        on_delete=models.PROTECT,
        related_name="points_entries",
        db_index=False,
    )
    points = models.IntegerField(_("积分"))
    rules = models.ForeignKey(
        "points.PointsRules",
        verbose_name=_("积分规则版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("积分记录")
        verbose_name_plural = _("积分记录")
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "source", "source_id", "kind"], name="points_once_per_source"
            ),
            models.CheckConstraint(condition=_signed_by_kind("points"), name="points_sign_by_kind"),
        ]
        indexes = [
            # As the hours': the recalculation's sums read the index alone.
            models.Index(fields=["volunteer", "-id", "points"], name="points_volunteer_newest"),
            models.Index(fields=["county", "-id"], name="points_county_newest"),
            models.Index(fields=["township", "-id"], name="points_township_newest"),
            models.Index(fields=["home_center", "-id"], name="points_village_newest"),
            models.Index(
                fields=["actor"], condition=models.Q(actor__isnull=False), name="points_by_actor"
            ),
        ]

    def __str__(self) -> str:
        sign = "+" if self.points >= 0 else ""
        return (
            f"{self.volunteer} {sign}{self.points} 积分"
            f"（{self.get_kind_display()}，{self.get_source_display()} #{self.source_id}）"
        )


class OrderReview(models.Model):
    """A 1-star rating sends the order to a cadre: the hours stand until the cadre reverses
    them (points.services.ledger.review_decide), and the rating bonus is withheld.

    It copies the order's own center and the path above it (where the service was done),
    since it is that center's cadres who answer for the service. Points sits below orders, so
    the order is named by its id, as ledger sources are."""

    class Status(models.TextChoices):
        OPEN = "open", _("待复核")
        UPHELD = "upheld", _("维持时长")
        REVERSED = "reversed", _("已冲销")

    order_id = models.BigIntegerField(_("订单编号"), unique=True)
    volunteer = models.ForeignKey(Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT)
    center = copied_center_column(_("服务村（社区）"), null=False)
    township = copied_center_column(_("服务乡镇（街道）"), null=True)
    county = copied_center_column(_("服务县（市、区）"), null=True)
    rating = models.PositiveSmallIntegerField(_("评分"))
    comment = models.TextField(_("评价"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.OPEN, editable=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True, editable=False)
    reason = models.CharField(_("复核意见"), max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="center"
    )

    class Meta:
        verbose_name = _("差评复核")
        verbose_name_plural = _("差评复核")
        indexes = [
            models.Index(fields=["county", "-id"], name="review_county_newest"),
            models.Index(fields=["township", "-id"], name="review_township_newest"),
            models.Index(fields=["center", "-id"], name="review_village_newest"),
        ]

    def __str__(self) -> str:
        return f"订单 #{self.order_id} {self.rating} 星（{self.get_status_display()}）"
