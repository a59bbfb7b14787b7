from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from volunteers.models import Volunteer


@require_GET
@login_required
def volunteer_home(request: HttpRequest) -> HttpResponse:
    """The volunteer's phone page: their standing, hours, points and stars."""
    volunteer = (
        Volunteer.objects.select_related("home_center__parent").filter(user=request.user).first()
    )
    return render(request, "volunteers/home.html", {"volunteer": volunteer})
