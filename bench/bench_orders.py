"""The order flow at city scale: automatic dispatch of one order, a burst of 10,000 orders
drained by two Celery workers, and the scoped order list under gunicorn.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale
    export REDIS_URL=redis://127.0.0.1:6379/12
    .venv/bin/python bench/bench_orders.py dispatch
    .venv/bin/python bench/bench_orders.py burst
    .venv/bin/python bench/bench_orders.py list

Needs the city-scale data: bench/bench_volunteers.py --generate (1.44 million volunteers),
then bench/city_orders.py (2 million past orders). Each part places its own orders (title
starting "压测"), removes them when it ends, and prints Markdown for docs/benchmarks.md with
its ceiling measured in the same run:

- dispatch: ``orders.dispatch.auto_dispatch`` on 200 orders placed in villages drawn in
  proportion to their volunteers, in a weekday morning slot; median, p90 and the queries of
  each call. Beside it, the floor of any dispatch: reading one order by primary key.
- burst: 10,000 orders placed through ``order_place`` while the two workers listen to no
  queue; then both start consuming and the clock runs until no placed order is left. Beside
  it, 10,000 tasks that only count themselves, through the same two workers. Django's clock
  in the workers reads a weekday 10:00 in Hengyang (bench/tasks.py; dispatch reads the clock
  to pick the weekly slot, and at night nobody is on call and the work would be trivial).
- list: gunicorn (4 sync workers, persistent database connections) with wrk at 32
  connections for 20 s: a county cadre's ``GET /api/v1/orders/`` (token, scope, cursor page
  of 20) against a bare DRF list of the same 20 newest rows with the same serializer, no
  authentication, no scope, no pagination (bench/urls.py).
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
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.workers import start_workers, stop_workers  # noqa: E402
from bench.wrk import gunicorn, wrk  # noqa: E402
from config.celery import app  # noqa: E402
from orders.dispatch import auto_dispatch  # noqa: E402
from orders.models import Order, OrderEvent  # noqa: E402
from orders.services import order_place  # noqa: E402
from practice.models import Center, Service  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
TITLE = "压测"
HENGYANG = ZoneInfo(settings.TIME_ZONE)
# A Tuesday, 10:00 in Hengyang: the morning slot, when most volunteers say they are free.
MORNING = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=HENGYANG)


def villages_by_volunteers(count: int, seed: int) -> list[int]:
    """Villages of ``count`` randomly drawn active volunteers: a village is ordered from in
    proportion to its volunteers, as the past orders were."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [1 / seed])
        cursor.execute(
            "SELECT home_center_id FROM volunteers_volunteer "
            "TABLESAMPLE BERNOULLI (2) REPEATABLE (%s) WHERE status = 'active' "
            "ORDER BY random() LIMIT %s",
            [seed, count],
        )
        return [row[0] for row in cursor.fetchall()]


def place(count: int, seed: int) -> list[int]:
    resident = User.objects.get(phone="13900000001")
    services = list(Service.objects.exclude(is_wish=True))
    villages = villages_by_volunteers(count, seed)
    centers = Center.objects.in_bulk(villages)
    draw = random.Random(seed)
    ids = []
    for village_id in villages:
        order = order_place(
            resident=resident,
            service=draw.choice(services),
            center=centers[village_id],
            title=f"{TITLE}{len(ids)}",
            address="压测地址",
            contact_phone="13900000001",
        )
        ids.append(order.pk)
    return ids


def remove_bench_orders() -> int:
    deleted, _ = Order.objects.filter(title__startswith=TITLE).delete()
    return deleted


def purge_broker() -> None:
    app.control.purge()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p90_ms(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1] * 1000


def bench_dispatch() -> None:
    remove_bench_orders()
    ids = place(200, seed=7)
    purge_broker()  # the tasks placing enqueued: this part calls auto_dispatch itself
    timings, queries, outcomes = [], [], {"dispatched": 0, "none": 0}
    for order_id in ids:
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            dispatched = auto_dispatch(order_id=order_id, at=MORNING)
            timings.append(time.perf_counter() - began)
        queries.append(len(captured.captured_queries))
        outcomes["dispatched" if dispatched else "none"] += 1
    floor = []
    for order_id in ids:
        began = time.perf_counter()
        Order.objects.get(pk=order_id)
        floor.append(time.perf_counter() - began)
    purge_broker()  # the notifier runs the dispatches woke
    remove_bench_orders()
    print("| measure | median (ms) | p90 (ms) | queries (max) |")
    print("|---|---|---|---|")
    print(
        f"| auto_dispatch of one order, 200 orders | {median_ms(timings):.2f} | "
        f"{p90_ms(timings):.2f} | {max(queries)} |"
    )
    print(
        f"| floor: one order read by primary key | {median_ms(floor):.2f} | "
        f"{p90_ms(floor):.2f} | 1 |"
    )
    print(
        f"\n{outcomes['dispatched']} dispatched, {outcomes['none']} with no candidate up to "
        f"the county (flagged)"
    )


def start_bench_workers(*, fake_clock: bool = True) -> list[subprocess.Popen]:
    """Two single-process workers listening to a queue nobody uses, so that the burst waits
    in the broker until the clock starts. With ``fake_clock`` Django's clock in them reads
    the same weekday morning as the dispatch part (bench/tasks.py shifts it)."""
    extra_env = {}
    if fake_clock:
        shift = MORNING - datetime.datetime.now(datetime.UTC)
        extra_env["BENCH_CLOCK_SHIFT_SECONDS"] = str(shift.total_seconds())
    return start_workers(
        app,
        names=["bench1", "bench2"],
        queue="bench-hold",
        include="bench.tasks",
        extra_env=extra_env,
    )


