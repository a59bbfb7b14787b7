"""Reads of the points app that every surface shares: a volunteer's star level, their
benefits, and whom a star card's code names."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from points.models.benefits import MAX_STARS, Benefit
from volunteers.models import Volunteer

# The certified hours of the first star (national star-volunteer rules). The star levels'
# policy table replaces this constant when it lands.
FIRST_STAR_HOURS = Decimal(100)
# The purpose of the star card's rotating codes (core.rotating_codes).
STAR_CARD_PURPOSE = "points.star_card"


def current_star_level(volunteer: Volunteer) -> int:
    """The volunteer's star level in force: the one answer for the card, its verification
    page, the benefits and the API. (For now the level cached on the volunteer; the star
    certification makes it the latest certification past its notice period.)"""
    return int(volunteer.stars)


def hours_to_first_star(volunteer: Volunteer) -> Decimal:
    """The certified hours a volunteer without a star still needs for the first one."""
    return max(Decimal(0), FIRST_STAR_HOURS - volunteer.hours)


@dataclass
class BenefitCatalogue:
    """The benefits a volunteer's star level opens, and (greyed on the page) those the next
    level adds; ``next_level`` is None at the top level."""

    level: int
    opened: list[Benefit] = field(default_factory=list)
    next_level: int | None = None
    upcoming: list[Benefit] = field(default_factory=list)


def benefits_reaching(volunteer: Volunteer) -> QuerySet[Benefit]:
    """The active benefits of the centers above the volunteer's home and of the home itself
    (city, county, township, village): one range of the tree, whatever the level."""
    home = volunteer.home_center
    return Benefit.objects.filter(
        is_active=True,
        center__is_active=True,
        center__tree_id=home.tree_id,
        center__lft__lte=home.lft,
        center__rght__gte=home.rght,
    )


def benefit_catalogue(volunteer: Volunteer) -> BenefitCatalogue:
    """What the volunteer's benefits page lists, in one query: by star level, the city's
    before the county's before the township's and the village's."""
    level = current_star_level(volunteer)
    next_level = level + 1 if level < MAX_STARS else None
    reach = next_level if next_level is not None else MAX_STARS
    catalogue = BenefitCatalogue(level=level, next_level=next_level)
    rows = (
        benefits_reaching(volunteer)
        .filter(min_stars__lte=reach)
        .select_related("center")
        .order_by("min_stars", "center__lft", "category", "id")
    )
    for benefit in rows:
        if benefit.min_stars <= level:
            catalogue.opened.append(benefit)
        else:
            catalogue.upcoming.append(benefit)
    return catalogue


def star_card_holder(volunteer_id: int) -> Volunteer | None:
    """The volunteer a valid star card code names, if they still stand (active): a card of
    someone who left or was suspended verifies as nothing."""
    return Volunteer.objects.filter(pk=volunteer_id, status=Volunteer.Status.ACTIVE).first()
