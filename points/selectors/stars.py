"""Reads of star levels, each policy decided once: the star level in force, who may
certify a level, what the public notice (公示) shows, a volunteer's benefits, and whom a
star card's code names."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.http import account_of
from points.models.benefits import MAX_STARS, Benefit
from points.models.stars import DEFAULT_POLICY, CertifyingTier, StarCertification, StarPolicy
from practice.models import CadreRole, Level
from volunteers.models import Volunteer

C = StarCertification.Status

# What counts as a level in force besides a confirmed row past its notice.
IN_FORCE = (C.CERTIFIED, C.GRANTED)
IN_NOTICE = (C.CONFIRMED, C.OBJECTED)


def in_force(now: datetime.datetime) -> Q:
    """The certifications in force at ``now``: certified or granted, or confirmed with its
    notice over. An objected one is held (its status is not confirmed) until a cadre
    decides; one under review after a reversal stays in force until a cadre revokes it."""
    return Q(status__in=IN_FORCE) | Q(status=C.CONFIRMED, notice_ends_at__lte=now)


def current_star_level(volunteer: Volunteer, *, now: datetime.datetime | None = None) -> int:
    """The volunteer's star level: the highest level whose certification is in force (see
    ``in_force``), 0 without one. Computed from the certifications at each read (one query
    on the (volunteer, level) index), so no job sets it and nobody edits it;
    the volunteer row keeps no copy (docs/points.md, "Star levels")."""
    now = now or timezone.now()
    found = (
        StarCertification.objects.filter(volunteer_id=volunteer.pk)
        .filter(in_force(now))
        .aggregate(level=Max("level"))["level"]
    )
    return int(found or 0)


def current_policy() -> list[StarPolicy]:
    """The five levels of the newest policy version, lowest first (one query). A database
    without any (a flushed test database; migration 0006 seeds version 1) reads the
    defaults as version 1, unsaved, so eligibility never silently stops."""
    newest = StarPolicy.objects.order_by("-version").values("version")[:1]
    found = list(StarPolicy.objects.filter(version=newest).order_by("level"))
    return found or [
        StarPolicy(version=1, level=level, threshold_hours=Decimal(hours), certifying_tier=tier)
        for level, hours, tier in DEFAULT_POLICY
    ]


# The tiers of a cadre's role that may certify each tier's levels: the tier itself and
# those above it. The province has no cadres here: the city recommends and records.
CERTIFIED_BY = {
    CertifyingTier.COUNTY: (Level.COUNTY, Level.CITY),
    CertifyingTier.CITY: (Level.CITY,),
    CertifyingTier.PROVINCE: (Level.CITY,),
}


def may_certify(actor: object, certification: StarCertification) -> bool:
    """Whether ``actor`` may confirm, decide on and review ``certification``: a cadre of
    its certifying tier or above whose role covers the volunteer's county (a county role
    at that county, a city role above it), or a superuser. A township or village cadre
    never may, whatever the level. One query."""
    account = account_of(actor)
    if account is None or not account.is_active:
        return False
    if account.is_superuser:
        return True
    county_id = certification.county_id
    if county_id is None:
        return False
    levels = CERTIFIED_BY[CertifyingTier(certification.certifying_tier)]
    covering = Q(center__level=Level.CITY, center__children__id=county_id)
    if Level.COUNTY in levels:
        covering |= Q(center__level=Level.COUNTY, center_id=county_id)
    return CadreRole.objects.filter(user=account).filter(covering).exists()


def certifications_in_notice(
    *, now: datetime.datetime | None = None
) -> QuerySet[StarCertification]:
    """The public notice (公示): confirmed certifications (objected ones too: the objection
    holds the star, not the notice) whose notice has not ended, newest first along the
    partial index ``star_in_notice``. Taken down by the filter itself once the notice
    ends. What of each row may be shown is the page's business: see points.views."""
    now = now or timezone.now()
    return (
        StarCertification.objects.filter(status__in=IN_NOTICE, notice_ends_at__gt=now)
        .select_related("volunteer", "home_center")
        # Nothing else of the volunteer leaves the database for this page.
        .only("level", "notice_ends_at", "volunteer__real_name", "home_center__name")
        .order_by("-id")
    )


@dataclass(frozen=True)
class NextStar:
    """The next level in the current policy, its threshold, and the certified hours the
    volunteer still needs for it (0 once reached, while it waits for certification)."""

    level: int
    threshold_hours: Decimal
    hours_left: Decimal


def next_star(volunteer: Volunteer, level: int) -> NextStar | None:
    """The level above ``level`` that the volunteer works towards; None at the top."""
    for step in current_policy():
        if step.level > level:
            left = max(Decimal(0), step.threshold_hours - volunteer.hours)
            return NextStar(step.level, step.threshold_hours, left)
    return None


# The purpose of the star card's rotating codes (core.rotating_codes).
STAR_CARD_PURPOSE = "points.star_card"


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
