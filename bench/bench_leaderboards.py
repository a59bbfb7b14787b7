"""The leaderboards at city scale: each board read for a cadre of each tier and the public.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale
    export REDIS_URL=redis://127.0.0.1:6379/12
    .venv/bin/python bench/bench_leaderboards.py [--fill] [--rounds 20]

Runs on the city-scale database (bench/bench_volunteers.py --generate, and
bench/city_orders.py for a ledger). ``--fill`` re-derives every summary from the ledger
first with the service (``leaderboards_rebuild``, by RECALCULATION_CHUNK ids) and reports
its time; without a ledger it writes one synthetic summary row per volunteer for this year
and all time (hours from the id, so the ranking is spread and ties exist), in SQL.

Then, for the city, one county, one township and one village (the first of each in the
tree), and for the volunteers' and the teams' boards: the median wall time of ``--rounds``
reads of the page's rows (the selector, as the pages call it), public and as a cadre of that
center, and the plan's top node (EXPLAIN ANALYZE), which should be an index scan of the
tier's board index, never a sort of the subtree's rows. Writes nothing else; ``--fill``
leaves the summaries it made (they are what the ledger says).

Not yet run at full scale (the machine was shared when it was written).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from points.models import HoursEntry, HoursSummary  # noqa: E402
from points.selectors.leaderboards import (  # noqa: E402
    BoardQuery,
    reader_roles,
    team_board,
    volunteer_board,
)
from points.services.leaderboards import leaderboards_rebuild  # noqa: E402
from practice.models import CadreRole, Center, Level  # noqa: E402
from practice.services import cadre_create  # noqa: E402

SYNTHETIC_SQL = """
INSERT INTO points_hourssummary (volunteer_id, year, home_center_id, township_id, county_id, hours)
SELECT v.id, y.year, v.home_center_id, v.township_id, v.county_id, (v.id %% 997) + 0.5
  FROM volunteers_volunteer AS v CROSS JOIN (VALUES (%s), (0)) AS y(year)
ON CONFLICT (volunteer_id, year) DO NOTHING
"""


def fill() -> None:
    started = time.monotonic()
    if HoursEntry.objects.exists():
        written = leaderboards_rebuild()
        print(f"leaderboards_rebuild: {written} rows in {time.monotonic() - started:.1f} s")
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SYNTHETIC_SQL, [timezone.localdate().year])
        print(f"synthetic summaries: {cursor.rowcount} rows in {time.monotonic() - started:.1f} s")


def cadre_of(center: Center) -> User:
    role = CadreRole.objects.filter(center=center).select_related("user").first()
    if role is not None:
        return role.user
    # Through the service, as any cadre is made; a bench password nobody signs in with.
    user, _created = cadre_create(
        phone=f"199{center.pk:08d}"[-11:], name="压测干部", password="bench-only-1", center=center
    )
    return user


def median_ms(read, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def plan_top(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    # The summary table's own node: the counties' subquery of a city cadre's scope is a
    # scan of the centers that says nothing about the board.
    scans = [
        line.strip()
        for line in lines
        if ("Scan" in line and "points_" in line) or line.strip().startswith(("Sort", "->  Sort"))
    ]
    return scans[0] if scans else lines[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fill", action="store_true")
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    if options.fill or not HoursSummary.objects.exists():
        fill()
    year = timezone.localdate().year
    for level in (Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE):
        center = Center.objects.filter(level=level).order_by("tree_id", "lft").first()
        if center is None:
            continue
        cadre = cadre_of(center)
        roles = reader_roles(cadre)
        query = BoardQuery(year=year, center=None if level == Level.CITY else center)
        own = BoardQuery(year=year, center=None)
        for name, board in (("volunteers", volunteer_board), ("teams", team_board)):
            report(level, center, name, board, query, own, cadre, roles, options.rounds)


def report(level, center, name, board, query, own, cadre, roles, rounds) -> None:
    """One board's line: the public read of the center, the cadre's read of their scope."""
    public = median_ms(lambda: list(board(query)), rounds)
    scoped = median_ms(lambda: list(board(own, reader=cadre, roles=roles)), rounds)
    print(
        f"{level:9} {center.name[:12]:12} {name:10} public {public:7.1f} ms"
        f"  cadre {scoped:7.1f} ms  | {plan_top(board(own, reader=cadre, roles=roles))}"
    )


if __name__ == "__main__":
    main()
