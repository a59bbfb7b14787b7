"""Loaded into the burst benchmark's workers (``celery worker -I bench.tasks``).

The ceiling: a task that does nothing but count itself, so the benchmark can tell when the
last one has run. And the workers' clock: automatic dispatch picks volunteers free in the
weekly slot of *now*, and nobody is on call at night, so a burst measured at night would
measure nothing. With BENCH_CLOCK_SHIFT_SECONDS set, Django's clock in these workers runs
that many seconds ahead (the benchmark puts it on a weekday morning in Hengyang); the
operating system's clock, which Celery and the drivers time out by, is left alone.
"""

from __future__ import annotations

import datetime
import os

from celery import shared_task
from django.conf import settings
from django.utils import timezone

COUNTER = "bench:noop:done"
_client = None

_shift = os.environ.get("BENCH_CLOCK_SHIFT_SECONDS")
if _shift:
    _real_now = timezone.now
    _delta = datetime.timedelta(seconds=float(_shift))

    def _shifted_now() -> datetime.datetime:
        return _real_now() + _delta

    timezone.now = _shifted_now


@shared_task(name="bench.tasks.noop", ignore_result=True)
def noop() -> None:
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL)
    _client.incr(COUNTER)
