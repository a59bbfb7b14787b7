from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE, REASON_NO_REFERER
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.models import Heartbeat, Notification
from core.notify import notifications_mark_read

# Beat sends a heartbeat every minute; three missed ones mean the workers or beat are down.
STALE_AFTER_SECONDS = 180


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and operators: is the database up, and are the workers alive?"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    beat = Heartbeat.objects.filter(source="worker").first()
    age = (timezone.now() - beat.beat_at).total_seconds() if beat else None
    workers_ok = age is not None and age < STALE_AFTER_SECONDS
    return JsonResponse(
        {
            "database": "ok",
            "workers": "ok" if workers_ok else "stale",
            "last_heartbeat_seconds_ago": None if age is None else round(age),
        }
    )


INBOX_PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    """The signed-in user's messages, newest first; POST marks them all read."""
    user_id = request.user.pk
    if user_id is None:  # Never, behind login_required; but the type cannot say so.
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        notifications_mark_read(user_id=user_id)
        return redirect("inbox")
    notifications = Notification.objects.filter(user_id=user_id).order_by("-id")[:INBOX_PAGE_SIZE]
    return render(request, "core/inbox.html", {"notifications": notifications})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The Chinese page for a form whose CSRF check failed (settings.CSRF_FAILURE_VIEW).

    Django's own view hands a custom template neither the reason nor its flags; the reason
    is English and for the log (Django has already logged it), so the page gets only the
    two cases a person can do something about."""
    context = {
        "no_cookie": reason == REASON_NO_CSRF_COOKIE,
        "no_referer": reason == REASON_NO_REFERER,
    }
    return render(request, "403_csrf.html", context, status=403)
