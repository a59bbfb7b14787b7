"""The order lists at city scale: the admin changelist's capped count, its indexed searches,
the exact queries of each list, and, on PostgreSQL, that an index serves each list's main
query (no sequential scan of orders_order)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.paginators import CappedCountPaginator
from orders.models import Order
from orders.selectors import orders_for, orders_managed_by, search_orders
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")


@pytest.fixture
def orders(tree, people, menu) -> SimpleNamespace:
    return SimpleNamespace(
        a=[
            place(
                people, menu, tree.village_a, title=f"王江买药{n}", contact_phone=f"1390000{n:04d}"
            )
            for n in range(5)
        ],
        b=place(people, menu, tree.village_b, title="王江买菜", contact_phone="13900000001"),
        landline=place(
            people, menu, tree.village_a2, title="新园修灯", contact_phone="0734-8123456"
        ),
    )


def listed(response) -> set[str]:
    return {order.title for order in response.context["cl"].result_list}


# --- the capped count --------------------------------------------------------------------


def test_the_paginator_counts_exactly_below_the_cap_and_stops_at_it(orders):
    rows = Order.objects.order_by("-id")
    below = CappedCountPaginator(rows, 2, cap=10)
    assert (below.count, below.capped, below.num_pages) == (7, False, 4)
    at_cap = CappedCountPaginator(rows, 2, cap=7)
    assert (at_cap.count, at_cap.capped) == (7, False)
    capped = CappedCountPaginator(rows, 2, cap=4)
    assert (capped.count, capped.capped, capped.num_pages) == (4, True, 2)
    # The count is one statement that stops at cap + 1 rows, never COUNT(*) of the table.
    with CaptureQueriesContext(connection) as queries:
        assert CappedCountPaginator(rows, 2, cap=4).count == 4
    assert len(queries) == 1
    assert "LIMIT 5" in queries[0]["sql"]


def test_the_changelist_says_more_than_n_and_links_no_page_past_the_cap(
    client, people, orders, monkeypatch
):
    model_admin = admin.site._registry[Order]
    monkeypatch.setattr(model_admin, "list_count_cap", 4)
    monkeypatch.setattr(model_admin, "list_per_page", 2)
    client.force_login(people.county_cadre)
    response = client.get(CHANGELIST)
    page = response.content.decode()
    assert "超过 4 条" in page
    assert "?p=2" in page
    assert "?p=3" not in page
    # A page past the cap is no page (the admin's own "invalid page" answer, not a 500).
    assert client.get(CHANGELIST + "?p=5").status_code == 302


def test_a_searched_changelist_stops_its_count_at_the_search_cap(
    client, people, orders, monkeypatch
):
    # given a list whose own cap is above its rows and a search cap below them
    model_admin = admin.site._registry[Order]
    monkeypatch.setattr(model_admin, "list_count_cap", 100)
    monkeypatch.setattr(model_admin, "search_count_cap", 3)
    client.force_login(people.county_cadre)
    # when it is searched, its count stops at the search cap
    with CaptureQueriesContext(connection) as queries:
        searched = client.get(CHANGELIST, {"q": "王江"})
    assert "超过 3 条" in searched.content.decode()
    assert any("LIMIT 4" in query["sql"] for query in queries.captured_queries)
    # and unsearched (or searched by blanks) it counts to its own
    assert "共 6 条" in client.get(CHANGELIST).content.decode()
    assert "共 6 条" in client.get(CHANGELIST, {"q": "  "}).content.decode()


def test_below_the_cap_the_changelist_gives_the_exact_count(client, people, orders):
    client.force_login(people.county_cadre)
    page = client.get(CHANGELIST).content.decode()
    assert "共 6 条" in page
    assert "超过" not in page


# --- searches --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "titles"),
    [
        ("王江", {"王江买药0", "王江买药1", "王江买药2", "王江买药3", "王江买药4"}),
        ("买药", set()),  # a substring is not searched: no index serves it
        ("13900000003", {"王江买药3"}),
        ("0003", {"王江买药3"}),
        ("0734-8123456", {"新园修灯"}),
        ("3456", {"新园修灯"}),
        ("", {"王江买药0", "王江买药1", "王江买药2", "王江买药3", "王江买药4", "新园修灯"}),
    ],
)
def test_the_admin_search_by_title_beginning_full_phone_and_last_four(
    client, people, orders, term, titles
):
    client.force_login(people.county_cadre)
    assert listed(client.get(CHANGELIST, {"q": term})) == titles


def test_a_search_never_finds_an_order_outside_the_subtree(client, people, orders):
    # County B's "王江买菜" and its phone 13900000001 match the terms, yet stay out.
    client.force_login(people.county_cadre)
    assert "王江买菜" not in listed(client.get(CHANGELIST, {"q": "王江"}))
    assert listed(client.get(CHANGELIST, {"q": "13900000001"})) == {"王江买药1"}
    client.force_login(people.village_cadre)
    assert listed(client.get(CHANGELIST, {"q": "0001"})) == {"王江买药1"}
    assert listed(client.get(CHANGELIST, {"q": "新园"})) == set()


def test_only_the_id_sorts_and_a_sort_by_another_column_is_ignored(client, people, orders):
    client.force_login(people.county_cadre)
    oldest_first = client.get(CHANGELIST, {"o": "1"}).context["cl"].result_list
    assert [o.pk for o in oldest_first] == sorted(o.pk for o in oldest_first)
    # Column 6 is created_at: not sortable, so the list keeps its newest-first order.
    by_date = client.get(CHANGELIST, {"o": "6"}).context["cl"].result_list
    assert [o.pk for o in by_date] == sorted((o.pk for o in by_date), reverse=True)


def test_the_flagged_filter_lists_waiting_orders_only(client, people, orders):
    Order.objects.filter(pk=orders.a[0].pk).update(flagged_at="2026-11-23T10:00:00+08:00")
    Order.objects.filter(pk=orders.a[1].pk).update(
        flagged_at="2026-11-23T10:00:00+08:00", status=Order.Status.CANCELLED
    )
    client.force_login(people.county_cadre)
    assert listed(client.get(CHANGELIST, {"flagged": "yes"})) == {"王江买药0"}


# --- exact query counts --------------------------------------------------------------------


# session, user, is_cadre, roles, the capped count, two permission reads, the city test,
# the page of rows.
ADMIN_QUERIES = 9


@pytest.mark.parametrize(
    "query",
    ["", "?status__exact=placed", "?kind__exact=wish", "?flagged=yes", "?q=王江", "?q=0001"],
)
@pytest.mark.parametrize(
    "persona", ["city_cadre", "county_cadre", "township_cadre", "village_cadre"]
)
def test_the_admin_changelist_costs_a_fixed_number_of_queries(
    client, people, orders, persona, query
):
    client.force_login(getattr(people, persona))
    client.get(CHANGELIST + query)  # the session's first read may write
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    assert len(queries) == ADMIN_QUERIES, [q["sql"][:120] for q in queries]


@pytest.mark.parametrize("query", ["", "?status=placed", "?status=dispatched", "?kind=wish"])
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        # Authenticated by force (no token read): roles-and-own, the page (a cursor page
        # counts nothing); without a role, the volunteer profile is read between them.
        ("county_cadre", 2),
        ("village_cadre", 2),
        ("resident", 3),
        ("volunteer", 3),
    ],
)
def test_the_api_order_list_costs_a_fixed_number_of_queries(
    api_client, people, orders, persona, expected, query
):
    api_client.force_authenticate(getattr(people, persona))
    api_client.get("/api/v1/orders/" + query)
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/v1/orders/" + query)
    assert response.status_code == 200
    assert len(queries) == expected, [q["sql"][:120] for q in queries]


# --- plans -------------------------------------------------------------------------------------
#
# The test database holds a handful of rows, where a sequential scan is the planner's right
# choice; with enable_seqscan off it still takes one only where no index can answer the
# query at all (the setting adds a huge cost, it does not forbid). So "no Seq Scan on
# orders_order" here means: an index serves this filter and this sort, which is what keeps
# the same query short on 2 million rows (bench/bench_lists.py measures that).


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def changelist_queryset(user, query: dict[str, str]):
    request = RequestFactory().get(CHANGELIST, query)
    request.user = user
    return admin.site._registry[Order].get_changelist_instance(request).queryset


ADMIN_FILTERS = [
    {},
    {"status__exact": "placed"},
    {"status__exact": "dispatched"},
    {"status__exact": "in_service"},
    {"status__exact": "rated"},
    {"kind__exact": "wish"},
    {"flagged": "yes"},
    {"q": "王江"},
    {"q": "13900000001"},
    {"q": "0001"},
    {"o": "1"},
]


@pytest.mark.parametrize(
    "query", ADMIN_FILTERS, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()) or "all"
)
@pytest.mark.parametrize(
    "persona", ["city_cadre", "county_cadre", "township_cadre", "village_cadre"]
)
def test_an_index_serves_each_admin_list_and_its_capped_count(people, orders, persona, query):
    rows = changelist_queryset(getattr(people, persona), query)
    for queryset in (rows[:50], rows.order_by().values("pk")[:1001]):
        explained = plan(queryset)
        assert "Seq Scan on orders_order" not in explained, explained


@pytest.mark.parametrize("status", ["placed", "dispatched", "accepted", "in_service"])
@pytest.mark.parametrize("persona", ["county_cadre", "township_cadre", "village_cadre", "resident"])
def test_an_index_serves_each_api_status_filter(people, orders, persona, status):
    rows = orders_for(getattr(people, persona)).filter(status=status).order_by("-id")[:21]
    explained = plan(rows)
    assert "Seq Scan on orders_order" not in explained, explained


def test_a_cadre_with_orders_of_their_own_filtering_by_status_reads_no_whole_table(
    people, orders, menu, tree
):
    place(SimpleNamespace(resident=people.county_cadre), menu, tree.village_b, title="自己的单")
    mine = orders_for(people.county_cadre)
    assert "自己的单" in set(mine.values_list("title", flat=True))
    explained = plan(mine.filter(status="placed").order_by("-id")[:21])
    assert "Seq Scan on orders_order" not in explained, explained


@pytest.mark.parametrize(
    "persona", ["city_cadre", "county_cadre", "township_cadre", "village_cadre"]
)
def test_an_index_serves_the_dispatch_board(people, orders, persona):
    from django.db.models import F

    rows = (
        orders_managed_by(getattr(people, persona))
        .filter(status=Order.Status.PLACED)
        .order_by(F("flagged_at").asc(nulls_last=True), "-id")[:20]
    )
    explained = plan(rows)
    assert "Seq Scan on orders_order" not in explained, explained


def test_search_orders_reads_an_index_for_each_kind_of_term(orders):
    for term in ("王江", "13900000001", "0001"):
        explained = plan(search_orders(Order.objects.all(), term).order_by("-id")[:50])
        assert "Seq Scan on orders_order" not in explained, (term, explained)


def test_the_village_cadres_page_is_read_in_order_from_the_village_index(people, orders):
    # The village has nothing under it, so its scope is center_id = X (not IN (subtree)):
    # the (center, -id) index yields the page in order and nothing sorts the village's
    # every order first.
    explained = plan(changelist_queryset(people.village_cadre, {})[:50])
    assert "order_village_newest" in explained, explained
    assert "Sort" not in explained, explained
