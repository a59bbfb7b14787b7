"""Reads of the love supermarket (爱心超市): the shelves a volunteer may redeem at, their own
redemptions, and the redemptions and items a cadre answers for."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from accounts.http import account_of
from points.models.supermarket import Redemption, SupermarketItem
from practice.models import Center
from practice.scoping import scope_queryset
from volunteers.models import Volunteer


def items_of_county(volunteer: Volunteer) -> QuerySet[SupermarketItem]:
    """Every item, active or not, of the supermarkets in the county of the volunteer's home
    (its county center, townships and villages): where a volunteer may redeem. One nested-set
    test against the county's row inside the same query, so no read of the county first."""
    if volunteer.county_id is None:
        return SupermarketItem.objects.none()
    county = Center.objects.filter(
        pk=volunteer.county_id,
        tree_id=OuterRef("center__tree_id"),
        lft__lte=OuterRef("center__lft"),
        rght__gte=OuterRef("center__rght"),
    )
    return SupermarketItem.objects.filter(Exists(county))


def shelf_of(volunteer: Volunteer) -> QuerySet[SupermarketItem]:
    """What the volunteer's supermarket page lists: the active items of active centers in
    their county, by center and name."""
    return (
        items_of_county(volunteer)
        .filter(is_active=True, center__is_active=True)
        .select_related("center")
        .order_by("center__tree_id", "center__lft", "name", "pk")
    )


def own_redemptions(volunteer: Volunteer) -> QuerySet[Redemption]:
    """The volunteer's redemptions, newest first (the (volunteer, -id) index)."""
    return (
        Redemption.objects.filter(volunteer=volunteer)
        .select_related("item", "center")
        .order_by("-id")
    )


def items_in_scope(user: object) -> QuerySet[SupermarketItem]:
    """The items of the supermarkets in a cadre's subtree."""
    return scope_queryset(SupermarketItem.objects.all(), user, via="center")


def redemptions_in_scope(user: object) -> QuerySet[Redemption]:
    """The redemptions a cadre answers for as cashier: those at the centers of their
    subtree (a village cadre their village's, a county cadre the whole county's)."""
    if account_of(user) is None:
        return Redemption.objects.none()
    return scope_queryset(Redemption.objects.all(), user, via="center")
