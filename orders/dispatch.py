"""Automatic dispatch: what the Celery tasks run, and what a cadre runs from the admin."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import NotInScope
from orders import selectors
from orders.errors import OrderErrorCode
from orders.models import Order
from orders.selectors import CANDIDATE_TIERS, dispatch_candidates, orders_managed_by
from orders.services import (
    acceptance_deadline,
    auto_dispatch_enabled,
    order_dispatch,
    order_expire,
    order_flag_undispatchable,
)
from orders.workflow import ACTION_NAMES, IllegalTransition, dispatch_to_best
from practice.models import Center
from practice.scoping import is_cadre
from volunteers.availability import PERIODS

logger = logging.getLogger(__name__)


def slot_start(moment: datetime.datetime) -> datetime.datetime | None:
    """When the weekly slot ``moment`` falls in began (local time), or None at night."""
    local = timezone.localtime(moment)
    for _period, _label, start, end in PERIODS:
        if start <= local.hour < end:
            return local.replace(hour=start, minute=0, second=0, microsecond=0)
    return None


def is_night(moment: datetime.datetime) -> bool:
    """No weekly slot covers ``moment`` (22:00 to 06:00 local time): nobody is on call."""
    return slot_start(moment) is None


def on_call_now() -> datetime.datetime:
    """The moment whose weekly slot decides who is on call now (local time): the real
    clock, or ``settings.ON_CALL_CLOCK`` when set (an ISO 8601 local time). The seam lets a
    browser test, whose web server and worker both read it, see an order dispatched, or
    left for the morning, whatever hour the run happens at. Unset in any deployment."""
    fixed = getattr(settings, "ON_CALL_CLOCK", None)
    if fixed:
        moment = datetime.datetime.fromisoformat(str(fixed))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return timezone.localtime(moment)
    return timezone.localtime()


def next_dispatch_at(moment: datetime.datetime | None = None) -> datetime.datetime | None:
    """When an order placed at ``moment`` (on-call now by default) will be offered: None
    while a weekly slot is on (at once), otherwise the start of the morning slot (06:00),
    today before it, tomorrow after the evening one. The one rule the order page, the
    admin and the sweep's night pause agree on."""
    local = timezone.localtime(moment) if moment is not None else on_call_now()
    if slot_start(local) is not None:
        return None
    first_hour = PERIODS[0][2]
    morning = local.replace(hour=first_hour, minute=0, second=0, microsecond=0)
    if local.hour >= first_hour:
        morning += datetime.timedelta(days=1)
    return morning


def auto_dispatch(
    *,
    order_id: int,
    at: datetime.datetime | None = None,
    pressed_by: User | None = None,
    reason: str = "",
) -> bool:
    """Offer a placed order to the best candidate; flag it when nobody up to the county fits.
    ``at`` is the moment whose availability slot counts (now by default).

    At night nobody is on call, and that is nobody's failure: the order stays placed and
    unflagged, and the sweep offers it once the morning slot opens.

    Idempotent: a second run for the same order finds it no longer placed and does nothing,
    so a redelivered task dispatches once. ``pressed_by`` and ``reason`` name the cadre
    who ran it by hand on the offer's event (orders_auto_dispatch_now).
    """
    at = timezone.localtime(at) if at is not None else on_call_now()
    # Most orders find a volunteer in their own village: one statement reads the order, ranks
    # the village and offers it. Anything else (not placed, switched off, nobody free in the
    # village, night, the demo's SQLite) takes the full path below.
    bit = selectors.slot_bit_at(at)
    if connection.vendor == "postgresql" and bit:
        if _offer_in_tiers(
            order_id, CANDIDATE_TIERS[:1], bit=bit, at=at, pressed_by=pressed_by, reason=reason
        ):
            return True
    # Whether auto-dispatch is off at the village or above rides along in the same query
    # (auto_dispatch_enabled's test, as a subquery): the whole run stays within 10 queries.
    switched_off = Center.objects.filter(
        tree_id=OuterRef("center__tree_id"),
        lft__lte=OuterRef("center__lft"),
        rght__gte=OuterRef("center__rght"),
        auto_dispatch=False,
    )
    order = (
        Order.objects.only(
            "id", "status", "center_id", "township_id", "county_id", "service_id", "flagged_at"
        )
        .annotate(switched_off=Exists(switched_off))
        .filter(pk=order_id, status=Order.Status.PLACED)
        .first()
    )
    if order is None:
        return False
    if order.switched_off:
        if order.flagged_at is not None:
            # Flagged before the switch went off: note the try, or the sweep would pick it
            # again every minute (it only moves dispatch_tried_at; cadres were told already).
            order_flag_undispatchable(order_id=order.pk, at=at)
        return False
    if _offer_to_best(order, at=at, bit=bit, pressed_by=pressed_by, reason=reason):
        return True
    if is_night(at):
        logger.info("order %s: nobody is on call at night; left for the morning", order.pk)
        return False
    # Nobody up to the county, or the order moved on meanwhile (a cadre dispatched it, the
    # resident cancelled): the flag only lands on an order still placed.
    if order_flag_undispatchable(order_id=order.pk, at=at):
        logger.info("order %s: no candidate up to the county; flagged", order.pk)
    return False


