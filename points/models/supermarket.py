"""The love supermarket (爱心超市): items a county, township or village center offers for
points, and the volunteers' redemptions of them.

A redemption holds its points (a REDEEMED entry of the points ledger, source REDEMPTION and
the redemption's id) and its stock from the moment it is requested; the cashier's hand-over
closes it, and a release or a refund gives both back (points.services.supermarket)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from points.models.ledger import copied_center_column
from practice.models import Center
from practice.scoping import AncestorColumns
from volunteers.models import Volunteer

# The most units of one item a single redemption may take: a supermarket serves many
# volunteers, and a typo of 100 must not empty its shelf.
MAX_QUANTITY = 10


class SupermarketItem(TimeStampedModel):
    """One item on the shelf of a center's supermarket, priced in points.

    ``township`` and ``county`` copy the path above ``center`` (a township's or county's
    own supermarket copying itself), set by points.services.supermarket.item_save and kept
    in step by practice.ancestry when a center moves: a redemption copies them from the
    item it reads anyway, instead of deriving them from the tree at every request."""

    center = models.ForeignKey(
        Center, verbose_name=_("所属阵地"), on_delete=models.PROTECT, related_name="+"
    )
    # No index: a few thousand items in the city, never listed by these columns.
    township = copied_center_column(_("所属乡镇（街道）"), null=True)
    county = copied_center_column(_("所属县（市、区）"), null=True)
    name = models.CharField(_("商品名称"), max_length=80)
    description = models.TextField(_("商品说明"), max_length=500, blank=True)
    price = models.PositiveIntegerField(
        _("所需积分"),
        validators=[MinValueValidator(1, message=_("所需积分应为正整数。"))],
        help_text=_("兑换一件所需的积分。"),
    )
    # Moved only by SQL updates (a redemption, a release, a cadre's restock) after creation,
    # never saved back from a form read earlier: see points.services.supermarket.item_save.
    stock = models.PositiveIntegerField(_("库存"))
    is_active = models.BooleanField(_("上架"), default=True)

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="center"
    )

    class Meta:
        verbose_name = _("爱心超市商品")
        verbose_name_plural = _("爱心超市商品")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gt=0),
                name="supermarket_item_price_positive",
                violation_error_message=_("所需积分应为正整数。"),
            ),
            models.CheckConstraint(
                condition=models.Q(stock__gte=0),
                name="supermarket_item_stock_not_negative",
                violation_error_message=_("库存不能为负数。"),
            ),
            models.UniqueConstraint(
                fields=["center", "name"],
                name="supermarket_item_name_unique_per_center",
                violation_error_message=_("该阵地的爱心超市已有同名商品。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """A volunteer's redemption of ``quantity`` units of an item, for ``points`` in all.

    ``center`` copies the item's center, and ``township`` and ``county`` the path above it
    (a township's or a county's own supermarket copies itself): the cadres of that center
    and above are its cashiers, and the admin scopes the redemptions on these columns, one
    index range each at city scale instead of a tree test for every row (as the ledgers
    do). practice.ancestry keeps them in step when a center moves."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待领取")
        COLLECTED = "collected", _("已领取")
        RELEASED = "released", _("逾期已释放")
        REFUNDED = "refunded", _("已退还")

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        SupermarketItem, verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    center = models.ForeignKey(
        Center,
        verbose_name=_("兑换阵地"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    township = copied_center_column(_("兑换乡镇（街道）"), null=True)
    county = copied_center_column(_("兑换县（市、区）"), null=True)
    quantity = models.PositiveSmallIntegerField(_("数量"))
    points = models.PositiveIntegerField(_("积分"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    requested_at = models.DateTimeField(_("兑换时间"), auto_now_add=True)
    # Who closed it and when: the cashier's hand-over, a cadre's refund; None for a release.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    reason = models.CharField(_("退还原因"), max_length=200, blank=True)

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="center"
    )

    class Meta:
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, points__gt=0), name="redemption_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["volunteer", "-id"], name="redemption_volunteer_newest"),
            models.Index(fields=["county", "-id"], name="redemption_county_newest"),
            models.Index(fields=["township", "-id"], name="redemption_township_newest"),
            models.Index(fields=["center", "-id"], name="redemption_center_newest"),
            # The release's batches: the open ones, oldest first, and nothing else.
            models.Index(
                fields=["requested_at"],
                name="redemption_open_oldest",
                condition=models.Q(status="requested"),
            ),
        ]

    def __str__(self) -> str:
        return f"兑换 #{self.pk} {self.item} × {self.quantity}（{self.get_status_display()}）"
