"""Reads of orders, scoped to whoever asks, and the ranking of dispatch candidates."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from orders.models import Order, OrderRefusal
from practice.models import CadreRole, Service
from practice.scoping import scope_queryset
from volunteers.availability import slot_bit_at
from volunteers.models import TeamMembership, Volunteer

OPEN_STATUSES = (Order.Status.DISPATCHED, Order.Status.ACCEPTED, Order.Status.IN_SERVICE)


def orders_managed_by(user: User) -> QuerySet[Order]:
    """The orders ``user`` manages as a cadre (dispatch, reject, the dispatch board): their
    subtree's and nothing else, not even their own as a resident."""
    return scope_queryset(Order.objects.all(), user, via="center")


def _as_volunteer(volunteer: Volunteer | Subquery, team_ids: QuerySet[TeamMembership]) -> Q:
    """What a volunteer reads: offered to them or a team of theirs, or held by them."""
    return (
        Q(accepted_by=volunteer)
        | Q(status=Order.Status.DISPATCHED, dispatched_volunteer=volunteer)
        | Q(status=Order.Status.DISPATCHED, dispatched_team__in=team_ids)
    )


def orders_for(user: User) -> QuerySet[Order]:
    """What ``user`` may read: a cadre their subtree's orders, a volunteer the orders offered
    to them or their teams or held by them, a resident their own; anyone, the micro-wishes
    they claimed as a donor (they deliver them, so they need the address and phone).

    A cadre reads their subtree's orders and also what they read as a resident, a donor or a
    volunteer, wherever it is; reading is not managing (``orders_managed_by``)."""
    if not getattr(user, "is_authenticated", False):
        return Order.objects.none()
    mine = Q(resident=user) | Q(donor=user)
    if user.is_superuser:
        return orders_managed_by(user)
    # Subqueries, not a fetch of the volunteer: nothing is read before it is known to count.
    as_volunteer = _as_volunteer(
        Subquery(Volunteer.objects.filter(user=user).values("pk")[:1]),
        TeamMembership.objects.filter(volunteer__user=user, left_on__isnull=True).values("team_id"),
    )
    # Whether the user is a cadre (practice.scoping.is_cadre's test) and, if so, whether they
    # have orders of their own, in that one query: without a role there is no row, and the
    # EXISTS is never evaluated.
    has_own = (
        CadreRole.objects.filter(user=user)
        .annotate(has_own=Exists(Order.objects.filter(mine | as_volunteer)))
        .values_list("has_own", flat=True)
        .first()
    )
    if has_own is not None:
        scoped = orders_managed_by(user)
        # Only a cadre who has such orders pays for the OR: it would turn the indexed
        # "newest 20 of this county" read into a scan of every order in scope.
        if has_own:
            scoped = scoped | Order.objects.filter(mine | as_volunteer)
        return scoped
    volunteer = Volunteer.objects.filter(user=user).first()
    if volunteer is not None:
        team_ids = TeamMembership.objects.filter(volunteer=volunteer, left_on__isnull=True).values(
            "team_id"
        )
        mine |= _as_volunteer(volunteer, team_ids)
    return Order.objects.filter(mine)


# What ranking and offering read of a candidate (and the dispatch page shows): not the
# encrypted identity and the other twenty columns, ten rows a dispatch, thousands a minute.
CANDIDATE_FIELDS = ("id", "user_id", "real_name", "status", "home_center_id", "township_id")


def dispatch_candidates(
    order: Order, *, at: datetime.datetime | None = None, limit: int = 10
) -> list[Volunteer]:
    """Volunteers who may be offered ``order``, best first (at most ``limit``).

    Active and insured; a skill the service asks for (any, when it asks for none); free in
    the weekly slot of now; never one who declined or let this order lapse. Same village
    first, then the township, then the county; within a tier, fewest open tasks, then the
    longest since their last task. One query per tier, at most three.
    """
    at = at or timezone.localtime()
    today = at.date()
    bit = slot_bit_at(at)
    base = (
        Volunteer.objects.only(*CANDIDATE_FIELDS).filter(
            status=Volunteer.Status.ACTIVE, insurance_valid_until__gte=today
        )
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
        found = list(ranked.filter(tier)[:limit])
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
