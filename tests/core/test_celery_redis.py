"""Celery round trips through the real Redis broker and a real worker: nothing mocked.

The task is published by this process to Redis, consumed by a worker thread (solo pool)
from Redis, and writes the test database through its own connection.
"""

from __future__ import annotations

import pytest

from core.models import Heartbeat
from core.tasks import heartbeat_task
from tests.core.conftest import wait_for

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(90),
]


def _count(source: str) -> int:
    beat = Heartbeat.objects.filter(source=source).first()
    return beat.count if beat else 0


def test_heartbeat_task_runs_on_a_worker_through_redis(celery_worker):
    # Really through the broker: an eager task would run here, in the test's thread.
    assert not heartbeat_task.app.conf.task_always_eager
    with heartbeat_task.app.connection() as broker:
        assert broker.transport.driver_type == "redis"

    heartbeat_task.delay("test-redis")

    wait_for(lambda: _count("test-redis"), timeout=20, what="the worker's heartbeat row")
    beat = Heartbeat.objects.get(source="test-redis")
    assert beat.count == 1


def test_heartbeat_task_run_twice_is_one_row_counted_twice(celery_worker):
    heartbeat_task.delay("test-redis-twice")
    heartbeat_task.delay("test-redis-twice")

    wait_for(lambda: _count("test-redis-twice") >= 2, timeout=20, what="two heartbeats")
    assert Heartbeat.objects.filter(source="test-redis-twice").count() == 1
    assert Heartbeat.objects.get(source="test-redis-twice").count == 2


def test_default_heartbeat_source_is_what_the_health_page_reads(celery_worker, client):
    # What beat sends (no arguments) must be the row /healthz/ looks at.
    assert client.get("/healthz/").json()["workers"] == "stale"

    heartbeat_task.delay()

    wait_for(lambda: _count("worker"), timeout=20, what="the default heartbeat row")
    assert client.get("/healthz/").json()["workers"] == "ok"
