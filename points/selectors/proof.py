"""Who decides which hours claim: the cadres of the subtree where the service was done (an
order's center) or, for 补录, where the volunteer lives; the one policy for the admin."""

from __future__ import annotations

from django.db.models import QuerySet

from points.models import HoursClaim
from practice.scoping import scope_queryset


def claims_in_scope(user: object) -> QuerySet[HoursClaim]:
    return scope_queryset(HoursClaim.objects.all(), user, via="center")


def hours_claim_of_order(order_id: int) -> HoursClaim | None:
    """The claim an order's check-out opened, if its hours wait (or waited) for proof."""
    return HoursClaim.objects.filter(order_id=order_id).first()
