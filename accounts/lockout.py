from __future__ import annotations

import datetime
import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

LOCKED_STATUS = 429


def lockout_ends_at(request: HttpRequest, credentials: Any = None) -> datetime.datetime:
    """When the refusal this request met ends: the per-account delay if that refused it,
    otherwise django-axes's cool-off for this number from this address, counted from the
    last failure that was actually tried (failures refused during a lockout do not extend
    it: AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is off)."""
    from accounts.signin import DELAYED_UNTIL, axes_username

    delayed_until = getattr(request, DELAYED_UNTIL, None)
    if delayed_until is not None:
        return delayed_until
    from axes.models import AccessAttempt

    now = timezone.now()
    last = (
        AccessAttempt.objects.filter(
            username=axes_username(request, credentials),
            ip_address=getattr(request, "axes_ip_address", None),
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    return (last or now) + settings.AXES_COOLOFF_TIME


def lockout_message(ends_at: datetime.datetime, *, now: datetime.datetime | None = None) -> str:
    now = now or timezone.now()
    minutes = max(1, math.ceil((ends_at - now).total_seconds() / 60))
    return _(
        "登录失败次数过多，该账号已暂时锁定，请于 %(time)s 之后再试（约 %(minutes)d 分钟）。"
        "如果忘记了密码，可以用手机验证码重置密码，重置后即可登录。"
    ) % {
        "time": date_format(timezone.localtime(ends_at), "H:i"),
        "minutes": minutes,
    }


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What a refused sign-in answers: the per-address lockout of django-axes and the
    per-account delay alike (AXES_LOCKOUT_CALLABLE), saying until when and what to do."""
    ends_at = lockout_ends_at(request, credentials)
    message = lockout_message(ends_at)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": message, "locked_until": ends_at.isoformat()}, status=LOCKED_STATUS
        )
    return render(
        request,
        "accounts/locked_out.html",
        {
            "message": message,
            "ends_at": ends_at,
            "reset_url": reverse("accounts:password_reset"),
        },
        status=LOCKED_STATUS,
    )