def _offer_to_best(
    order: Order, *, at: datetime.datetime, bit: int, pressed_by: User | None, reason: str
) -> bool:
    """Offer ``order`` to the best candidate of the nearest tier that has one (the village
    was tried already on PostgreSQL)."""
    if connection.vendor != "postgresql":
        # The demo's SQLite: rank, then offer through the services (two steps, one writer).
        candidates = dispatch_candidates(order, at=at, limit=1)
        if not candidates:
            return False
        try:
            order_dispatch(
                actor=None,
                order_id=order.pk,
                volunteer=candidates[0],
                pressed_by=pressed_by,
                reason=reason,
            )
        except IllegalTransition:
            return False
        return True
    return bool(bit) and _offer_in_tiers(
        order.pk, CANDIDATE_TIERS[1:], bit=bit, at=at, pressed_by=pressed_by, reason=reason
    )


def _offer_in_tiers(
    order_id: int,
    tiers: tuple[tuple[str, str], ...],
    *,
    bit: int,
    at: datetime.datetime,
    pressed_by: User | None = None,
    reason: str = "",
) -> bool:
    """One statement per tier, nearest first: ranking, offer and event together."""
    deadline = acceptance_deadline()
    return any(
        dispatch_to_best(
            order_id=order_id,
            tier=volunteer_column,
            slot_bit=bit,
            today=at.date(),
            deadline=deadline,
            actor_id=pressed_by.pk if pressed_by is not None else None,
            reason=reason,
        )
        for volunteer_column, _order_column in tiers
    )


