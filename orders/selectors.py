"""Reads of orders, scoped to whoever asks, and the ranking of dispatch candidates."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from orders.models import Order, OrderRefusal
from practice.models import Service
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
    # A skill the service asks for, or any volunteer when it asks for none. Subqueries, not
    # a join: a join repeats a volunteer once per matching skill, and the open-task count
    # below would count each task that many times.
    asked = Service.skills.through.objects.filter(service_id=order.service_id)
    has_one = Volunteer.skills.through.objects.filter(
        volunteer_id=OuterRef("pk"), skill_id__in=asked.values("skill_id")
    )
    base = base.filter(~Exists(asked) | Exists(has_one))
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


def orders_offered_to(user: User) -> QuerySet[Order]:
    """The orders whose offer names the user's volunteer profile or one of their teams, in
    whatever state they are now. Accepting answers these with their state (409, "already
    accepted") rather than as absent: ``orders_for`` stops showing a team's order to the
    other members once one of them holds it, yet those who lost the race must learn why."""
    volunteer = Volunteer.objects.filter(user=user).first()
    if volunteer is None:
        return Order.objects.none()
    team_ids = TeamMembership.objects.filter(volunteer=volunteer, left_on__isnull=True).values(
        "team_id"
    )
    return Order.objects.filter(Q(dispatched_volunteer=volunteer) | Q(dispatched_team__in=team_ids))
