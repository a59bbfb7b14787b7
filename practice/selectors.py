"""Reads of the center tree and the service menu."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from practice.models import Center, Platform, Service


def platform_rank() -> Case:
    """Sorts by the platforms' official order (理论宣讲 first), not by their codes."""
    return Case(
        *[When(platform=platform, then=Value(rank)) for rank, platform in enumerate(Platform)],
        output_field=IntegerField(),
    )


def services_offered_at(center: Center | None) -> QuerySet[Service]:
    """The active menu a resident of ``center`` may order from: the services of that center
    and of every center above it. With no center, the city-wide menu alone."""
    services = Service.objects.filter(is_active=True, center__is_active=True)
    if center is None:
        return services.filter(center__parent__isnull=True)
    return services.filter(
        center__tree_id=center.tree_id,
        center__lft__lte=center.lft,
        center__rght__gte=center.rght,
    )
