"""Every list a cadre or a client opens, as each tier, at city scale.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale_h1
    export REDIS_URL=redis://127.0.0.1:6379/2
    .venv/bin/python bench/bench_lists.py [--runs 15] [--seconds 5] [--only 订单] [--no-wrk]

The pages come from bench/lists_orders.py and, where present, bench/lists_people.py. For
each page, as its persona (seed_demo's cadres 13800000001-4 for city, county, township and
village; for "volunteer" the volunteer who most recently accepted an order, for "resident"
the resident of the newest order):

- median ms of one client: Django's test client in this process, ``--runs`` requests after
  two to warm up, and the queries of one request;
- requests/s at 8 connections (wrk, ``--seconds`` each) against gunicorn (4 sync workers,
  persistent connections, bench.settings), beside a bare list measured in the same run
  (before the pages and after them; the lower of the two is the ceiling): for an admin
  changelist, the same changelist as the city cadre with no filter (no scope, no filter,
  the same template); for any other page, the bare DRF list of bench/urls.py.

Prints one Markdown table for docs/benchmarks.md. Nothing is written to the database except
the personas' API tokens and sessions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.list_pages import ListPage  # noqa: E402
from bench.lists_orders import pages as order_pages  # noqa: E402
from bench.wrk import gunicorn, wrk  # noqa: E402

PORT = 8771
# The goal's load: 8 connections (issue 10, item 7).
LOAD = {"connections": 8, "threads": 2}
CADRE_PHONES = {
    "city": "13800000001",
    "county": "13800000002",
    "township": "13800000003",
    "village": "13800000004",
}


def all_pages() -> list[ListPage]:
    found = order_pages()
    try:
        from bench.lists_people import pages as people_pages
        from bench.lists_people import placeholders, resolved
    except ImportError:
        pass
    else:
        # Ids that depend on the data (a skill, a team, a township) are looked up now.
        values = placeholders()
        found += [
            ListPage(page.label, resolved(page.path, values), page.persona, page.api)
            for page in people_pages()
        ]
    return found


def personas() -> dict[str, User]:
    users = {name: User.objects.get(phone=phone) for name, phone in CADRE_PHONES.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.user_id FROM orders_order o JOIN volunteers_volunteer v "
            "ON v.id = o.accepted_by_id ORDER BY o.id DESC LIMIT 1"
        )
        users["volunteer"] = User.objects.get(pk=cursor.fetchone()[0])
        cursor.execute(
            "SELECT o.resident_id FROM orders_order o "
            "WHERE NOT EXISTS (SELECT 1 FROM practice_cadrerole r WHERE r.user_id = o.resident_id)"
            " ORDER BY o.id DESC LIMIT 1"
        )
        users["resident"] = User.objects.get(pk=cursor.fetchone()[0])
    return users


def measure_one(client: Client, page: ListPage, headers: dict[str, str], runs: int):
    for _ in range(2):
        response = client.get(page.path, **headers)
        if response.status_code != 200:
            # Reported in the table and left out of the load; the rest of the run goes on.
            print(f"# {page.label} as {page.persona}: HTTP {response.status_code}", flush=True)
            return float("nan"), response.status_code
    # Counted at the driver: CaptureQueriesContext read 0 here (Django's query log is not a
    # reliable count across the test client's requests), as bench/lists_people.py found too.
    statements: list[str] = []

    def counted(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        client.get(page.path, **headers)
    if os.environ.get("BENCH_SHOW_SQL"):
        for sql in statements:
            print(f"  {sql[:600]}")
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(page.path, **headers)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), len(statements)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--only", default="", help="only pages whose label contains this")
    parser.add_argument("--persona", default="", help="only this persona")
    parser.add_argument("--no-wrk", action="store_true")
    args = parser.parse_args()

    settings.ALLOWED_HOSTS = ["*"]
    # Keep one connection across the requests, as gunicorn's persistent ones do.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    users = personas()
    clients: dict[str, Client] = {}
    tokens: dict[str, str] = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
        tokens[name] = Token.objects.get_or_create(user=user)[0].key

    selected = [
        page
        for page in all_pages()
        if args.only in page.label and (not args.persona or page.persona == args.persona)
    ]
    rows = []
    failed: list[tuple[ListPage, int]] = []
    for page in selected:
        if page.api:
            headers = {"HTTP_AUTHORIZATION": f"Token {tokens[page.persona]}"}
            client = Client()
        else:
            headers = {}
            client = clients[page.persona]
        median, queries = measure_one(client, page, headers, args.runs)
        if median != median:  # not answered with 200: skipped
            failed.append((page, queries))
            continue
        rows.append([page, median, queries, None])
        print(f"# {page.persona:9} {page.label}: {median:.1f} ms, {queries} queries", flush=True)

    bare = None
    bare_admin: dict[str, float] = {}
    if not args.no_wrk:
        city_cookie = f"Cookie: {settings.SESSION_COOKIE_NAME}=" + (
            clients["city"].cookies[settings.SESSION_COOKIE_NAME].value
        )
        admin_paths = sorted({_admin_base(row[0].path) for row in rows if _is_admin(row[0])})
        with gunicorn(PORT) as base:
            bare_url = f"{base}/bench/bare-orders/"
            wrk(bare_url, **LOAD, seconds=3)  # warm every worker's connection
            bare_before = wrk(bare_url, **LOAD, seconds=args.seconds).rate
            print(f"# bare DRF list before: {bare_before:.0f} req/s", flush=True)
            for path in admin_paths:
                # Each worker loads the changelist's templates on its first request.
                wrk(base + path, header=city_cookie, **LOAD, seconds=2)
            admin_before = {
                path: wrk(base + path, header=city_cookie, **LOAD, seconds=args.seconds).rate
                for path in admin_paths
            }
            for path, rate in admin_before.items():
                print(f"# bare admin before {path}: {rate:.0f} req/s", flush=True)
            for row in rows:
                page = row[0]
                if page.api:
                    header = f"Authorization: Token {tokens[page.persona]}"
                else:
                    header = f"Cookie: {settings.SESSION_COOKIE_NAME}=" + (
                        clients[page.persona].cookies[settings.SESSION_COOKIE_NAME].value
                    )
                # wrk sends the path as given: a search term must be percent-encoded.
                url = base + quote(page.path, safe="/?&=%")
                row[3] = wrk(url, header=header, **LOAD, seconds=args.seconds).rate
                print(f"# {page.persona:9} {page.label}: {row[3]:.0f} req/s", flush=True)
            bare_after = wrk(bare_url, **LOAD, seconds=args.seconds).rate
            bare = min(bare_before, bare_after)
            for path in admin_paths:
                after = wrk(base + path, header=city_cookie, **LOAD, seconds=args.seconds).rate
                bare_admin[path] = min(admin_before[path], after)

    print()
    if bare is not None:
        print(
            f"Bare list (bench/urls.py), 8 connections: {bare:.0f} requests/s "
            f"(lower of before {bare_before:.0f} and after {bare_after:.0f}).\n"
        )
        print(
            "Bare admin changelists (the city cadre's, no filter, the lower of before and after):"
        )
        for path, rate in bare_admin.items():
            print(f"- `{path}`: {rate:.0f} requests/s")
        print()
    print(
        "| list | persona | median ms (1 client) | queries | req/s at 8 conn. "
        "| ratio to bare | bare |"
    )
    print("|---|---|---|---|---|---|---|")
    for page, median, queries, rate in rows:
        # An admin changelist is set beside the same changelist with no scope and no filter
        # (the city cadre's); any other page beside the bare DRF list.
        ceiling = bare_admin.get(_admin_base(page.path)) if _is_admin(page) else bare
        ceiling_name = "admin" if _is_admin(page) else "DRF"
        rate_text = f"{rate:.0f}" if rate is not None else "-"
        ratio = f"{rate / ceiling:.2f}" if rate is not None and ceiling else "-"
        met = median < 100 and (ceiling is None or rate is None or rate >= 0.8 * ceiling)
        goal = "" if met else " ✗"
        print(
            f"| {page.label} `{page.path}` | {page.persona} | {median:.1f}{goal} | {queries} "
            f"| {rate_text} | {ratio} | {ceiling_name} |"
        )
    for page, status in failed:
        print(f"| {page.label} `{page.path}` | {page.persona} | HTTP {status} ✗ | - | - | - | - |")


def _is_admin(page: ListPage) -> bool:
    return not page.api and page.path.startswith("/admin/")


def _admin_base(path: str) -> str:
    """The page with no filter: the changelist's own path; for the admin's autocomplete, the
    widget it serves (app, model, field) without the typed term."""
    base, _sep, query = path.partition("?")
    if base != "/admin/autocomplete/":
        return base
    target = [part for part in query.split("&") if not part.startswith("term=")]
    return f"{base}?{'&'.join(target)}"


if __name__ == "__main__":
    main()
