"""The heartbeat record and the health page that reads it, without a broker."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.models import Heartbeat
from core.services import heartbeat_record
from core.views import STALE_AFTER_SECONDS

HEALTH_KEYS = {"database", "workers", "last_heartbeat_seconds_ago"}


@pytest.mark.django_db
def test_heartbeat_record_twice_keeps_one_row_and_counts():
    first = heartbeat_record(source="svc")
    second = heartbeat_record(source="svc")

    assert Heartbeat.objects.filter(source="svc").count() == 1
    assert first.pk == second.pk
    assert first.count == 1
    assert second.count == 2
    assert second.beat_at > first.beat_at


@pytest.mark.django_db
def test_heartbeat_record_keeps_sources_apart():
    heartbeat_record(source="a")
    heartbeat_record(source="a")
    heartbeat_record(source="b")

    assert dict(Heartbeat.objects.values_list("source", "count")) == {"a": 2, "b": 1}


@pytest.mark.django_db(transaction=True)
def test_heartbeat_record_counts_every_beat_when_they_race():
    """Concurrent first beats of one source: one row, and none of the beats lost.

    Each thread has its own database connection, so the inserts really race on the unique
    index (the loser's insert fails and must still be counted).
    """
    threads_n, rounds = 6, 5
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            # A new source each round, so every round is a race on the insert.
            for round_ in range(rounds):
                barrier.wait(timeout=30)
                heartbeat_record(source=f"race-{round_}")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    workers = [threading.Thread(target=beat) for _ in range(threads_n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert not any(worker.is_alive() for worker in workers)
    assert errors == []
    counts = dict(Heartbeat.objects.values_list("source", "count"))
    assert counts == {f"race-{round_}": threads_n for round_ in range(rounds)}


@pytest.mark.django_db
def test_health_without_heartbeat_says_stale(client):
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == HEALTH_KEYS
    assert body == {"database": "ok", "workers": "stale", "last_heartbeat_seconds_ago": None}


@pytest.mark.django_db
def test_health_right_after_a_heartbeat_says_ok(client):
    heartbeat_record(source="worker")

    body = client.get("/healthz/").json()

    assert set(body) == HEALTH_KEYS
    assert body["database"] == "ok"
    assert body["workers"] == "ok"
    assert body["last_heartbeat_seconds_ago"] == 0


@pytest.mark.django_db
def test_health_with_an_old_heartbeat_says_stale(client):
    heartbeat_record(source="worker")
    Heartbeat.objects.filter(source="worker").update(
        beat_at=timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS + 5)
    )

    body = client.get("/healthz/").json()

    assert body["workers"] == "stale"
    assert body["last_heartbeat_seconds_ago"] >= STALE_AFTER_SECONDS


@pytest.mark.django_db
def test_health_ignores_other_sources(client):
    # Only the beat-scheduled heartbeat ("worker") proves beat, broker and worker all run.
    heartbeat_record(source="test-redis")

    assert client.get("/healthz/").json()["workers"] == "stale"


def test_health_refuses_post(client, db):
    assert client.post("/healthz/").status_code == 405
