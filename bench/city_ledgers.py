"""Ten million ledger entries, hours and points, for the city-scale benchmarks of issue 11.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale \\
        .venv/bin/python bench/city_ledgers.py [--activity-entries 2900000] [--drift 1000]

Run after ``generate_volunteers`` and ``bench/city_orders.py``, then ``VACUUM ANALYZE``. As
city_orders.py does, it writes inside PostgreSQL with INSERT ... SELECT: the benchmarks need
the volume and the shape, and the services would take hours for ten million entries.

Shape, in the order a city's ledgers would have grown (by the entry's time, so one
volunteer's entries lie scattered over the table as they would after two years of use):

- every served order of city_orders.py: its hours entry (the order's hours), the points they
  earned at the default rules (10 per hour, rounded half up) and, for a 5-star rating, the
  rating bonus (5 points): about 1.74 + 1.74 + 0.58 million;
- ``--activity-entries`` attendances of activities by randomly drawn active volunteers
  (1 to 4 hours in the last two years, 20 to 200 attendees an activity), each with its hours
  and points entries;
- one redemption in ten volunteers with 50 points or more (10 to 50 points, never more than
  they had), and a cadre's reversal of one served order in five hundred (hours and points).

Then each volunteer's cached balances move by the new entries' sums, as the services would
have moved them (and the volunteers' table is rewritten in id order, as entries moving
balances in place over two years would have left it), except for ``--drift`` volunteers,
whose cache is put off by one hour and one point so that the full recalculation has drift
to find and repair. The leaderboards'
summaries are not made here: ``bench/bench_leaderboards.py --fill`` re-derives them.
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

from points.services.rules import rules_current  # noqa: E402

# Activity and redemption ids of the bench's own, far from the demo's records.
FIRST_SOURCE = 1_000_000_000

# Each entry's volunteer's home at the time, as the services copy it.
STAGE = """
CREATE TEMP TABLE bench_entry (
    ledger char(1) NOT NULL, volunteer_id bigint NOT NULL, kind varchar(16) NOT NULL,
    source varchar(16) NOT NULL, source_id bigint NOT NULL, hours numeric(6, 2),
    points integer, created_at timestamptz NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE bench_pick ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY v.id) AS seq, v.id AS volunteer_id
  FROM volunteers_volunteer v WHERE v.status = 'active';
CREATE UNIQUE INDEX ON bench_pick (seq);
ANALYZE bench_pick;
"""

ORDER_ENTRIES = """
INSERT INTO bench_entry
SELECT e.* FROM orders_order o CROSS JOIN LATERAL (VALUES
    ('h', o.accepted_by_id, 'earned', 'order', o.id, o.hours, NULL::integer, o.completed_at),
    ('p', o.accepted_by_id, 'earned', 'order', o.id, NULL, round(o.hours * 10)::integer,
     o.completed_at),
    ('p', o.accepted_by_id, 'rating_bonus', 'order', o.id, NULL,
     CASE WHEN o.rating = 5 THEN 5 END, o.updated_at)
) AS e(ledger, volunteer_id, kind, source, source_id, hours, points, created_at)
WHERE o.status IN ('completed', 'rated') AND o.accepted_by_id IS NOT NULL
  AND o.hours IS NOT NULL AND (e.kind <> 'rating_bonus' OR o.rating = 5)
  AND NOT EXISTS (SELECT 1 FROM points_hoursentry AS h  -- the demo's own, credited already
                   WHERE h.source = 'order' AND h.source_id = o.id)
"""

# Neighbouring draws share an activity (20 to 200 of them); a volunteer drawn twice for one
# activity attends it once (DISTINCT ON), as the ledger's key would have it.
ACTIVITY_ENTRIES = """
INSERT INTO bench_entry
SELECT e.* FROM (
    SELECT DISTINCT ON (p.volunteer_id, a.activity) p.volunteer_id, a.activity, a.attended, a.at
      FROM (SELECT %(first_activity)s + n / (20 + n %% 181) AS activity,
                   round((1 + random() * 3)::numeric, 2) AS attended,
                   1 + floor(random() * %(volunteers)s)::bigint AS pick,
                   now() - interval '3 days'
                         - interval '1 second' * floor(random() * 63072000) AS at
              FROM generate_series(1, %(entries)s) AS n OFFSET 0) AS a
      JOIN bench_pick p ON p.seq = a.pick
) AS d CROSS JOIN LATERAL (VALUES
    ('h', d.volunteer_id, 'earned', 'activity', d.activity, d.attended, NULL::integer, d.at),
    ('p', d.volunteer_id, 'earned', 'activity', d.activity, NULL,
     round(d.attended * 10)::integer, d.at)
) AS e(ledger, volunteer_id, kind, source, source_id, hours, points, created_at)
"""

REVERSALS = """
INSERT INTO bench_entry
SELECT e.* FROM bench_entry b CROSS JOIN LATERAL (VALUES
    (b.ledger, b.volunteer_id, 'reversed', 'order', b.source_id, -b.hours, -b.points,
     b.created_at + interval '2 days')
) AS e(ledger, volunteer_id, kind, source, source_id, hours, points, created_at)
WHERE b.source = 'order' AND b.kind = 'earned' AND b.source_id %% 500 = 0
"""

REDEMPTIONS = """
INSERT INTO bench_entry
SELECT 'p', s.volunteer_id, 'redeemed', 'redemption', %(first_redemption)s + s.volunteer_id,
       NULL, -least(s.total, 10 + s.volunteer_id %% 41)::integer, now() - interval '1 day'
  FROM (SELECT volunteer_id, sum(points) AS total FROM bench_entry WHERE ledger = 'p'
         GROUP BY volunteer_id) AS s
 WHERE s.total >= 50 AND s.volunteer_id %% 10 = 0