def drain(finished, queue: str = "celery") -> float:
    """Let both workers consume ``queue``; seconds until ``finished()`` holds."""
    began = time.perf_counter()
    app.control.add_consumer(queue, reply=True, limit=2, timeout=5)
    while not finished():
        time.sleep(0.05)
    elapsed = time.perf_counter() - began
    app.control.cancel_consumer(queue, reply=True, limit=2, timeout=5)
    return elapsed


def bench_burst(total: int) -> None:
    import redis

    from bench.tasks import COUNTER, noop

    remove_bench_orders()
    purge_broker()
    workers = start_bench_workers()
    try:
        counter = redis.Redis.from_url(settings.REDIS_URL)
        counter.delete(COUNTER)
        for _ in range(total):
            noop.delay()
        noop_seconds = drain(lambda: int(counter.get(COUNTER) or 0) >= total)

        began = time.perf_counter()
        ids = place(total, seed=11)
        placing = time.perf_counter() - began
        # Polled while the workers run: the placed-orders queue's own partial index, not a
        # look-up of 10,000 ids, so that the watching costs the database next to nothing.
        waiting = Order.objects.filter(
            status=Order.Status.PLACED, flagged_at=None, title__startswith=TITLE
        )
        burst_seconds = drain(lambda: not waiting.exists())
        outcome = {
            row["status"]: row["n"]
            for row in Order.objects.filter(pk__in=ids).values("status").annotate(n=Count("id"))
        }
        flagged = Order.objects.filter(pk__in=ids, flagged_at__isnull=False).count()
        # The dispatches' events wait in the outbox, and the runs that woke the notifier on
        # its own queue (settings.py); the same two workers then tell them, for the record.
        broker = redis.Redis.from_url(app.conf.broker_url)
        # The outbox's own partial index: every other event of the city was told long ago.
        untold = OrderEvent.objects.filter(notified_at__isnull=True)
        notifications = untold.count()
        wakes = broker.llen("notify")
        notify_seconds = drain(lambda: not untold.exists(), queue="notify")
    finally:
        stop_workers(workers)
        purge_broker()
        remove_bench_orders()
    noop_rate, burst_rate = total / noop_seconds, total / burst_seconds
    print("| run | tasks | seconds | per second |")
    print("|---|---|---|---|")
    print(f"| ceiling: no-op task, 2 workers | {total:,} | {noop_seconds:.2f} | {noop_rate:.0f} |")
    print(
        f"| burst: placed orders dispatched, 2 workers | {total:,} | {burst_seconds:.2f} | "
        f"{burst_rate:.0f} |"
    )
    print(
        f"| then their events told (queue notify: {wakes} runs woken), 2 workers | "
        f"{notifications:,} | {notify_seconds:.2f} | {notifications / notify_seconds:.0f} |"
    )
    print(f"\nratio to the no-op ceiling: {burst_rate / noop_rate:.2f}")
    print(f"placing the {total:,} orders (one process, before the clock): {placing:.1f} s")
    print(f"outcome: {outcome}; flagged (no candidate up to the county): {flagged}")


def bench_list() -> None:
    from rest_framework.authtoken.models import Token

    cadre = User.objects.get(phone="13800000002")  # 珠晖区's cadre (seed_demo)
    token, _ = Token.objects.get_or_create(user=cadre)
    header = f"Authorization: Token {token.key}"
    with gunicorn(8765) as base:
        scoped_url = f"{base}/api/v1/orders/"
        bare_url = f"{base}/bench/bare-orders/"
        # Warm each worker's connection and caches before the clock.
        wrk(scoped_url, header=header, threads=2, connections=8, seconds=3)
        wrk(bare_url, threads=2, connections=8, seconds=3)
        bare = wrk(bare_url, threads=4, connections=32, seconds=20)
        scoped = wrk(scoped_url, header=header, threads=4, connections=32, seconds=20)
    print(
        "| endpoint (gunicorn 4 sync workers, wrk 32 connections, 20 s) | requests/s "
        "| median latency |"
    )
    print("|---|---|---|")
    print(f"| ceiling: bare DRF list of the 20 newest orders | {bare.rate:.0f} | {bare.median} |")
    print(
        f"| county cadre's `/api/v1/orders/` (token, scope, cursor, 20 rows) | {scoped.rate:.0f} | "
        f"{scoped.median} |"
    )
    print(f"\nratio: {scoped.rate / bare.rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("part", choices=["dispatch", "burst", "list"])
    parser.add_argument("--burst", type=int, default=10_000)
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL to the city-scale database.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM volunteers_volunteer")
        (volunteers,) = cursor.fetchone()
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'orders_order'")
        (orders,) = cursor.fetchone()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, volunteers {volunteers:,}, "
        f"orders about {orders:,}, load average {os.getloadavg()[0]:.1f}\n"
    )
    if options.part == "dispatch":
        bench_dispatch()
    elif options.part == "burst":
        bench_burst(options.burst)
    else:
        bench_list()


if __name__ == "__main__":
    main()
