"""Scoped reads over the full Hengyang tree (2,991 centers).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \
        .venv/bin/python bench/bench_scoping.py

Migrates the database named by DATABASE_URL (use a scratch one: the script loads the tree
and demo cadres into it), then times, for a cadre at each tier: the scoped center queryset,
the admin center list page and the public center API page, and counts their queries. Prints
a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from practice.scoping import visible_centers  # noqa: E402

ROUNDS = 50
CADRES = {
    "city 430400": "13800000001",
    "county 430405": "13800000002",
    "township 430405007": "13800000003",
    "village 430405007006": "13800000004",
}


def timed(action) -> tuple[float, int]:
    """Median milliseconds over ROUNDS runs, and the queries of one run."""
    with CaptureQueriesContext(connection) as queries:
        action()
    query_count = len(queries)
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), query_count


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL to a scratch database.")
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"PostgreSQL {connection.cursor().connection.server_version}, {ROUNDS} rounds, median")
    print()
    print("| cadre | centers in scope | scoped count (ms) | admin list page (ms, queries) |")
    print("|---|---|---|---|")
    for label, phone in CADRES.items():
        user = User.objects.get(phone=phone)
        client = Client()
        client.force_login(user)
        in_scope = visible_centers(user).count()
        count_ms, _ = timed(lambda user=user: visible_centers(user).count())
        page_ms, page_queries = timed(lambda client=client: client.get("/admin/practice/center/"))
        print(f"| {label} | {in_scope} | {count_ms:.2f} | {page_ms:.1f}, {page_queries} |")
    client = Client()
    api_ms, api_queries = timed(lambda: client.get("/api/v1/centers/?level=village"))
    print()
    print(
        "Public `/api/v1/centers/?level=village` (50 of 2,785): "
        f"{api_ms:.1f} ms, {api_queries} queries"
    )


if __name__ == "__main__":
    main()
