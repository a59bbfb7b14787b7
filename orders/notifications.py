"""Who hears of what happens to an order, and what they read."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.notify import Message, notifications_send_many
from orders.models import Order, OrderEvent, OrderRefusal
from practice.models import CadreRole
from volunteers.models import TeamMembership

S = Order.Status


def _offered_to(order: Order) -> list[int]:
    if order.dispatched_volunteer is not None:
        return [order.dispatched_volunteer.user_id]
    if order.dispatched_team_id:
        return list(
            TeamMembership.objects.filter(
                team_id=order.dispatched_team_id,
                left_on__isnull=True,
                volunteer__status="active",
            ).values_list("volunteer__user_id", flat=True)
        )
    return []


_TOLD_WITH = ("order__dispatched_volunteer", "order__accepted_by")


def notify_pending(*, batch: int | None = None) -> int:
    """Tell the people each order event not told yet concerns, oldest first, a batch per
    transaction, until none is left, and the cadres of each flag not told yet (an order
    nobody up to the county could be offered); return how many events and flags were
    handled.

    Several runs may drain at once (two notify workers, a wake and beat's run): each takes
    the events no other holds (SKIP LOCKED), tells them and marks them told in the same
    transaction. A run that dies gives its batch back untold, and the next run tells it: an
    inbox message is kept once per user and event, so nobody reads it twice (an SMS gateway
    may be handed it again). A batch is a few statements, not a few per event: the events
    with their orders in one, the inbox in two, the mark in one (a team's members, and who
    let an offer lapse, are read per event that needs them)."""
    batch = batch or settings.NOTIFY_BATCH
    handled = 0
    while True:
        with transaction.atomic():
            events = list(
                OrderEvent.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related(*_TOLD_WITH)
                .filter(notified_at__isnull=True)
                .order_by("id")[:batch]
            )
            if events:
                notifications_send_many(
                    message for event in events for message in _messages_of(event)
                )
                OrderEvent.objects.filter(pk__in=[event.pk for event in events]).update(
                    notified_at=timezone.now()
                )
            flags = _tell_flags(batch)
        if not events and not flags:
            return handled
        handled += len(events) + flags


def notify_event(*, event_id: int) -> int:
    """Tell the people one order event concerns; return how many messages were new. Safe to
    run twice: the inbox keys each message by the event."""
    event = OrderEvent.objects.select_related(*_TOLD_WITH).filter(pk=event_id).first()
    if event is None:
        # A task outliving its data (the order was deleted): nothing left to tell.
        return 0
    return notifications_send_many(_messages_of(event))


def _messages_of(event: OrderEvent) -> list[Message]:
    """The messages an event makes, each person in the words meant for them. One key per
    event: the inbox keeps one message per user and event, so each person is told once
    (the first wording that names them)."""
    order = event.order
    told = _wish_messages(event, order) if order.donor_id else [_message(event, order)]
    return [
        Message(
            user_id=user_id,
            key=f"order-event-{event.pk}",
            title=title,
            body=body,
            link=f"/orders/{order.pk}/",
        )
        for title, body, users in told
        for user_id in users
    ]


def _wish_messages(event: OrderEvent, order: Order) -> list[tuple[str, str, list[int]]]:
    """A wish a donor claimed: the donor hears what a volunteer would of their task (and is
    told their own claim and fulfilment were recorded), the resident hears of the claim."""
    subject = f"#{order.pk} {order.title}"
    donor = [order.donor_id] if order.donor_id is not None else []
    to = event.to_status
    if to == S.ACCEPTED and event.from_status == S.ACCEPTED:
        # The claim confirmed (orders.services.wish_claim_confirm): the contact is open now.
        return [(_("您认领的微心愿已确认，请与群众联系送达"), subject, donor)]
    if to == S.ACCEPTED:
        told = [
            (_("您的微心愿已被认领，请确认认领人"), subject, [order.resident_id]),
            (_("您已认领微心愿，待发布者或实践站确认后可查看联系方式"), subject, donor),
        ]
        if event.from_status == S.DISPATCHED:
            # The offer is void: whoever it was offered to learns why it left their list.
            offered = [u for u in _offered_to(order) if u != order.donor_id]
            told.append((_("该微心愿已被他人认领"), subject, offered))
        return told
    if to == S.COMPLETED:
        return [
            (_("您的微心愿已实现，请您评价"), subject, [order.resident_id]),
            (_("您认领的微心愿已标记为实现"), subject, donor),
        ]
    if to == S.RATED:
        return [(_("群众已评价您认领的微心愿"), subject, donor)]
    if to == S.CANCELLED:
        return [(_("微心愿已被群众取消"), subject, donor)]
    return [_message(event, order)]


def _message(event: OrderEvent, order: Order) -> tuple[str, str, list[int]]:
    holder = [order.accepted_by.user_id] if order.accepted_by is not None else []
    subject = f"#{order.pk} {order.title}"
    to = event.to_status
    if to == S.DISPATCHED:
        return _("您有新的服务任务"), subject, _offered_to(order)
    if to == S.ACCEPTED:
        return _("您的订单已有志愿者接单"), subject, [order.resident_id]
    if to == S.IN_SERVICE:
        return _("志愿者已开始服务"), subject, [order.resident_id]
    if to == S.COMPLETED:
        return _("服务已完成，请您评价"), subject, [order.resident_id]
    if to == S.RATED:
        return _("群众已评价您的服务"), subject, holder
    if to == S.REJECTED:
        return _("您的订单未被受理"), f"{subject}：{event.reason}", [order.resident_id]
    if to == S.CANCELLED:
        offered = _offered_to(order) if event.from_status == S.DISPATCHED else []
        return _("订单已被群众取消"), subject, holder + offered
    if to == S.PLACED and event.from_status == S.DISPATCHED:
        lapsed = OrderRefusal.objects.filter(order=order, expired=True).order_by("-at").first()
        if lapsed is not None and event.actor_id is None:
            return _("任务超时未接，已转派他人"), subject, [lapsed.volunteer.user_id]
    return "", "", []


def notify_flagged(*, order_id: int) -> int:
    """No candidate up to the county: tell the cadres of the order's village, township and
    county of its flag, unless they were told of it already; return how many messages were new."""
    order = _flag_rows().filter(pk=order_id, flagged_at__isnull=False).first()
    if order is None:
        # Dispatched or cancelled since: nothing to ask the cadres for any more.
        return 0
    sent = notifications_send_many(_flag_messages([order]))
    Order.objects.filter(pk=order.pk, flagged_at=order.flagged_at).update(
        flag_told_at=timezone.now()
    )
    return sent


def _tell_flags(batch: int) -> int:
    """One batch of the flags not told yet, told and marked, in the caller's transaction;
    return how many. An order dispatched meanwhile has no flag left and is not told."""
    orders = list(
        _flag_rows()
        .select_for_update(skip_locked=True)
        .filter(flagged_at__isnull=False, flag_told_at__isnull=True)
        .order_by("id")[:batch]
    )
    if orders:
        notifications_send_many(_flag_messages(orders))
        Order.objects.filter(pk__in=[order.pk for order in orders]).update(
            flag_told_at=timezone.now()
        )
    return len(orders)


def _flag_rows() -> QuerySet[Order]:
    return Order.objects.only("id", "title", "center_id", "township_id", "county_id", "flagged_at")


def _flag_messages(orders: list[Order]) -> list[Message]:
    """The village's, township's and county's cadres of each order, read for all of them at
    once: the village's cadres know the resident and may find a hand nearby. The key names
    the flag, not only the order: flagged again after a later offer lapsed, an
    order is a new call for a hand, and is told again."""
    areas = {
        center
        for order in orders
        for center in (order.center_id, order.township_id, order.county_id)
    }
    cadres: dict[int, list[int]] = {}
    for center_id, user_id in CadreRole.objects.filter(center_id__in=areas).values_list(
        "center_id", "user_id"
    ):
        cadres.setdefault(center_id, []).append(user_id)
    return [
        Message(
            user_id=user_id,
            key=f"order-flagged-{order.pk}-{order.flagged_at:%Y%m%d%H%M%S%f}",
            title=_("有订单无志愿者可派，请人工派单"),
            body=f"#{order.pk} {order.title}",
            link="/orders/dispatch/",
        )
        for order in orders
        # One message each, also for a cadre holding roles at two of the tiers.
        for user_id in dict.fromkeys(
            [
                *cadres.get(order.center_id, []),
                *cadres.get(order.township_id, []),
                *cadres.get(order.county_id, []),
            ]
        )
    ]
