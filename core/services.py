from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.models import Heartbeat


@transaction.atomic
def heartbeat_record(*, source: str) -> Heartbeat:
    """Mark ``source`` alive now. Safe to run any number of times, in any order."""
    now = timezone.now()
    beats = Heartbeat.objects.filter(source=source)
    if not beats.update(beat_at=now, count=F("count") + 1):
        _beat, created = Heartbeat.objects.get_or_create(
            source=source, defaults={"beat_at": now, "count": 1}
        )
        if not created:
            # Another beat inserted the row between our update and our insert: count this
            # one too, or concurrent first beats are lost.
            beats.update(beat_at=now, count=F("count") + 1)
    return Heartbeat.objects.get(source=source)
