from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

LOCKED_STATUS = 429


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes answers once a phone number has failed too often from one address."""
    message = _("登录失败次数过多，该账号已被暂时锁定，请 %(minutes)d 分钟后再试。") % {
        "minutes": _cooloff_minutes()
    }
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=LOCKED_STATUS)
    return render(request, "accounts/locked_out.html", {"message": message}, status=LOCKED_STATUS)


def _cooloff_minutes() -> int:
    from django.conf import settings

    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
