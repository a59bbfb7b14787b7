"""Throughput under load for the benchmarks: the project served by gunicorn as deployed (sync
workers, persistent database connections, bench.settings so that the bare lists of
bench/urls.py are there to compare with), and wrk against it.

Plain subprocesses, no Django: the scripts that use it have set Django up for their own
in-process part, and the server reads the same environment (DATABASE_URL, REDIS_URL).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


@contextmanager
def gunicorn(port: int, *, workers: int = 4) -> Iterator[str]:
    """Serve the project on ``port`` while the block runs, once it answers /healthz/; yields
    its base URL."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_CONN_MAX_AGE="600",
        DEBUG="false",
    )
    command = [GUNICORN, "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "--log-level", "warning", "config.wsgi"], cwd=ROOT, env=env
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while subprocess.run(["curl", "-fs", "-o", "/dev/null", f"{base}/healthz/"]).returncode:
            if time.monotonic() > deadline:
                sys.exit("gunicorn did not answer within 30 s")
            time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@dataclass(frozen=True)
class WrkRun:
    rate: float  # requests per second
    median: str  # median latency as wrk prints it ("12.34ms")


def wrk(
    url: str, *, connections: int, threads: int, seconds: int, header: str | None = None
) -> WrkRun:
    """One wrk run against ``url``; exits the benchmark if any response failed, since a
    rate of error pages measures nothing."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command.append("--latency")
    if header:
        command += ["-H", header]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        sys.exit(f"{url}: {errors.group(1)} failed responses\n{output}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    median = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    if rate is None or median is None:
        sys.exit(f"{url}: wrk printed no rate or median\n{output}")
    return WrkRun(rate=float(rate.group(1)), median=median.group(1))
