"""City-scale volunteers: the synthetic-data command and the scoped volunteer list.

    createdb -h 127.0.0.1 -U postgres portal_scale
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale \\
        .venv/bin/python bench/bench_volunteers.py --generate

With --generate it migrates the database named by DATABASE_URL (use a scratch one), loads
the tree and the demo cadres (seed_demo), and runs ``generate_volunteers --volunteers
1440000 --teams 4994`` (a command of the bench app, under bench/settings.py) under
/usr/bin/time -v, reporting wall time and peak memory. Then,
with or without --generate, it times the scoped list a county, a township and a village
cadre see: ``volunteers_in_scope(cadre).filter(real_name__startswith=...)
.order_by('-id')[:20]``, median of 50 runs, for no search, a common surname and a full
name; and, for comparison, the same page read through the copied county/township/village
columns. Prints Markdown for docs/benchmarks.md, and EXPLAIN ANALYZE of the county query.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The bench app (generate_volunteers, bench.synthetic) is installed by bench/settings.py.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from practice.models import Level  # noqa: E402
from volunteers.models import Volunteer  # noqa: E402
from volunteers.selectors import volunteers_in_scope  # noqa: E402

ROUNDS = 50
VOLUNTEERS = 1_440_000
TEAMS = 4_994
# The demo cadres seed_demo makes, down one branch of 珠晖区.
CADRES = {
    "county 430405": "13800000002",
    "township 430405007": "13800000003",
    "village 430405007006": "13800000004",
}
COPIED_COLUMN = {Level.COUNTY: "county", Level.TOWNSHIP: "township", Level.VILLAGE: "home_center"}
SURNAME = "王"


def generate() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    command = [
        "/usr/bin/time", "-v", sys.executable, "-u", str(ROOT / "manage.py"),
        "generate_volunteers", "--volunteers", str(VOLUNTEERS), "--teams", str(TEAMS),
    ]  # fmt: skip
    print(f"load average before: {os.getloadavg()}")
    started = time.monotonic()
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    process = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True, env=environment
    )
    wall = time.monotonic() - started
    print(process.stdout)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", process.stderr)
    print(f"wall {wall:.1f} s; /usr/bin/time peak RSS {int(rss.group(1)) / 1024:.0f} MiB")
    print(f"load average after: {os.getloadavg()}")


def timed(action) -> float:
    action()
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL to a scratch database.")
    if "--generate" in sys.argv:
        generate()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    total = Volunteer.objects.count()
    print(f"{total:,} volunteers; {ROUNDS} rounds, median; load average {os.getloadavg()}")
    print()
    print("| cadre | in scope | search | scoped selector (ms) | copied column (ms) | rows |")
    print("|---|---|---|---|---|---|")
    plans = {}
    for label, phone in CADRES.items():
        cadre = User.objects.get(phone=phone)
        center = cadre.cadre_roles.select_related("center").first().center
        column = COPIED_COLUMN[Level(center.level)]
        in_scope = Volunteer.objects.filter(**{column: center}).count()
        full_name = (
            Volunteer.objects.filter(**{column: center}, real_name__startswith=SURNAME)
            .order_by("-id")
            .values_list("real_name", flat=True)
            .first()
        )
        for search in ("", SURNAME, full_name):

            def scoped(cadre=cadre, search=search):
                return (
                    volunteers_in_scope(cadre)
                    .filter(real_name__startswith=search)
                    .order_by("-id")[:20]
                )

            def copied(center=center, column=column, search=search):
                return Volunteer.objects.filter(
                    **{column: center}, real_name__startswith=search
                ).order_by("-id")[:20]

            rows = len(list(scoped()))
            assert [v.pk for v in scoped()] == [v.pk for v in copied()]
            scoped_ms = timed(lambda scoped=scoped: list(scoped()))
            copied_ms = timed(lambda copied=copied: list(copied()))
            shown = search or "(none)"
            print(
                f"| {label} | {in_scope:,} | {shown} | {scoped_ms:.2f} | {copied_ms:.2f} | {rows} |"
            )
            plans[(label, shown, "scoped")] = explain(scoped())
            plans[(label, shown, "copied")] = explain(copied())
    print()
    for (label, shown, kind), plan in plans.items():
        if label.startswith("county") or kind == "scoped":
            print(f"### {label}, search {shown}, {kind}\n\n```\n{plan}\n```\n")


if __name__ == "__main__":
    main()
