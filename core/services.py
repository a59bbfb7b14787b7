from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.models import Heartbeat


@transaction.atomic
def heartbeat_record(*, source: str) -> Heartbeat:
    """Mark ``source`` alive now. Safe to run any number of times, in any order."""
    now = timezone.now()
    updated = Heartbeat.objects.filter(source=source).update(beat_at=now, count=F("count") + 1)
    if not updated:
        Heartbeat.objects.get_or_create(source=source, defaults={"beat_at": now, "count": 1})
    return Heartbeat.objects.get(source=source)
