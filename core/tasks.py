from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from core.redis_breaker import RedisBreaker, breaker_for

logger = logging.getLogger(__name__)

# What says the broker is unreachable or hung, as kombu and redis-py raise it on a publish.
BROKER_OUTAGE: tuple[type[BaseException], ...] = (KombuOperationalError, OSError, TimeoutError)
try:
    import redis

    BROKER_OUTAGE += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
except ImportError:  # pragma: no cover - the demo's filesystem broker needs no redis
    pass


def portal_task(name: str, *, time_limit: int | None = None) -> Any:
    """A task of the portal's: no result kept, and retried when its database connection
    turns out to be broken. Workers keep their connection between tasks without a check
    before each one (DATABASE_HEALTH_CHECKS off, settings.py): a task that meets a broken one
    (the database restarted) fails on it, Django drops it as the task ends
    (config/celery.py), and the retry, a second later, gets a new one. Every task is
    idempotent, so running one again is safe whatever it had done.

    ``time_limit`` (seconds) replaces the workers' default limits (CELERY_TASK_SOFT_TIME_LIMIT)
    for a task that runs long by design, such as a chunked run over every volunteer: its
    soft limit, with half a minute more before the worker kills it."""
    limits = (
        {}
        if time_limit is None
        else {
            "soft_time_limit": time_limit,
            "time_limit": time_limit + 30,
        }
    )
    return shared_task(
        name=name,
        ignore_result=True,
        autoretry_for=(InterfaceError, OperationalError),
        max_retries=3,
        retry_backoff=True,
        retry_jitter=False,
        **limits,
    )


@portal_task(name="core.tasks.heartbeat_task")
def heartbeat_task(source: str = "worker") -> None:
    from core.services import heartbeat_record

    heartbeat_record(source=source)


def _broker_breaker(task: Any) -> RedisBreaker:
    # Read at each publish, not once: tests point the app at a broker of their own.
    return breaker_for(str(task.app.conf.broker_url))


def _publish(task: Any, args: tuple = ()) -> bool:
    """Publish ``task`` once, without retrying, unless its broker's breaker says the broker
    is being skipped; False when it was not published. A broker that does not answer opens
    the breaker, so the next publishes in this process skip it at once instead of each
    waiting out the socket timeout (core.redis_breaker). Errors that are not the broker's
    (a bug) are raised to the caller's handler without opening it."""
    breaker = _broker_breaker(task)
    if not breaker.allow():
        logger.debug("broker skipped: %s%r left to its periodic run", task.name, args)
        return False
    try:
        task.apply_async(args=args, retry=False)
    except BROKER_OUTAGE as error:
        breaker.failed(error)
        raise
    breaker.succeeded()
    return True


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Send ``task`` once the current transaction commits, never before: a worker must not
    look for rows that are not there yet, nor act on a change that was rolled back.

    A broker that is down must not fail, nor slow, the request whose data is already
    committed: the publish is tried once (skipped while the broker's breaker is open), a
    failure is logged, and the periodic sweeps pick the work up from the database.
    """

    def send() -> None:
        try:
            _publish(task, args)
        except Exception:  # noqa: BLE001 - any broker failure; the sweep is the fallback
            logger.warning("could not enqueue %s%r; the periodic sweep will", task.name, args)

    transaction.on_commit(send)


def _wake_key(task: Any) -> str:
    return f"wake:{task.name}"


def wake_on_commit(task: Any) -> None:
    """Once the current transaction commits, see that ``task`` runs: a task without
    arguments that drains work recorded in the database (an outbox).

    One run drains whatever it finds, so a run already waiting in the queue will find this
    work too: it is published only when the cache's flag for it is not set, and the run
    clears the flag as it starts (``woken``). A burst of ten thousand changes thus publishes
    a handful of runs, not ten thousand. A flag left behind by a run that was lost expires
    after WAKE_FLAG_SECONDS; a broker or cache that is down leaves the work in the database
    for the periodic run of the same task (beat)."""

    def wake() -> None:
        key = _wake_key(task)
        try:
            if not cache.add(key, 1, timeout=settings.WAKE_FLAG_SECONDS):
                return
            if not _publish(task):
                # Skipped while the broker is: no run is queued, so no flag may say one is,
                # or the first change after the broker is back would not wake it.
                cache.delete(key)
        except Exception:  # noqa: BLE001 - the work is in the database; beat runs it
            logger.warning("could not wake %s; its periodic run will", task.name)
            try:
                cache.delete(key)
            except Exception:  # noqa: BLE001 - then the flag expires by itself
                pass

    transaction.on_commit(wake)


def woken(task: Any) -> None:
    """Called by ``task`` as it starts, before it reads: what is recorded from now on wakes
    another run, and what was recorded before is this run's to find."""
    try:
        cache.delete(_wake_key(task))
    except Exception:  # noqa: BLE001 - the flag expires by itself
        logger.warning("could not clear the wake flag of %s", task.name)


@portal_task(name="core.tasks.idempotency_purge_task")
def idempotency_purge_task() -> int:
    from core.idempotency import idempotency_purge

    deleted = idempotency_purge()
    logger.info("idempotency keys and form tokens purged: %d", deleted)
    return deleted
