"""Reads of the hours and points ledgers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from accounts.http import account_of
from points.models.ledger import HoursEntry, OrderReview, PointsEntry
from practice.scoping import scope_queryset
from volunteers.models import Volunteer
from volunteers.selectors import volunteer_of


@dataclass(frozen=True)
class Balances:
    hours: Decimal
    points: int


def balances_recomputed(*, volunteer_id: int) -> Balances:
    """A volunteer's certified hours and available points summed from the ledgers, what the
    cached Volunteer.hours and Volunteer.points must equal."""
    hours = HoursEntry.objects.filter(volunteer_id=volunteer_id).aggregate(total=Sum("hours"))
    points = PointsEntry.objects.filter(volunteer_id=volunteer_id).aggregate(total=Sum("points"))
    return Balances(hours=hours["total"] or Decimal("0.00"), points=int(points["total"] or 0))


def balances_cached(*, volunteer_id: int) -> Balances:
    hours, points = Volunteer.objects.values_list("hours", "points").get(pk=volunteer_id)
    return Balances(hours=hours, points=points)


def ledger_owner(user: object) -> Volunteer | None:
    """Whose ledger the user reads: their own volunteer profile, whatever its status (a
    volunteer who has left keeps their record), or None for anyone who never applied."""
    return volunteer_of(user)


def own_hours_entries(volunteer: Volunteer) -> QuerySet[HoursEntry]:
    """A volunteer's own hours entries: nobody else's, newest first along its index."""
    return HoursEntry.objects.filter(volunteer=volunteer).order_by("-id")


def own_points_entries(volunteer: Volunteer) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(volunteer=volunteer).order_by("-id")


def reviews_in_scope(user: object) -> QuerySet[OrderReview]:
    """The 1-star reviews a cadre answers for: those of orders served in their subtree."""
    if account_of(user) is None:
        return OrderReview.objects.none()
    return scope_queryset(OrderReview.objects.all(), user, via="center")
