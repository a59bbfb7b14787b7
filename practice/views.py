from __future__ import annotations

from itertools import groupby

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from practice.models import Center, Level, Platform
from practice.selectors import services_offered_at


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The residents' front page: the service menu, by platform."""
    services = services_offered_at(None).order_by("platform", "sort_order", "id")
    by_platform = {code: list(items) for code, items in groupby(services, key=lambda s: s.platform)}
    platforms = [
        {"code": platform.value, "label": platform.label, "services": by_platform.get(platform, [])}
        for platform in Platform
    ]
    # The station to call or visit: the city's guidance center, as the cadres keep it.
    station = (
        Center.objects.filter(level=Level.CITY, is_active=True)
        .only("name", "kind", "address", "contact_phone")
        .order_by("tree_id")
        .first()
    )
    return render(request, "practice/home.html", {"platforms": platforms, "station": station})
