"""Reads for service certificates: the figures a certificate freezes, who may issue one in
whose name, who sees which, and the public verification."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from accounts.phones import normalize_phone
from points.certificates import code_matches, normalize_code, normalize_number
from points.models import Certificate, HoursEntry, Kind, Source
from practice.models import CadreRole, Center, Level
from practice.scoping import scope_queryset, visible_centers
from volunteers.models import Volunteer, volunteer_id_of_portal_number
from volunteers.selectors import volunteers_in_scope

# The sources whose entries are services done; the others (a cadre's adjustment) only move
# hours.
SERVICE_SOURCES = (Source.ORDER, Source.ACTIVITY)

# The list on the volunteer's page: the newest, through the (volunteer, -id) index.
OWN_CERTIFICATES_SHOWN = 20


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def service_record(
    volunteer_id: int, start: datetime.date, end: datetime.date
) -> tuple[Decimal, int]:
    """The volunteer's certified hours and number of services from ``start`` to ``end``
    (both days included, in the portal's time zone), from the hours ledger: one query.

    A service (an order, an activity's attendance) belongs to the period its hours were
    earned in, and counts with everything the ledger holds against it today: a 1-star
    review's reversal or a source reversed later subtracts from the service it reverses,
    whenever it was written, so a certificate never states hours since taken back, and a
    period's total cannot go below zero because of a reversal of an earlier period's
    service. A service reversed in full is not counted. A cadre's adjustment (source
    "cadre", a 补录) is no service of its own: its hours count in the period it was written.
    """
    period = Q(
        created_at__gte=_local_midnight(start),
        created_at__lt=_local_midnight(end + datetime.timedelta(days=1)),
    )
    earned_in_period = HoursEntry.objects.filter(
        period,
        volunteer_id=volunteer_id,
        kind=Kind.EARNED,
        source=OuterRef("source"),
        source_id=OuterRef("source_id"),
    )
    # One row per source: the net of all its entries (earned, reversed, adjusted).
    rows = (
        HoursEntry.objects.filter(volunteer_id=volunteer_id)
        .alias(earned_then=Exists(earned_in_period))
        .filter(
            Q(source__in=SERVICE_SOURCES, earned_then=True)
            | (period & ~Q(source__in=SERVICE_SOURCES))
        )
        .values_list("source", "source_id")
        .annotate(net=Sum("hours"))
        .order_by()
    )
    hours = Decimal(0)
    services = 0
    for source, _source_id, net in rows:
        hours += net
        if source in SERVICE_SOURCES and net > 0:
            services += 1
    return max(hours, Decimal(0)).quantize(Decimal("0.01")), services


# The tiers whose centers record service and issue certificates (county centers and
# township institutes), and the city above them, whose cadres issue in their names.
ISSUING_LEVELS = (Level.CITY, Level.COUNTY, Level.TOWNSHIP)


def may_issue_certificates(actor: User) -> bool:
    """Whether ``actor`` may issue certificates at all: a superuser, or a cadre with a role
    at a township or higher (a village cadre's scope holds no issuing center). One query."""
    if actor.is_superuser:
        return True
    return CadreRole.objects.filter(user=actor, center__level__in=ISSUING_LEVELS).exists()


def issuing_centers(actor: User, volunteer: Volunteer) -> list[Center]:
    """The centers ``actor`` may issue ``volunteer``'s certificate as: the volunteer's own
    township institute and county center (the recording organisations of their service),
    those of them in the actor's scope. A village cadre has neither in scope and issues
    none; a township cadre issues as the township only. One query."""
    candidates = [pk for pk in (volunteer.township_id, volunteer.county_id) if pk is not None]
    found = {center.pk: center for center in visible_centers(actor).filter(pk__in=candidates)}
    return [found[pk] for pk in candidates if pk in found]


def volunteer_for_certificate(actor: User, text: str) -> Volunteer | None:
    """The volunteer in ``actor``'s scope that a portal number (HY000000123) or an account's
    phone number names, or None: absent and out of scope read the same. One query."""
    volunteers = volunteers_in_scope(actor).select_related("township", "county")
    volunteer_id = volunteer_id_of_portal_number(text)
    if volunteer_id is not None:
        return volunteers.filter(pk=volunteer_id).first()
    phone = normalize_phone(text)
    if len(phone) != 11 or not phone.isdigit():
        return None
    return volunteers.filter(user__phone=phone).first()


def self_service_issuer_id(volunteer: Volunteer) -> int | None:
    """The center a volunteer's own request is issued in the name of: their township
    institute, which records their service (the county center where the home hangs under
    no township)."""
    return volunteer.township_id or volunteer.county_id


def certificates_in_scope(actor: object) -> QuerySet[Certificate]:
    """The certificates a cadre sees: those of the volunteers living in their subtree, on
    the copied columns (one index range per role)."""
    return scope_queryset(Certificate.objects.all(), actor, via="home_center")


def certificates_of(volunteer: Volunteer) -> QuerySet[Certificate]:
    """A volunteer's own certificates, newest first."""
    return (
        Certificate.objects.filter(volunteer=volunteer)
        .select_related("issuing_center")
        .order_by("-id")
    )


def certificate_verified(number: str, code: str) -> Certificate | None:
    """The certificate a public link names, or None for anything else: a malformed link,
    a number that was never issued, a real number with the wrong code (an altered number
    or figure). At most one query, none for a malformed link."""
    clean_number, clean_code = normalize_number(number), normalize_code(code)
    if clean_number is None or clean_code is None:
        return None
    certificate = (
        Certificate.objects.select_related("issuing_center").filter(number=clean_number).first()
    )
    if certificate is None or not code_matches(certificate, clean_code):
        return None
    return certificate
