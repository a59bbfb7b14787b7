"""Celery workers for the benchmarks: single-process workers started as subprocesses, as
deployed (persistent database connections without a health check before each task, as in
docker-compose.yml: a new PostgreSQL backend per task would cost more than the task), each
on a queue of the benchmark's own, returned once every one answers a ping.

The scripts that use it have set Django up; the workers read the same environment
(DATABASE_URL, REDIS_URL) plus what ``extra_env`` adds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from celery import Celery

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(ROOT / ".venv" / "bin" / "celery")
PING_SECONDS = 60


def start_workers(
    app: Celery,
    *,
    names: list[str],
    queue: str,
    include: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> list[subprocess.Popen]:
    """One ``--pool=solo`` worker per name of ``names`` consuming ``queue`` (and importing
    the module ``include`` besides the project's tasks)."""
    env = dict(
        os.environ, DATABASE_CONN_MAX_AGE="600", DATABASE_HEALTH_CHECKS="false", **(extra_env or {})
    )
    workers = []
    for name in names:
        command = [CELERY, "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"]
        if include:
            command += ["-I", include]
        command += ["-Q", queue, "-n", f"{name}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        workers.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL))
    deadline = time.monotonic() + PING_SECONDS
    expected = {f"{name}@" for name in names}
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        answered = {
            prefix
            for reply in replies
            for host in reply
            for prefix in expected
            if host.startswith(prefix)
        }
        if answered == expected:
            return workers
    stop_workers(workers)
    sys.exit(f"The workers did not all answer within {PING_SECONDS} s.")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """A warm shutdown of each (SIGTERM: the task under way finishes), then SIGKILL."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
