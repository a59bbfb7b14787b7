"""The Redis cache, behind the breaker of its server (core.redis_breaker).

Django's RedisCache raises into the request when Redis is down, and waits out the socket
timeout on every call when it is hung: the sign-in throttle alone made sign-in answer 500.
This one never raises a Redis outage to its caller. While the server is skipped, and for
the call that found it sick, the cache answers from a cache in this process's memory
instead: throttles keep counting (per process, so a little looser), a wake flag holds back
this process's next wake, and a value written during the outage is read back by the same
process. When Redis answers again, what it holds is the truth again; the memory copy is
ignored, and emptied as the next outage begins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from core.redis_breaker import breaker_for

# What says the server is sick, as opposed to a bad call (a ValueError from incr() on a
# missing key, which callers expect, passes through).
REDIS_OUTAGE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
# Enough for the throttle histories and wake flags of one process through an outage.
FALLBACK_MAX_ENTRIES = 10_000


class BreakerRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        # The server list is RedisCache's own attribute, which the stubs do not declare.
        self._breaker = breaker_for(self._servers[0])  # type: ignore[attr-defined]
        fallback_params = {
            key: value
            for key, value in params.items()
            if key in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION")
        }
        fallback_params["OPTIONS"] = {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES}
        # One store per process and server, whichever thread's cache object asks.
        self._fallback = LocMemCache(f"redis-fallback:{self._breaker.server}", fallback_params)

    def _guarded(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        if self._breaker.allow():
            try:
                result = getattr(super(), operation)(*args, **kwargs)
            except REDIS_OUTAGE as error:
                if self._breaker.failed(error):
                    # What an earlier outage left in memory may since have changed in Redis.
                    self._fallback.clear()
            else:
                self._breaker.succeeded()
                return result
        return getattr(self._fallback, operation)(*args, **kwargs)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._guarded("add", key, value, timeout, version=version)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guarded("get", key, default, version=version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        return self._guarded("set", key, value, timeout, version=version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded("touch", key, timeout, version=version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guarded("delete", key, version=version)

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._guarded("get_many", keys, version=version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guarded("has_key", key, version=version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._guarded("incr", key, delta, version=version)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._guarded("set_many", data, timeout, version=version)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        return self._guarded("delete_many", keys, version=version)

    def clear(self) -> None:
        return self._guarded("clear")
