"""Fixtures for the Celery round trips: a real worker on the real broker, no mocks.

Two brokers are exercised:

- Redis (tests, production): an embedded worker thread from ``celery.contrib.testing``,
  consuming from the Redis at ``REDIS_URL``. Tests using it need
  ``@pytest.mark.django_db(transaction=True)``: the worker thread has its own database
  connection, so it only sees committed rows, and the task's rows are flushed afterwards.
- The filesystem broker (the demo's default, no server): real ``celery`` and ``manage.py``
  subprocesses in a temporary ``PORTAL_VAR_DIR`` with SQLite, exactly as scripts/demo.sh
  runs them.

Every wait is bounded and every process started here is stopped in the fixture's teardown,
whether the test passed or not.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent
# Variables that would point a subprocess away from the embedded defaults.
NON_EMBEDDED_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float,
    interval: float = 0.2,
    what: str | Callable[[], str] = "",
) -> object:
    """Poll ``condition`` until it returns something truthy, or fail after ``timeout`` s.

    ``what`` names the awaited thing in the failure; a callable is called only then, so it
    can report state (a process's log) as of the timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {described or condition}")
        time.sleep(interval)


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if pytest dies, so no worker outlives the run
    even when teardown never runs (pytest killed)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


# --- Redis: an embedded worker thread -------------------------------------------------------


@pytest.fixture
def redis_broker_url() -> str:
    """The Redis broker from the environment; skip (fail under CI) when there is none."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        reason = "REDIS_URL is not set, so there is no Redis broker to test against"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    import redis

    # Fail in seconds, not at the test timeout, when the broker is down.
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"the Redis broker at {url} does not answer: {exc}")
    finally:
        client.close()
    return url


@pytest.fixture
def celery_worker(redis_broker_url, transactional_db) -> Iterator[object]:
    """A real Celery worker (solo pool, in a thread) consuming from the Redis broker.

    Depends on ``transactional_db`` so that it stops before the tables are flushed.
    """
    from celery.contrib.testing.worker import start_worker

    from config import celery_app
    from tests.support.private_redis import end_other_database_sessions

    # Leftovers from an earlier, interrupted run must not be executed in this test.
    celery_app.control.purge()
    try:
        with start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=20,
        ) as worker:
            yield worker
    finally:
        celery_app.control.purge()
        end_other_database_sessions()


# --- The filesystem broker: worker and beat as subprocesses ---------------------------------


@dataclass
class EmbeddedSite:
    """A temporary var directory with a migrated SQLite database and a filesystem broker."""

    var_dir: Path
    env: dict[str, str]
    processes: list[tuple[subprocess.Popen, Path]] = field(default_factory=list)

    @property
    def database(self) -> Path:
        return self.var_dir / "portal.sqlite3"

    @property
    def broker_dir(self) -> Path:
        return self.var_dir / "broker"

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run a command to completion (cwd: the project), failing with its output if it fails."""
        completed = subprocess.run(
            args,
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if completed.returncode != 0:
            pytest.fail(
                f"{' '.join(args)} exited {completed.returncode}\n"
                f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
            )
        return completed

    def start(self, name: str, *args: str, extra_env: dict[str, str] | None = None):
        """Start a long-running process; its output goes to <var_dir>/<name>.log."""
        log_path = self.var_dir / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                args,
                cwd=BASE_DIR,
                env={**self.env, **(extra_env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        self.processes.append((process, log_path))
        return process

    def log(self, process: subprocess.Popen) -> str:
        for candidate, log_path in self.processes:
            if candidate is process:
                return log_path.read_text(errors="replace")
        return ""

    def wait_for_log(self, process: subprocess.Popen, text: str, *, timeout: float) -> None:
        """Wait until ``text`` appears in the process's log; fail at once if it exits."""

        def seen() -> bool:
            if process.poll() is not None:
                pytest.fail(
                    f"process exited {process.returncode} before logging {text!r}:\n"
                    f"{self.log(process)}"
                )
            return text in self.log(process)

        wait_for(seen, timeout=timeout, what=f"{text!r} in the log")

    def heartbeat(self, source: str) -> tuple[int, str] | None:
        """(count, beat_at) of ``source``'s heartbeat in the SQLite file, or None."""
        try:
            connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5)
        except sqlite3.OperationalError:
            return None
        try:
            return connection.execute(
                "SELECT count, beat_at FROM core_heartbeat WHERE source = ?", (source,)
            ).fetchone()
        except sqlite3.OperationalError:
            # Locked by the worker's write for longer than the timeout: poll again.
            return None
        finally:
            connection.close()

    def stop(self, process: subprocess.Popen) -> None:
        """Stop one process: SIGTERM (warm shutdown), then SIGKILL."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def stop_all(self) -> None:
        """Stop every process started here: SIGTERM (warm shutdown), then SIGKILL."""
        for process, _log in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _log in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.processes.clear()


@pytest.fixture(scope="module")
def embedded_site(tmp_path_factory) -> Iterator[EmbeddedSite]:
    """A migrated SQLite database and an empty filesystem broker in a temporary var dir."""
    var_dir = tmp_path_factory.mktemp("portal-var")
    env = {k: v for k, v in os.environ.items() if k not in NON_EMBEDDED_VARIABLES}
    env.update(
        PORTAL_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    site = EmbeddedSite(var_dir=var_dir, env=env)
    try:
        site.run(str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput", timeout=120)
        yield site
    finally:
        site.stop_all()


@pytest.fixture(scope="module")
def embedded_worker(embedded_site) -> subprocess.Popen:
    """``celery worker`` on the filesystem broker, as scripts/demo.sh starts it."""
    worker = embedded_site.start(
        "worker",
        str(VENV_BIN / "celery"),
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
    )
    embedded_site.wait_for_log(worker, " ready.", timeout=45)
    return worker