"""

# In time order, as the ledgers grew; their copies of the volunteer's home as the services
# write them.
HOURS_INSERT = """
INSERT INTO points_hoursentry (home_center_id, township_id, county_id, kind, source, source_id,
                               actor_id, reason, created_at, volunteer_id, hours)
SELECT v.home_center_id, v.township_id, v.county_id, b.kind, b.source, b.source_id, NULL,
       CASE WHEN b.kind = 'reversed' THEN '服务不实，冲销' ELSE '' END, b.created_at,
       b.volunteer_id, b.hours
  FROM bench_entry b JOIN volunteers_volunteer v ON v.id = b.volunteer_id
 WHERE b.ledger = 'h' ORDER BY b.created_at
"""

POINTS_INSERT = """
INSERT INTO points_pointsentry (home_center_id, township_id, county_id, kind, source, source_id,
                                actor_id, reason, created_at, volunteer_id, points, rules_id)
SELECT v.home_center_id, v.township_id, v.county_id, b.kind, b.source, b.source_id, NULL,
       CASE WHEN b.kind = 'reversed' THEN '服务不实，冲销' ELSE '' END, b.created_at,
       b.volunteer_id, b.points,
       CASE WHEN b.kind IN ('earned', 'rating_bonus') THEN %(rules)s END
  FROM bench_entry b JOIN volunteers_volunteer v ON v.id = b.volunteer_id
 WHERE b.ledger = 'p' ORDER BY b.created_at
"""

BALANCES = """
UPDATE volunteers_volunteer AS v SET hours = v.hours + s.hours, points = v.points + s.points
  FROM (SELECT volunteer_id, coalesce(sum(hours), 0) AS hours,
               coalesce(sum(points), 0)::integer AS points
          FROM bench_entry GROUP BY volunteer_id) AS s
 WHERE v.id = s.volunteer_id
"""

DRIFT = """
UPDATE volunteers_volunteer SET hours = hours + 1, points = points + 1
 WHERE id IN (SELECT id FROM volunteers_volunteer ORDER BY id DESC LIMIT %(drift)s)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activity-entries", type=int, default=2_900_000)
    parser.add_argument("--drift", type=int, default=1000)
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL to the scratch database.")
    rules_id = rules_current().pk
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM points_hoursentry")
        if cursor.fetchone()[0] > 100_000:
            sys.exit("The ledgers are filled already.")
        cursor.execute("SET LOCAL work_mem = '1GB'")
        # Foreign keys point at rows of their own tables, as in city_orders.py.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(STAGE)
        cursor.execute("SELECT count(*) FROM bench_pick")
        (volunteers,) = cursor.fetchone()
        steps = (
            ("served orders", ORDER_ENTRIES, {}),
            (
                "activities",
                ACTIVITY_ENTRIES,
                {
                    "entries": options.activity_entries,
                    "volunteers": volunteers,
                    "first_activity": FIRST_SOURCE,
                },
            ),
            ("reversals", REVERSALS, {}),
            ("redemptions", REDEMPTIONS, {"first_redemption": FIRST_SOURCE}),
            ("hours ledger", HOURS_INSERT, {}),
            ("points ledger", POINTS_INSERT, {"rules": rules_id}),
            ("balances", BALANCES, {}),
            ("drift", DRIFT, {"drift": options.drift}),
        )
        for name, sql, params in steps:
            cursor.execute(sql, params)
            print(
                f"{name}: {cursor.rowcount:,} rows, {time.perf_counter() - began:.0f} s", flush=True
            )
    # The balances' bulk UPDATE wrote a new version of every volunteer's row elsewhere in
    # the table, out of id order; entries written one by one over two years would have
    # moved them in place (the table's fillfactor, volunteers 0015). Rewritten in id order
    # with that room, the table is as the city's would be.
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("CLUSTER volunteers_volunteer USING volunteers_volunteer_pkey")
    print(f"done in {time.perf_counter() - began:.0f} s; run VACUUM ANALYZE next (the rewritten")
    print("volunteers' table has no page marked all visible, which index-only scans need)")


if __name__ == "__main__":
    main()
