from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.models import Heartbeat

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
