"""Where one list page's time goes, at city scale: the database's share and the rest.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale_final
    .venv/bin/python bench/profile_page.py --only "admin 志愿者" --persona county \
        [--profile] [--statements]

For each page of bench/bench_lists.py that matches: the median of ``--runs`` requests, the
median time spent inside the driver's execute (each statement timed at the driver), and
with --profile the functions that cost most outside it (cProfile, cumulative); with
--statements each statement of one more request, slowest first, with its time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench import bench_lists  # noqa: E402  (sets Django up)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="")
    parser.add_argument("--persona", default="")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statements", action="store_true")
    args = parser.parse_args()
    # A model: imported once bench_lists has set Django up.
    from rest_framework.authtoken.models import Token

    settings.ALLOWED_HOSTS = ["*"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    users = bench_lists.personas()
    for page in bench_lists.all_pages():
        if args.only not in page.label or (args.persona and page.persona != args.persona):
            continue
        client = Client()
        headers: dict[str, str] = {}
        if page.api:
            token = Token.objects.get_or_create(user=users[page.persona])[0].key
            headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
        else:
            client.force_login(users[page.persona])
        for _ in range(2):
            status = client.get(page.path, **headers).status_code
        totals, in_database = [], []
        for _ in range(args.runs):
            spent = [0.0]

            def timed(execute, sql, params, many, context, spent=spent):
                start = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    spent[0] += time.perf_counter() - start

            start = time.perf_counter()
            with connection.execute_wrapper(timed):
                client.get(page.path, **headers)
            totals.append((time.perf_counter() - start) * 1000)
            in_database.append(spent[0] * 1000)
        print(
            f"{page.persona:9} {page.label}: HTTP {status}, {statistics.median(totals):.1f} ms,"
            f" database {statistics.median(in_database):.1f} ms"
        )
        if args.statements:
            statements: list[tuple[float, str]] = []

            def each(execute, sql, params, many, context, statements=statements):
                start = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    statements.append(
                        (
                            (time.perf_counter() - start) * 1000,
                            sql % tuple(repr(param) for param in params or ())
                            if params and not many
                            else sql,
                        )
                    )

            with connection.execute_wrapper(each):
                client.get(page.path, **headers)
            for spent_ms, sql in sorted(statements, reverse=True):
                print(f"  {spent_ms:8.1f} ms  {sql[:600]}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            client.get(page.path, **headers)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
