"""Two million past orders, with their event timelines, for the city-scale benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale \\
        .venv/bin/python bench/city_orders.py [--orders 2000000]

Run after ``generate_volunteers`` (bench/bench_volunteers.py --generate). The rows are made
inside PostgreSQL with INSERT ... SELECT over generate_series: the benchmarks need the
volume and the shape (who served what, where, when), not the path through the services,
and going through the services would take hours for two million orders.

Shape: each order is placed in the home village of a randomly drawn active volunteer (so a
village's share follows its volunteers'), in the last two years, for a service of the menu.
75% were served and rated, 12% served and not rated, 9% cancelled before dispatch, 4%
rejected; a served order was dispatched to and accepted by that volunteer, so open-task
counts and "longest since last task" have history to read. Every order has its events
(placed, dispatched, accepted, in service, completed, rated; or placed and cancelled or
rejected): about 10.7 million event rows, all told long ago (``notified_at``), or the
notifier would set out to tell two years of history.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

DRAWS = """
CREATE TEMP TABLE bench_pick ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY v.id) AS seq, v.id AS volunteer_id, v.user_id,
       v.home_center_id, v.township_id, v.county_id
FROM volunteers_volunteer v
WHERE v.status = 'active';
CREATE UNIQUE INDEX ON bench_pick (seq);
ANALYZE bench_pick;
CREATE TEMP TABLE bench_service ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY id) AS seq, id, name, is_wish FROM practice_service;
"""

# One row per order: draws first (a materialised CTE, so random() runs once per order), then
# the volunteer and service they point at. Times: placed within the last 730 days, dispatched
# 2-20 minutes later, accepted within 15 minutes, served 1-4 hours the next day or so.
ORDERS = """
INSERT INTO orders_order (
    created_at, updated_at, kind, title, description, address, contact_phone,
    status, accept_deadline, accepted_at, started_at, completed_at, hours, summary,
    rating, rating_comment, accepted_by_id, center_id, county_id, township_id,
    dispatched_volunteer_id, resident_id, service_id, proof_failures
)
SELECT
    d.placed, d.placed + interval '1 day' * (d.outcome < 0.87)::int + interval '5 hours',
    CASE WHEN s.is_wish THEN 'wish' ELSE 'service' END,
    s.name, '', '社区服务地址', '13900000000',
    CASE WHEN d.outcome < 0.75 THEN 'rated' WHEN d.outcome < 0.87 THEN 'completed'
         WHEN d.outcome < 0.96 THEN 'cancelled' ELSE 'rejected' END,
    CASE WHEN d.outcome < 0.87 THEN d.placed + interval '40 minutes' END,
    CASE WHEN d.outcome < 0.87 THEN d.placed + interval '1 minute' * (2 + d.lag * 30) END,
    CASE WHEN d.outcome < 0.87 THEN d.placed + interval '1 day' END,
    CASE WHEN d.outcome < 0.87 THEN d.placed + interval '1 day' + interval '1 hour' * d.served END,
    CASE WHEN d.outcome < 0.87 THEN round(d.served::numeric, 2) END,
    CASE WHEN d.outcome < 0.87 THEN '已完成服务' ELSE '' END,
    CASE WHEN d.outcome < 0.75 THEN 3 + floor(d.lag * 3)::int END,
    '',
    CASE WHEN d.outcome < 0.87 THEN p.volunteer_id END,
    p.home_center_id, p.county_id, p.township_id,
    CASE WHEN d.outcome < 0.87 THEN p.volunteer_id END,
    r.user_id, s.id, 0
FROM (
    SELECT
        1 + floor(random() * %(volunteers)s)::bigint AS pick,
        1 + floor(random() * %(volunteers)s)::bigint AS resident_pick,
        1 + floor(random() * %(services)s)::bigint AS service_pick,
        now() - interval '2 days' - interval '1 second' * floor(random() * 63072000) AS placed,
        random() AS outcome,
        random() AS lag,
        1 + random() * 3 AS served
    FROM generate_series(1, %(orders)s)
    OFFSET 0
) d
JOIN bench_pick p ON p.seq = d.pick
JOIN bench_pick r ON r.seq = d.resident_pick
JOIN bench_service s ON s.seq = d.service_pick
"""

EVENTS = """
INSERT INTO orders_orderevent (order_id, from_status, to_status, actor_id, reason, at, notified_at)
SELECT o.id, e.from_status, e.to_status, e.actor_id, '', e.at, e.at
FROM orders_order o
CROSS JOIN LATERAL (VALUES
    (1, '', 'placed', o.resident_id, o.created_at),
    (2, 'placed', 'dispatched', NULL, o.created_at + interval '1 minute'),
    (3, 'dispatched', 'accepted', NULL, o.accepted_at),
    (4, 'accepted', 'in_service', NULL, o.started_at),
    (5, 'in_service', 'completed', NULL, o.completed_at),
    (6, 'completed', 'rated', o.resident_id, o.updated_at),
    (7, 'placed', o.status, o.resident_id, o.updated_at)
) AS e(step, from_status, to_status, actor_id, at)
WHERE o.id > %(after)s AND (
    e.step = 1
    OR (o.status IN ('completed', 'rated') AND e.step BETWEEN 2 AND 5)
    OR (o.status = 'rated' AND e.step = 6)
    OR (o.status IN ('cancelled', 'rejected') AND e.step = 7)
)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2_000_000)
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL to the scratch database.")
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM orders_order")
        (after,) = cursor.fetchone()
        cursor.execute(DRAWS)
        cursor.execute("SELECT count(*) FROM bench_pick")
        (volunteers,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM bench_service")
        (services,) = cursor.fetchone()
        if not volunteers or not services:
            sys.exit("No active volunteers or no services: run generate_volunteers first.")
        # Foreign keys point at rows drawn from their own tables; checking 13 million
        # references one by one would triple the load time.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            ORDERS, {"orders": options.orders, "volunteers": volunteers, "services": services}
        )
        print(f"orders: {cursor.rowcount:,} in {time.perf_counter() - began:.0f} s", flush=True)
        cursor.execute(EVENTS, {"after": after})
        print(f"events: {cursor.rowcount:,} in {time.perf_counter() - began:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute("ANALYZE orders_orderevent")
    print(f"done in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
