"""Every write of the love supermarket (爱心超市): the cadres' items, and the redemptions'
life (requested → collected, or released when not collected in time, or refunded by a
cadre).

A redemption takes its item's stock and the volunteer's points in one transaction, each by a
conditional UPDATE (``stock >= quantity``, ``points >= price``), so neither ever goes below
zero and two requests at once can never spend the same points or the same last unit: the
second waits on the first's row lock and then finds too little. Giving back (a release, a
refund) is the reverse, under the redemption's row lock and behind the ledger's unique key,
so it happens once however often it is asked for.

Locks are always taken in one order, volunteer then item, by taking and by giving back, so
a redemption and a release or refund of the same volunteer and item never deadlock. The item
comes last because it is the row many volunteers share (one popular item of a county): its
lock is then held only from the stock's UPDATE to the commit, not over the redemption's
other writes.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ConflictError, DomainError, NotInScope, clean_or_refuse
from points.errors import PointErrorCode
from points.models.ledger import Kind, Source
from points.models.supermarket import MAX_QUANTITY, Redemption, SupermarketItem
from points.selectors.supermarket import items_of_county, redemptions_in_scope
from points.services.ledger import _reason, points_credit
from practice.ancestry import path_of
from practice.models import Center, Level
from practice.scoping import center_in_scope
from volunteers.models import Volunteer

# The tiers that may run a supermarket: the city has none of its own.
SUPERMARKET_LEVELS = (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE)


# --- the items (cadres, in the admin) -------------------------------------------------------


def _require_in_scope(actor: User | None, center: Center | None) -> None:
    """``actor`` None is the system itself (the demo's seed)."""
    if actor is None:
        return
    if center is None or not center_in_scope(actor, center):
        raise NotInScope(
            _("阵地不存在或不在您的管辖范围内。"),
            code=PointErrorCode.SUPERMARKET_CENTER_NOT_IN_SCOPE,
            field="center",
        )


def _off_the_shelf() -> DomainError:
    return DomainError(_("该商品已下架。"), code=PointErrorCode.REDEMPTION_ITEM_INACTIVE)


def _stock_refused() -> DomainError:
    return DomainError(
        _("库存不足，减少后库存不能为负数。"),
        code=PointErrorCode.SUPERMARKET_STOCK_NEGATIVE,
        field="stock_change",
    )


def item_validate(*, actor: User | None, item: SupermarketItem, stock_change: int = 0) -> None:
    """Everything ``item_save`` checks, without writing (the admin form shows a refusal
    beside its field): the item stays with a county, township or village center of the
    actor's subtree, before and after the edit, and a reduction of its stock leaves some."""
    if item.pk is not None:
        original = SupermarketItem.objects.select_related("center").get(pk=item.pk)
        _require_in_scope(actor, original.center)
    center = getattr(item, "center", None)
    _require_in_scope(actor, center)
    if center is not None and center.level not in SUPERMARKET_LEVELS:
        raise DomainError(
            _("爱心超市只能设在县（市、区）、乡镇（街道）或村（社区）阵地。"),
            code=PointErrorCode.SUPERMARKET_CENTER_LEVEL,
            field="center",
        )
    item.name = (item.name or "").strip()
    clean_or_refuse(item)
    if item.pk is not None and stock_change < 0:
        stock = SupermarketItem.objects.values_list("stock", flat=True).get(pk=item.pk)
        if stock + stock_change < 0:
            raise _stock_refused()


@transaction.atomic
def item_save(
    *, actor: User | None, item: SupermarketItem, stock_change: int = 0
) -> SupermarketItem:
    """Create ``item`` (its stock as given) or save the changes made to it. An existing
    item's stock is never written from the form's copy, which a redemption may have moved
    since the page was read; ``stock_change`` (a restock, or units taken off the shelf)
    moves it in SQL instead, and is refused if it would take the stock below zero."""
    creating = item.pk is None
    if not creating:
        # Serialise with concurrent edits, so a move out of scope is judged on the saved row.
        item.stock = SupermarketItem.objects.select_for_update().get(pk=item.pk).stock
    item_validate(actor=actor, item=item)
    item.township_id, item.county_id, _city = path_of(item.center)
    if creating:
        item.save()
        return item
    item.save(
        update_fields=[
            "center",
            "township",
            "county",
            "name",
            "description",
            "price",
            "is_active",
            "updated_at",
        ]
    )
    if stock_change:
        moved = (
            SupermarketItem.objects.filter(pk=item.pk, stock__gte=-stock_change)
            if stock_change < 0
            else SupermarketItem.objects.filter(pk=item.pk)
        ).update(stock=F("stock") + stock_change)
        if not moved:
            raise _stock_refused()
        item.refresh_from_db(fields=["stock"])
    return item


# --- a redemption (the volunteer, on the phone) ---------------------------------------------


def _quantity(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise DomainError(
            _("请填写兑换数量（整数）。"), code=PointErrorCode.REDEMPTION_QUANTITY, field="quantity"
        )
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(
            _("兑换数量应为 1 至 %(max)d 件。") % {"max": MAX_QUANTITY},
            code=PointErrorCode.REDEMPTION_QUANTITY,
            field="quantity",
        )
    return quantity


def _stock_taken(item_id: int, quantity: int, price: int) -> bool:
    """Take ``quantity`` units off the item's stock at ``price`` a unit: False, with nothing
    taken, when the stock cannot cover them, the item went off the shelf or its price
    changed since it was read. The condition re-reads the row once a concurrent redemption
    has committed, so the last unit goes to one of them only."""
    return bool(
        SupermarketItem.objects.filter(
            pk=item_id, is_active=True, price=price, stock__gte=quantity
        ).update(stock=F("stock") - quantity)
    )


def _stock_refusal(item_id: int, price: int) -> DomainError:
    """Why the stock's UPDATE took nothing, read once it has: the item as it stands now."""
    now = SupermarketItem.objects.values("is_active", "price", "stock").get(pk=item_id)
    if not now["is_active"]:
        return _off_the_shelf()
    if now["price"] != price:
        return ConflictError(
            _("该商品的兑换积分已调整为 %(price)d 分，请确认后重新兑换。")
            % {"price": now["price"]},
            code=PointErrorCode.REDEMPTION_PRICE_CHANGED,
            field="item",
        )
    return ConflictError(
        _("库存不足，该商品仅剩 %(stock)d 件。") % {"stock": now["stock"]},
        code=PointErrorCode.REDEMPTION_OUT_OF_STOCK,
        field="quantity",
    )


@transaction.atomic
def redemption_request(*, volunteer: Volunteer, item_id: int, quantity: int) -> Redemption:
    """The volunteer redeems ``quantity`` units of an item of their own county's
    supermarkets: the stock and the points are held at once, in this transaction, and the
    redemption waits for the cashier's hand-over. Refused, with nothing written, for a
    quantity out of range, an item elsewhere or off the shelf, too little stock or too
    few points."""
    quantity = _quantity(quantity)
    if not volunteer.is_active_volunteer:
        raise DomainError(
            _("只有在册的志愿者可以兑换。"), code=PointErrorCode.REDEMPTION_NOT_VOLUNTEER
        )
    # The item, its price and its copied path in one read, without a lock: the stock's
    # UPDATE at the end takes the item only if that price still holds.
    item = items_of_county(volunteer).filter(pk=item_id).select_related("center").first()
    if item is None:
        raise NotInScope(
            _("商品不存在，或不在您所在县（市、区）的爱心超市。"),
            code=PointErrorCode.REDEMPTION_ITEM_UNKNOWN,
            field="item",
        )
    if not item.is_active or not item.center.is_active:
        raise _off_the_shelf()
    redemption = Redemption.objects.create(
        volunteer=volunteer,
        item_id=item.pk,
        center_id=item.center_id,
        township_id=item.township_id,
        county_id=item.county_id,
        quantity=quantity,
        points=item.price * quantity,
    )
    # The volunteer's row first, then the item's (the one order of locks). Either refusal
    # undoes this whole transaction: the redemption's row, and the points for the stock's.
    points_credit(
        volunteer_id=volunteer.pk,
        source=Source.REDEMPTION,
        source_id=redemption.pk,
        points=-redemption.points,
        kind=Kind.REDEEMED,
    )
    if not _stock_taken(item.pk, quantity, item.price):
        raise _stock_refusal(item.pk, item.price)
    return redemption


# --- closing it (the cashier, a cadre, the release task) ------------------------------------


def _open_in_scope(actor: User, redemption_id: int) -> Redemption:
    redemption = (
        redemptions_in_scope(actor)
        .select_for_update(of=("self",))
        .select_related("item", "volunteer")
        .filter(pk=redemption_id)
        .first()
    )
    if redemption is None:
        raise NotInScope(_("兑换记录不存在。"), code=PointErrorCode.REDEMPTION_NOT_IN_SCOPE)
    if redemption.status != Redemption.Status.REQUESTED:
        status = redemption.get_status_display()
        raise ConflictError(
            _("该兑换的状态为“%(status)s”，不能再办理。") % {"status": status},
            code=PointErrorCode.REDEMPTION_CLOSED,
        )
    return redemption


@transaction.atomic
def redemption_collect(*, actor: User, redemption_id: int) -> Redemption:
    """The cashier confirms the hand-over: a cadre of the item's center or above it. The
    points and the stock stay spent."""
    redemption = _open_in_scope(actor, redemption_id)
    redemption.status = Redemption.Status.COLLECTED
    redemption.closed_by = actor
    redemption.closed_at = timezone.now()
    redemption.save(update_fields=["status", "closed_by", "closed_at"])
    return redemption


def _return_stock(redemptions: list[Redemption]) -> None:
    """Put the units of these redemptions back on their shelves, one UPDATE per item in the
    items' order, after the volunteers' points: a batch takes every volunteer's lock before
    any item's, so it never holds an item a redemption in flight, holding its volunteer,
    would wait for."""
    units: dict[int, int] = {}
    for redemption in redemptions:
        units[redemption.item_id] = units.get(redemption.item_id, 0) + redemption.quantity
    for item_id in sorted(units):
        SupermarketItem.objects.filter(pk=item_id).update(stock=F("stock") + units[item_id])


def _return_points(redemption: Redemption, *, actor: User | None, reason: str) -> None:
    # A REFUNDED entry under the redemption's own source id: the ledger's unique key makes
    # a second one write nothing, whatever the status said.
    points_credit(
        volunteer_id=redemption.volunteer_id,
        source=Source.REDEMPTION,
        source_id=redemption.pk,
        points=redemption.points,
        kind=Kind.REFUNDED,
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def redemption_refund(*, actor: User, redemption_id: int, reason: str) -> Redemption:
    """A cadre of the item's center or above gives a redemption not yet collected back,
    with a reason: its points to the volunteer, its units to the shelf."""
    reason = _reason(reason)
    redemption = _open_in_scope(actor, redemption_id)
    _return_points(redemption, actor=actor, reason=reason)
    _return_stock([redemption])
    redemption.status = Redemption.Status.REFUNDED
    redemption.closed_by = actor
    redemption.closed_at = timezone.now()
    redemption.reason = reason
    redemption.save(update_fields=["status", "closed_by", "closed_at", "reason"])
    return redemption


def redemptions_release(
    *, now: datetime.datetime | None = None, batch: int = 200, max_batches: int = 50
) -> int:
    """Release the redemptions not collected within SUPERMARKET_COLLECT_DAYS: points and
    stock come back and the status becomes released. ``batch`` at a time, each batch one
    transaction over rows no other run holds (SKIP LOCKED), so two runs at once (beat's and
    a manual one) release each redemption once; a run killed mid-batch rolls back and
    leaves its rows to the next. Returns how many were released."""
    now = now or timezone.now()
    due = now - datetime.timedelta(days=settings.SUPERMARKET_COLLECT_DAYS)
    done = 0
    for _round in range(max_batches):
        with transaction.atomic():
            rows = list(
                Redemption.objects.select_for_update(skip_locked=True)
                .filter(status=Redemption.Status.REQUESTED, requested_at__lt=due)
                .order_by("requested_at", "pk")[:batch]
            )
            for redemption in sorted(rows, key=lambda row: (row.volunteer_id, row.pk)):
                _return_points(redemption, actor=None, reason="")
            _return_stock(rows)
            Redemption.objects.filter(pk__in=[row.pk for row in rows]).update(
                status=Redemption.Status.RELEASED, closed_at=timezone.now()
            )
        done += len(rows)
        if len(rows) < batch:
            break
    return done
