"""The users admin at city scale: what each search and filter finds, what a page costs in
statements (pinned: one more must fail), and that no statement of it has to read the
accounts or volunteers tables whole (tests/support/list_plans.py says why that is checked
with sequential scans switched off)."""

from __future__ import annotations

import pytest

from tests.support.list_plans import get_with_queries, scanned_whole

pytestmark = pytest.mark.django_db

URL = "/admin/accounts/user/"


def listed_phones(response) -> set[str]:
    return {user.phone for user in response.context["cl"].result_list}


# --- statements and plans, every tier, every search and filter offered ---------------------

# Statements of one page: the session and its user, the admin's permission test, the top
# bar's, the scope (the cadre's roles; the city's cadre one more, whether it holds every
# root), the capped count, the page, and the roles of the page's accounts and their centers
# (prefetched; the centers only when some account on the page holds a role). A found
# volunteer with no role, or no row at all, saves those.
PAGES = [
    ("", {}),
    ("name", {"q": "王"}),
    ("last four", {"q": "0001"}),
    ("full number", {"q": "13700000001"}),
    ("switched off", {"is_active__exact": "0"}),
    # The fourth column, 注册时间 (``o`` counts from nought).
    ("oldest first", {"o": "3"}),
]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        # The city's cadre: one more to see that it holds every tree's root.
        ("city_cadre", {"": 12, "full number": 11, "switched off": 10}),
        ("county_cadre", {"": 11, "last four": 10, "full number": 10, "switched off": 9}),
        ("township_cadre", {"": 11, "last four": 10, "full number": 10, "switched off": 9}),
        ("village_cadre", {"": 11, "last four": 10, "full number": 10, "switched off": 9}),
    ],
)
@pytest.mark.parametrize(("label", "params"), PAGES)
def test_each_page_costs_a_fixed_number_of_statements_and_reads_no_table_whole(
    client, people, persona, expected, label, params
):
    client.force_login(getattr(people, persona))

    response, statements = get_with_queries(client, URL, **params)

    assert response.status_code == 200
    assert (len(statements), scanned_whole(statements)) == (
        expected.get(label, expected[""]),
        {},
    )


@pytest.mark.parametrize("persona", ["city_cadre", "county_cadre", "township_cadre"])
def test_the_list_is_newest_first_and_its_join_column_sorts_in_account_order(
    client, people, persona
):
    # The join date is set when the account is made: the account's id keeps its order,
    # and only the id is in an index every tier's scope can walk.
    client.force_login(getattr(people, persona))

    newest, newest_statements = get_with_queries(client, URL)
    oldest, _statements = get_with_queries(client, URL, o="3")

    ids = [user.pk for user in newest.context["cl"].result_list]
    assert len(ids) > 1
    assert ids == sorted(ids, reverse=True)
    assert [user.pk for user in oldest.context["cl"].result_list] == sorted(ids)
    assert [sql for sql in newest_statements if 'ORDER BY "accounts_user"."id" DESC' in sql]
    assert not [
        sql
        for sql in newest_statements
        if "ORDER BY" in sql and "date_joined" in sql.split("ORDER BY")[-1]
    ]
