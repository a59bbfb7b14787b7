"""The volunteers' star card and benefits pages, on a phone, and the star card's public
verification page that a scenic spot, a hospital or a bus company opens by scanning.

The card works without JavaScript (the page reloads itself each step); with it, a small
script of ours (static/js/star_card.js) fetches a fresh code each step instead.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from core import rotating_codes
from core.masking import mask_name
from core.qr import qr_svg
from core.rotating_codes import CodeState
from points.models.benefits import MAX_STARS
from points.selectors.stars import (
    STAR_CARD_PURPOSE,
    benefit_catalogue,
    current_star_level,
    next_star,
    star_card_holder,
)
from volunteers.models import Volunteer
from volunteers.selectors import active_volunteer_of


@dataclass(frozen=True)
class _CardCode:
    """A fresh code of the volunteer's card: the verification link it opens, its QR code
    and when it stops being accepted."""

    url: str
    svg: SafeString
    valid_until: datetime.datetime


def _card_code(request: HttpRequest, volunteer: Volunteer) -> _CardCode:
    now = timezone.now()
    code = rotating_codes.issue(STAR_CARD_PURPOSE, volunteer.pk, at=now)
    url = request.build_absolute_uri(reverse("points:star_verify", args=[code]))
    return _CardCode(
        url=url,
        svg=qr_svg(url, title=_("星级志愿者验证二维码")),
        valid_until=rotating_codes.issued_valid_until(now),
    )


@require_GET
@never_cache
@login_required
def star_card(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The volunteer's star card: masked name, star level and the rotating QR code; for a
    volunteer without a star yet, how many certified hours the first one takes."""
    volunteer = active_volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:home")
    level = current_star_level(volunteer)
    context: dict[str, object] = {
        "volunteer": volunteer,
        "masked_name": mask_name(volunteer.real_name),
        "level": level,
        "stars": range(level),
        "max_stars": MAX_STARS,
        "refresh_seconds": rotating_codes.step_seconds(),
    }
    context.update(next_star=next_star(volunteer, level))
    if level:
        context.update(card=_card_code(request, volunteer))
    return render(request, "points/star_card.html", context)


@require_GET
@never_cache
@login_required
def star_card_code(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A fresh code for the card's script, as JSON: ``{svg, url, valid_until}``."""
    volunteer = active_volunteer_of(request.user)
    if volunteer is None or current_star_level(volunteer) == 0:
        return JsonResponse({"detail": _("您暂无星级，没有星级志愿者卡。")}, status=404)
    card = _card_code(request, volunteer)
    return JsonResponse(
        {
            "svg": str(card.svg),
            "url": card.url,
            "valid_until": timezone.localtime(card.valid_until).isoformat(),
        }
    )


@require_GET
@never_cache
def star_verify(request: HttpRequest, code: str) -> HttpResponse:
    """What a scanner sees, signed in or not: the holder's masked name, their star level
    now and until when the code is good; nothing else (no phone, ID or address). An expired
    code answers 410 and a forged one 404, each with a page that says so."""
    checked = rotating_codes.check(STAR_CARD_PURPOSE, code)
    holder = None
    if checked.state is CodeState.VALID and checked.subject_id is not None:
        holder = star_card_holder(checked.subject_id)
    if holder is None:
        expired = checked.state is CodeState.EXPIRED
        return render(
            request,
            "points/star_verify.html",
            {"expired": expired, "valid": False},
            status=410 if expired else 404,
        )
    level = current_star_level(holder)
    return render(
        request,
        "points/star_verify.html",
        {
            "valid": True,
            "masked_name": mask_name(holder.real_name),
            "level": level,
            "stars": range(level),
            "valid_until": checked.valid_until,
        },
    )


@require_GET
@login_required
def benefits(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The benefits the volunteer's star level opens, and greyed those of the next level."""
    volunteer = active_volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:home")
    return render(
        request,
        "points/benefits.html",
        {"volunteer": volunteer, "catalogue": benefit_catalogue(volunteer)},
    )