def sweep(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Expire offers past their deadline, then try to dispatch placed orders: those nothing
    has touched for a while (oldest first), and flagged ones last tried before the current
    weekly slot began (least recently tried first), since volunteers free now may not have
    been then. At night only offers expire: nobody is on call, and the orders wait for the
    morning.

    Each queue is one range of its own partial index, in a bounded batch: a backlog drains
    over several runs instead of one long one. Returns (expired, dispatched).
    """
    now = now or timezone.now()
    batch = settings.DISPATCH_SWEEP_BATCH
    lapsed = list(
        Order.objects.filter(status=Order.Status.DISPATCHED, accept_deadline__lt=now)
        .order_by("accept_deadline")
        .values_list("pk", flat=True)[:batch]
    )
    expired = sum(1 for order_id in lapsed if order_expire(order_id=order_id) is not None)
    current_slot_start = slot_start(now)
    if current_slot_start is None:
        return expired, 0
    quiet_since = now - datetime.timedelta(seconds=settings.DISPATCH_SWEEP_GRACE_SECONDS)
    waiting = list(
        Order.objects.filter(
            status=Order.Status.PLACED, flagged_at__isnull=True, updated_at__lt=quiet_since
        )
        # A wish nobody could take in this slot is never flagged (order_flag_undispatchable)
        # and waits for a donor: it is tried again in the next slot, not every run.
        .exclude(kind=Order.Kind.WISH, dispatch_tried_at__gte=current_slot_start)
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    # A retry that finds nobody again sets dispatch_tried_at to now, inside the current
    # slot, so the order leaves this queue until the next slot begins.
    retrying = list(
        Order.objects.filter(
            status=Order.Status.PLACED,
            flagged_at__isnull=False,
            dispatch_tried_at__lt=current_slot_start,
        )
        .order_by("dispatch_tried_at")
        .values_list("pk", flat=True)[:batch]
    )
    at = timezone.localtime(now)
    dispatched = sum(
        1 for order_id in [*waiting, *retrying] if auto_dispatch(order_id=order_id, at=at)
    )
    return expired, dispatched


@dataclass
class AutoDispatchRun:
    """What a cadre's 自动派单 did, order by order, for the message the admin shows."""

    dispatched: list[Order] = field(default_factory=list)
    flagged: list[Order] = field(default_factory=list)
    # (order, why it was left as it was)
    refused: list[tuple[Order, str]] = field(default_factory=list)


def orders_auto_dispatch_now(
    *, actor: User, order_ids: list[int], at: datetime.datetime | None = None
) -> AutoDispatchRun:
    """A cadre runs the automatic dispatcher now for these orders, rather than wait for the
    sweep: each placed one is offered to the best candidate (the offer's event names the
    cadre), or flagged when nobody up to the county fits.

    Only orders in the cadre's subtree: if any is not, nothing is done and the whole request
    is answered as absent (NotInScope), as for any order outside it. Each order is one
    transaction of its own, under its row lock, so one refusal leaves the others' offers
    standing; the notifier is woken as each commits."""
    wanted = sorted(set(order_ids))
    managed = orders_managed_by(actor) if actor.is_superuser or is_cadre(actor) else None
    orders = (
        list(managed.filter(pk__in=wanted).select_related("center").order_by("pk"))
        if managed is not None
        else []
    )
    if len(orders) != len(wanted):
        raise NotInScope(
            _("订单不存在或不在您的管辖范围内。"), code=OrderErrorCode.ORDER_NOT_IN_SCOPE
        )
    # The event's actor names the cadre; the reason says why a cadre appears on an offer
    # the dispatcher chose.
    reason = _("干部手动触发自动派单")
    # One moment for the whole run: the slot that decides who is on call, and the time
    # the message of an order left for the morning states.
    at = timezone.localtime(at) if at is not None else on_call_now()
    run = AutoDispatchRun()
    for order in orders:
        with transaction.atomic():
            status = (
                Order.objects.select_for_update()
                .filter(pk=order.pk)
                .values_list("status", flat=True)
                .first()
            )
            refusal = _refusal_for(order, status)
            if refusal:
                run.refused.append((order, refusal))
                continue
            if auto_dispatch(order_id=order.pk, at=at, pressed_by=actor, reason=reason):
                run.dispatched.append(order)
                continue
            flagged_at = Order.objects.filter(pk=order.pk).values_list("flagged_at", flat=True)
            if flagged_at.first() is not None:
                run.flagged.append(order)
            else:
                run.refused.append((order, _left_for_later(at)))
    return run


def _left_for_later(at: datetime.datetime) -> str:
    """Why an order the dispatcher neither offered nor flagged at ``at`` waits: at night,
    until the morning slot (next_dispatch_at, the rule the order page states too); by day
    it is a wish nobody could take, which is never flagged and is tried again next slot."""
    starts = next_dispatch_at(at)
    if starts is None:
        return _("暂无志愿者可接，下一时段将自动再试。")
    words = {"time": f"{starts.hour}:{starts.minute:02d}"}
    if starts.date() == at.date():
        return _("夜间无人值守，订单将于今早 %(time)s 起自动派出。") % words
    return _("夜间无人值守，订单将于明早 %(time)s 起自动派出。") % words


def _refusal_for(order: Order, status: str | None) -> str:
    """Why ``order`` (found in ``status`` under its lock) is not for the dispatcher; ''
    when it is."""
    if status != Order.Status.PLACED:
        label = Order.Status(status).label if status else "?"
        return _("订单当前状态为“%(status)s”，不能%(action)s。") % {
            "status": label,
            "action": ACTION_NAMES[Order.Status.DISPATCHED],
        }
    if not auto_dispatch_enabled(order.center):
        # The switch is the cadres' way of keeping these orders for hand dispatch.
        return _("所在阵地已关闭自动派单，请在派单页手动派单。")
    return ""
