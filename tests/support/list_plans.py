"""What the list tests check of a page's SQL: how many statements it runs, and that none of
them has to read a large table from end to end.

On test-size data PostgreSQL rightly reads its few-row tables whole, so a plan taken as is
says nothing about city scale. With ``enable_seqscan`` off the planner still falls back to a
sequential scan, but only where no index can serve the statement at all: a substring search
(``LIKE '%x%'``), a filter or sort no index covers, a tree test on every row. That is the
defect these tests guard against. Which of the index paths the planner picks at city scale
depends on the statistics of 1.44 million rows; bench/lists_people.py measures that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

# The tables that grow with the city (1.44 million accounts and volunteers, 1.6 million
# memberships, the hours ledger).
LARGE_TABLES = frozenset(
    {
        "accounts_user",
        "volunteers_volunteer",
        "volunteers_teammembership",
        "volunteers_volunteer_skills",
        "points_hoursentry",
    }
)


def get_with_queries(client: Any, url: str, **params: Any) -> tuple[Any, list[str]]:
    """One GET, its response and the SQL of every statement it ran."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    return response, [query["sql"] for query in captured.captured_queries]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def sequential_scans(sql: str) -> set[str]:
    """The large tables a statement can read only from end to end."""
    if not sql.lstrip().upper().startswith("SELECT"):
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            (document,) = cursor.fetchone()
        finally:
            cursor.execute("RESET enable_seqscan")
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    return {
        node["Relation Name"]
        for node in _nodes(plan)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in LARGE_TABLES
    }


def scanned_whole(statements: list[str]) -> dict[str, set[str]]:
    """Each statement that reads a large table whole, with the tables (empty: none does)."""
    found = {}
    for sql in statements:
        tables = sequential_scans(sql)
        if tables:
            found[sql] = tables
    return found
