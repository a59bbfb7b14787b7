"""The full recalculation at city scale, beside one hand-written SQL statement, and the
incremental update of one entry.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale
    export REDIS_URL=redis://127.0.0.1:6379/12
    .venv/bin/python bench/bench_recalculation.py [--rounds 3] [--entries 300]

Runs on the city-scale database with its ledgers (bench/city_ledgers.py). Rounds alternate,
so both sides meet the same caches:

- the statement: one SELECT, written by hand, that sums both ledgers per volunteer over the
  whole tables and compares the sums with the cached balances (what the recalculation finds
  as drift), with work_mem raised to 256 MB, in a connection of its own;
- the service: a run started by ``recalculation_start`` and carried on by a real Celery
  worker (one process, ``--pool=solo``, listening to a queue of its own) through
  ``recalculation_continue_task``, as beat would carry it on; its time is the run's own row
  (started to finished), and the worker's peak resident memory (VmHWM) is read from
  /proc when the run is done. The first run finds and repairs the drift put in before it
  (``--drift`` volunteers' caches off by one hour and one point); later runs find none.

Then the incremental update: ``--entries`` awards of one activity's attendance through
``service_award`` (the hours entry, the balance, the recheck mark, the points entry and
their balance), each in its own transaction and committed, timed one by one; and as many
``hours_credit`` alone. They stay in the ledgers with the balances they moved
(append-only, like any entry). Last, the work the entries handed on: one ``recheck_drain``
of the outbox they marked (each batch re-derives its volunteers' leaderboard rows from the
ledger and rechecks their stars), run here in the process, timed in all and per
volunteer.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.workers import start_workers, stop_workers  # noqa: E402
from config.celery import app  # noqa: E402
from points.enqueue import RECALCULATION_CONTINUE_TASK  # noqa: E402
from points.models import Recalculation, Source  # noqa: E402
from points.services.ledger import hours_credit, service_award  # noqa: E402
from points.services.recalculation import recalculation_start  # noqa: E402
from points.services.stars import recheck_drain  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "bench-recalculation"

STATEMENT = """
SELECT count(*)
  FROM volunteers_volunteer AS v
  LEFT JOIN (SELECT volunteer_id, SUM(hours) AS total FROM points_hoursentry
              GROUP BY volunteer_id) AS h ON h.volunteer_id = v.id
  LEFT JOIN (SELECT volunteer_id, SUM(points) AS total FROM points_pointsentry
              GROUP BY volunteer_id) AS p ON p.volunteer_id = v.id
 WHERE ROUND(v.hours, 2) <> ROUND(COALESCE(h.total, 0), 2) OR v.points <> COALESCE(p.total, 0)
"""


def statement_seconds() -> tuple[float, int]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        began = time.perf_counter()
        cursor.execute(STATEMENT)
        (drifted,) = cursor.fetchone()
        return time.perf_counter() - began, drifted


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def service_run(worker: subprocess.Popen) -> tuple[float, float, Recalculation]:
    run = recalculation_start()
    began = time.perf_counter()
    app.send_task(RECALCULATION_CONTINUE_TASK, queue=QUEUE)
    while True:
        time.sleep(0.2)
        run.refresh_from_db()
        if run.status == Recalculation.Status.DONE:
            break
        if worker.poll() is not None:
            sys.exit(f"The worker died (exit {worker.returncode}) during run {run.pk}.")
    wall = time.perf_counter() - began
    assert run.finished_at is not None
    return (run.finished_at - run.started_at).total_seconds(), wall, run


def timed_ms(call, count: int) -> list[float]:
    times = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def incremental(entries: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM volunteers_volunteer WHERE status = 'active' ORDER BY id LIMIT 1"
        )
        (first,) = cursor.fetchone()
        cursor.execute("SELECT max(id) FROM volunteers_volunteer")
        (last,) = cursor.fetchone()
    # Source ids of this run's own: far above any activity's, and new at every run.
    base = int(datetime.datetime.now(datetime.UTC).timestamp()) * 10_000
    picks = iter(random.Random(base).sample(range(first, last + 1), 2 * entries))
    numbers = iter(range(base, base + 2 * entries))

    def award() -> None:
        with transaction.atomic():
            service_award(
                volunteer_id=next(picks),
                source=Source.ACTIVITY,
                source_id=next(numbers),
                hours=Decimal("2.50"),
            )

    def credit() -> None:
        hours_credit(
            volunteer_id=next(picks),
            source=Source.ACTIVITY,
            source_id=next(numbers),
            hours=Decimal("1.50"),
        )

    for name, call in (("service_award (hours and points)", award), ("hours_credit alone", credit)):
        times = timed_ms(call, entries)
        times.sort()
        print(
            f"| {name} | {entries} | {statistics.median(times):.2f} | "
            f"{times[int(len(times) * 0.95)]:.2f} | {times[-1]:.2f} |"
        )
    # No worker consumes the default queue here, so the marks wait for this drain.
    began = time.perf_counter()
    drained = recheck_drain()
    elapsed = (time.perf_counter() - began) * 1000
    print(
        f"\nrecheck_drain of the marked volunteers: {drained} in {elapsed:.0f} ms "
        f"({elapsed / max(drained, 1):.2f} ms a volunteer, batches of "
        f"{settings.STAR_RECHECK_BATCH})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument(
        "--drift",
        type=int,
        default=1000,
        help="volunteers whose cache is put off by one hour and one point before the first run",
    )
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL to the city-scale database.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM volunteers_volunteer),"
            " (SELECT reltuples::bigint FROM pg_class WHERE relname = 'points_hoursentry'),"
            " (SELECT reltuples::bigint FROM pg_class WHERE relname = 'points_pointsentry')"
        )
        volunteers, hours_rows, points_rows = cursor.fetchone()
    print(
        f"volunteers {volunteers:,}; ledger entries about {hours_rows:,} hours + "
        f"{points_rows:,} points (the planner's counts)"
    )
    Recalculation.objects.filter(status=Recalculation.Status.RUNNING).update(
        status=Recalculation.Status.DONE
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # The newest volunteers, as city_ledgers.py does: the first run finds and repairs them.
        cursor.execute(
            "UPDATE volunteers_volunteer SET hours = hours + 1, points = points + 1 WHERE id IN"
            " (SELECT id FROM volunteers_volunteer ORDER BY id DESC LIMIT %s)",
            [options.drift],
        )
    (worker,) = start_workers(app, names=["bench-recalculation"], queue=QUEUE)
    print(
        "\n| round | hand-written statement, s | drift it saw | recalculation (its row), s "
        "| wall, s | chunks | drifted / repaired | rechecked | ratio | worker peak, MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    try:
        for number in range(1, options.rounds + 1):
            statement, seen = statement_seconds()
            seconds, wall, run = service_run(worker)
            repaired = run.drifts.filter(repaired=True).count()
            print(
                f"| {number} | {statement:.1f} | {seen:,} | {seconds:.1f} | {wall:.1f} | "
                f"{run.chunks} | {run.drifted:,} / {repaired:,} | {run.rechecked:,} | "
                f"{seconds / statement:.2f} | {peak_mib(worker.pid):.0f} |",
                flush=True,
            )
    finally:
        stop_workers([worker])
    print(
        "\n| incremental update, each its own committed transaction | entries | median, ms "
        "| p95, ms | max, ms |"
    )
    print("|---|---|---|---|---|")
    incremental(options.entries)


if __name__ == "__main__":
    main()
