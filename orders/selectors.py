"""Reads of orders, scoped to whoever asks, and the ranking of dispatch candidates."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from orders.models import Order, OrderRefusal
from practice.scoping import is_cadre, scope_queryset
from volunteers.availability import slot_bit_at
from volunteers.models import TeamMembership, Volunteer

OPEN_STATUSES = (Order.Status.DISPATCHED, Order.Status.ACCEPTED, Order.Status.IN_SERVICE)


def orders_for(user: User) -> QuerySet[Order]:
    """What ``user`` may read: a cadre their subtree's orders, a volunteer the orders offered
    to them or their teams or held by them, a resident their own."""
    if is_cadre(user) or user.is_superuser:
        return scope_queryset(Order.objects.all(), user, via="center")
    mine = Q(resident=user)
    volunteer = Volunteer.objects.filter(user=user).first()
    if volunteer is not None:
        team_ids = TeamMembership.objects.filter(volunteer=volunteer, left_on__isnull=True).values(
            "team_id"
        )
        mine |= Q(accepted_by=volunteer) | Q(
            status=Order.Status.DISPATCHED, dispatched_volunteer=volunteer
        )
        mine |= Q(status=Order.Status.DISPATCHED, dispatched_team__in=team_ids)
    return Order.objects.filter(mine)


def dispatch_candidates(order: Order, *, at: datetime.datetime | None = None) -> list[Volunteer]:
    """Volunteers who may be offered ``order``, best first.

    Active and insured; a skill the service asks for (any, when it asks for none); free in
    the weekly slot of now; never one who declined or let this order lapse. Same village
    first, then the township, then the county; within a tier, fewest open tasks, then the
    longest since their last task. One query per tier, at most three.
    """
    at = at or timezone.localtime()
    today = at.date()
    bit = slot_bit_at(at)
    base = Volunteer.objects.filter(
        status=Volunteer.Status.ACTIVE, insurance_valid_until__gte=today
    ).exclude(Exists(OrderRefusal.objects.filter(order=order, volunteer=OuterRef("pk"))))
    if not bit:
        return []
    base = base.alias(free_now=F("availability").bitand(bit)).exclude(free_now=0)
    skill_ids = list(order.service.skills.values_list("id", flat=True))
    if skill_ids:
        base = base.filter(skills__in=skill_ids).distinct()
    ranked = base.annotate(
        open_tasks=Count("accepted_orders", filter=Q(accepted_orders__status__in=OPEN_STATUSES)),
        last_task_at=Max("accepted_orders__accepted_at"),
    ).order_by("open_tasks", F("last_task_at").asc(nulls_first=True), "id")
    for tier in (
        Q(home_center=order.center_id),
        Q(township=order.township_id),
        Q(county=order.county_id),
    ):
        found = list(ranked.filter(tier)[:10])
        if found:
            return found
    return []
