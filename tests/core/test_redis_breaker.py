"""The Redis breaker, the cache behind it and publishing behind it, against real Redis
servers: a port nobody listens on, and a private redis-server started on that port later.
No Redis is mocked."""

from __future__ import annotations

import logging
import time

import pytest
import redis

from config import celery_app
from core import redis_breaker
from core.cache import BreakerRedisCache
from core.tasks import _publish, heartbeat_task
from tests.core.conftest import wait_for
from tests.support.private_redis import PrivateRedis, free_port, reset_publisher

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def sick_server(tmp_path, settings):
    """A port with no Redis behind it yet (connection refused), a short breaker period, and
    a PrivateRedis ready to be started on that port."""
    settings.REDIS_BREAKER_SECONDS = 1
    server = PrivateRedis(port=free_port(6471), log_path=tmp_path / "redis.log")
    assert not server.answers()
    try:
        yield server
    finally:
        server.thaw()
        server.stop()


def _cache_on(server: PrivateRedis, database: int = 1) -> BreakerRedisCache:
    return BreakerRedisCache(
        server.url_of(database),
        {
            "KEY_PREFIX": "breaker-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    )


def _breaker_log(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.redis_breaker"]


def test_a_refused_server_opens_the_breaker_once_and_the_cache_answers_from_memory(
    sick_server, caplog
):
    caplog.set_level(logging.WARNING, logger="core.redis_breaker")
    cache = _cache_on(sick_server)
    breaker = redis_breaker.breaker_for(sick_server.url)

    # The call that finds the server down answers as a miss instead of raising.
    assert cache.get("throttle", "missing") == "missing"
    assert breaker.is_open
    assert not breaker.allow()
    # While the server is skipped, the cache still behaves as a cache, in this process.
    cache.set("history", [1, 2, 3], 60)
    assert cache.get("history") == [1, 2, 3]
    assert cache.add("wake", 1, 30) is True
    assert cache.add("wake", 1, 30) is False
    assert cache.incr("wake") == 2
    with pytest.raises(ValueError, match="not found"):
        cache.incr("never-set")
    assert cache.delete("wake") is True
    assert cache.get_many(["history", "wake"]) == {"history": [1, 2, 3]}

    # Said once for the outage, however many calls skipped the server.
    (opened,) = _breaker_log(caplog)
    assert opened.startswith(f"Redis at 127.0.0.1:{sick_server.port} did not answer")


def _period_passed(seconds: float):
    deadline = time.monotonic() + seconds
    wait_for(lambda: time.monotonic() > deadline, timeout=seconds + 5, what="the period")


def test_the_breaker_closes_when_the_server_answers_after_the_period(sick_server, caplog):
    caplog.set_level(logging.WARNING, logger="core.redis_breaker")
    cache = _cache_on(sick_server)
    breaker = redis_breaker.breaker_for(sick_server.url)
    cache.set("key", "in memory", 60)
    assert breaker.is_open

    sick_server.start()
    # Within the period the server is still skipped, although it answers again.
    cache.set("key", "still in memory", 60)
    assert sick_server.client().keys("*") == []
    redis_db = redis.Redis.from_url(sick_server.url_of(1))
    assert redis_db.get(cache.make_key("key")) is None

    _period_passed(1)
    # The next call is the probe: it reaches Redis, and the breaker closes.
    cache.set("key", "in redis", 60)
    assert not breaker.is_open
    assert redis_db.get(cache.make_key("key")) is not None
    assert cache.get("key") == "in redis"
    opened, closed = _breaker_log(caplog)
    assert closed.startswith(f"Redis at 127.0.0.1:{sick_server.port} answers again")


def test_once_the_period_has_passed_one_caller_probes_and_the_others_still_skip(
    sick_server,
):
    breaker = redis_breaker.breaker_for(sick_server.url)
    breaker.failed(ConnectionError("down"))
    assert not breaker.allow()
    _period_passed(1)
    assert breaker.allow()
    assert not breaker.allow()
    # The probe found it still down: another period.
    breaker.failed(ConnectionError("still down"))
    assert not breaker.allow()
    _period_passed(1)
    assert breaker.allow()


def test_a_probe_that_fails_keeps_the_breaker_open_without_saying_it_again(sick_server, caplog):
    caplog.set_level(logging.WARNING, logger="core.redis_breaker")
    cache = _cache_on(sick_server)
    breaker = redis_breaker.breaker_for(sick_server.url)
    assert cache.get("key") is None
    _period_passed(1)
    # This call probes the server, which still refuses.
    assert cache.get("key") is None
    assert breaker.is_open
    assert not breaker.allow()
    assert len(_breaker_log(caplog)) == 1


def test_a_hung_server_opens_the_breaker_on_the_socket_timeout(sick_server):
    sick_server.start()
    cache = _cache_on(sick_server)
    cache.set("key", "before", 60)
    sick_server.freeze()
    # The reply never comes: the socket timeout ends the wait, and the call is a miss.
    assert cache.get("key", "missed") == "missed"
    assert redis_breaker.breaker_for(sick_server.url).is_open


def test_the_cache_and_the_broker_of_one_server_share_a_breaker(sick_server):
    assert redis_breaker.breaker_for(sick_server.url_of(0)) is redis_breaker.breaker_for(
        sick_server.url_of(1)
    )
    assert redis_breaker.breaker_for(sick_server.url) is not redis_breaker.breaker_for(
        "redis://127.0.0.1:6379/0"
    )


@pytest.fixture
def broker_on(sick_server):
    saved_url = celery_app.conf.broker_url
    celery_app.conf.broker_url = sick_server.url
    reset_publisher()
    try:
        yield sick_server
    finally:
        celery_app.conf.broker_url = saved_url
        reset_publisher()


def test_a_publish_that_fails_opens_the_breaker_and_the_next_ones_skip_the_broker(broker_on):
    breaker = redis_breaker.breaker_for(broker_on.url)
    with pytest.raises(Exception, match="Connection refused"):
        _publish(heartbeat_task, ("breaker-test",))
    assert breaker.is_open
    # Skipped, not tried: nothing raised, and nothing published.
    assert _publish(heartbeat_task, ("breaker-test",)) is False

    broker_on.start()
    assert _publish(heartbeat_task, ("breaker-test",)) is False
    assert broker_on.client().llen("celery") == 0

    _period_passed(1)
    assert _publish(heartbeat_task, ("breaker-test",)) is True
    assert not breaker.is_open
    assert broker_on.client().llen("celery") == 1


def test_a_breaker_that_was_open_is_closed_for_the_next_test_by_reset_all(sick_server):
    breaker = redis_breaker.breaker_for(sick_server.url)
    breaker.failed(ConnectionError("down"))
    redis_breaker.reset_all()
    assert not breaker.is_open
    assert breaker.allow()
    # Still the same breaker: the cache that holds on to it sees it closed.
    assert redis_breaker.breaker_for(sick_server.url) is breaker
