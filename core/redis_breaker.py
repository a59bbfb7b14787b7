"""A per-process circuit breaker for each Redis server the portal talks to.

A request must not wait on a Redis that is down or hung: the cache (core.cache) and
publishing (core.tasks) ask the breaker of their server first. After one failure the
breaker is open for REDIS_BREAKER_SECONDS: callers skip that server at once (the cache
answers from this process's memory, a publish is left to the periodic sweeps) instead of
each waiting out a timeout. When the period has passed, one caller is let through to try;
if it succeeds the breaker closes, if not it stays open for another period.

Per process, not shared through Redis (which is the thing that is sick): each web or
worker process finds out for itself, at the cost of one timeout each.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)


class RedisBreaker:
    """Closed (use the server) or open until a moment (skip it). Thread-safe: a threaded
    web worker's requests share one breaker per server."""

    def __init__(self, server: str) -> None:
        self.server = server
        self._lock = threading.Lock()
        # time.monotonic() until which the server is skipped; 0 while closed.
        self._open_until = 0.0
        # When the current outage began, for the log line that says it is over.
        self._failing_since: float | None = None

    @property
    def is_open(self) -> bool:
        return self._failing_since is not None

    def allow(self) -> bool:
        """May the caller use the server now? Closed: yes. Open: no, until the period has
        passed; then the first caller to ask goes through as a probe and the others keep
        skipping until it has told the breaker how it went."""
        if self._failing_since is None:
            return True
        now = time.monotonic()
        with self._lock:
            if self._failing_since is None:
                return True
            if now < self._open_until:
                return False
            self._open_until = now + _period()
            return True

    def close(self) -> None:
        with self._lock:
            self._failing_since = None
            self._open_until = 0.0

    def succeeded(self) -> None:
        if self._failing_since is None:
            return
        with self._lock:
            if self._failing_since is None:
                return
            down_for = time.monotonic() - self._failing_since
            self._failing_since = None
            self._open_until = 0.0
        logger.warning("Redis at %s answers again (after %.0f s)", self.server, down_for)

    def failed(self, error: BaseException) -> bool:
        """The server did not answer: skip it for a period. True when this began an outage
        (the breaker was closed), which is logged once, not on every probe that finds the
        server still down."""
        now = time.monotonic()
        with self._lock:
            first = self._failing_since is None
            if first:
                self._failing_since = now
            self._open_until = now + _period()
        if first:
            logger.warning(
                "Redis at %s did not answer (%s: %s); skipping it for %g s at a time until it does",
                self.server,
                type(error).__name__,
                error,
                _period(),
            )
        return first


def _period() -> float:
    return float(getattr(settings, "REDIS_BREAKER_SECONDS", 30))


_breakers: dict[str, RedisBreaker] = {}
_registry_lock = threading.Lock()


def server_of(url: str) -> str:
    """host:port of a Redis URL (the first of a failover list), without credentials or
    database number: the cache and the broker are two databases of one server, and when the
    server is sick both are."""
    first = url.split(";")[0].split(",")[0].strip()
    parts = urlsplit(first)
    if parts.scheme in ("redis", "rediss"):
        return f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}"
    # Another transport (the demo's filesystem broker): one breaker for it all the same.
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"


def breaker_for(url: str) -> RedisBreaker:
    server = server_of(url)
    breaker = _breakers.get(server)
    if breaker is None:
        with _registry_lock:
            breaker = _breakers.setdefault(server, RedisBreaker(server))
    return breaker


def reset_all() -> None:
    """Forget every outage: for tests, which start each with the servers answering. The
    breakers are closed, not dropped: the cache holds on to its own."""
    with _registry_lock:
        breakers = list(_breakers.values())
    for breaker in breakers:
        breaker.close()
