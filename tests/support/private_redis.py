"""A redis-server of a test's own on a spare port, to stop, freeze and restart at will
without touching anybody else's queue or cache (fault tests)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from django.db import connection
from kombu import pools as kombu_pools

from config import celery_app
from tests.core.conftest import _die_with_parent, wait_for


def free_port(preferred: int) -> int:
    for port in (preferred, *range(preferred + 1, preferred + 50)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for a private redis-server")


def reset_publisher() -> None:
    """Drop the app's pooled broker connections, so the next publish connects to whatever
    ``broker_url`` now says. kombu keeps its pools in a process-wide registry keyed by URL;
    closing only the app's pool would leave a closed pool there for the next test on the same
    port to be handed."""
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@dataclass
class PrivateRedis:
    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return self.url_of(0)

    def url_of(self, database: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)

    def answers(self) -> bool:
        client = self.client()
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        wait_for(self.answers, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        """Kill it: a crash, not a shutdown (SIGKILL also ends a stopped process)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)


@contextmanager
def private_redis_published_to(*, preferred_port: int, log_path: Path) -> Iterator[PrivateRedis]:
    """A private redis-server with this process's Celery app publishing to it, put back as
    it was (and the server thawed and stopped) however the test ends."""
    server = PrivateRedis(port=free_port(preferred_port), log_path=log_path)
    saved_url = celery_app.conf.broker_url
    server.start()
    celery_app.conf.broker_url = server.url
    reset_publisher()
    try:
        yield server
    finally:
        server.thaw()
        server.stop()
        celery_app.conf.broker_url = saved_url
        reset_publisher()


def end_other_database_sessions() -> None:
    """End every session on the test database but this one. A stopped embedded worker's
    thread leaves its kept connection open (Celery's fixup reuses connections between tasks),
    and the test database could not be dropped at the end of the run while it is."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
