"""The users admin at city scale: what each search and filter finds, what a page costs in
statements (pinned: one more must fail), and that no statement of it has to read the
accounts or volunteers tables whole (tests/support/list_plans.py says why that is checked
with sequential scans switched off)."""

from __future__ import annotations

import pytest

from accounts.models import User
from practice.models import CadreRole
from practice.services import cadre_create
from tests.factories.accounts import make_resident
from tests.factories.volunteers import make_volunteer
from tests.support.list_plans import get_with_queries, scanned_whole
from volunteers.account_selectors import users_in_scope
from volunteers.models import Volunteer

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


# --- the scope: the same accounts in every shape it is spelt in ---------------------------


def scope_by_definition(actor) -> set[int]:
    """Who a cadre answers for, by the definition rather than by the query: accounts with a
    volunteer home or a cadre role in one of the actor's subtrees, and, for a cadre holding
    a root, the accounts with neither. (The shape users_in_scope had before it merged
    sorted index walks, written out in Python.)"""
    if actor.is_superuser:
        return set(User.objects.values_list("pk", flat=True))
    subtree: set[int] = set()
    holds_root = False
    for role in CadreRole.objects.filter(user=actor).select_related("center"):
        subtree |= set(role.center.get_descendants(include_self=True).values_list("pk", flat=True))
        holds_root = holds_root or role.center.parent_id is None
    homes = dict(Volunteer.objects.values_list("user_id", "home_center_id"))
    roles: dict[int, set[int]] = {}
    for user_id, center_id in CadreRole.objects.values_list("user_id", "center_id"):
        roles.setdefault(user_id, set()).add(center_id)
    found = set()
    for pk in User.objects.values_list("pk", flat=True):
        placed = pk in homes or pk in roles
        if (
            homes.get(pk) in subtree
            or roles.get(pk, set()) & subtree
            or (holds_root and not placed)
        ):
            found.add(pk)
    return found


@pytest.fixture
def crowd(tree, people):
    """Besides the personas: volunteers in each village, one of them also a cadre of another
    county's township, a cadre who volunteers in the village of their own role, a resident
    with no center, and a switched-off volunteer."""
    make_volunteer(11, tree.village_a2)
    make_volunteer(12, tree.village_a3)
    make_volunteer(13, tree.village_b)
    both = make_volunteer(14, tree.village_a3).user
    cadre_create(phone=both.phone, center=tree.township_b)
    own = make_volunteer(15, tree.village_a).user
    cadre_create(phone=own.phone, center=tree.village_a)
    make_resident("13900000002", "王群众")
    off = make_volunteer(16, tree.village_a2).user
    User.objects.filter(pk=off.pk).update(is_active=False)
    return both


def _second_root():
    """A second tree: the city's cadre then holds one root of two, the case in which the
    accounts under no center are theirs only through the existence tests."""
    from practice.models import Center

    return Center.objects.create(name="外市", code="430500", level="city", kind="center")


@pytest.mark.parametrize("two_trees", [False, True])
@pytest.mark.parametrize(
    "persona",
    ["city_cadre", "county_cadre", "township_cadre", "village_cadre", "outsider_cadre"],
)
def test_the_scope_is_the_definition_in_every_shape_and_order(people, crowd, persona, two_trees):
    if two_trees:
        _second_root()
    actor = getattr(people, persona)
    expected = scope_by_definition(actor)
    scope = users_in_scope(actor)

    # Unsorted and in both orders (the merged shape follows the statement's order), counted
    # and capped as the admin counts, and narrowed by a filter (the tested-in-turn shape).
    assert set(scope.values_list("pk", flat=True)) == expected
    assert list(scope.order_by("-id").values_list("pk", flat=True)) == sorted(
        expected, reverse=True
    )
    assert list(scope.order_by("id").values_list("pk", flat=True)) == sorted(expected)
    assert scope.count() == len(expected)
    assert scope.order_by().values("pk")[:3].count() == min(3, len(expected))
    assert set(scope.filter(is_active=True).values_list("pk", flat=True)) == {
        pk for pk in expected if User.objects.get(pk=pk).is_active
    }
    assert set(scope.filter(name__startswith="王").values_list("pk", flat=True)) == {
        pk for pk in expected if User.objects.get(pk=pk).name.startswith("王")
    }
    # Inside another statement (its aliases renamed), as the exports and services use it.
    assert (
        set(User.objects.filter(pk__in=scope.values("pk")).values_list("pk", flat=True)) == expected
    )


def test_the_definition_reaches_each_kind_of_account(people, crowd):
    # Not a test that cannot fail: the cases the comparison above stands on are present.
    both = crowd
    assert both.pk in scope_by_definition(people.county_cadre)  # a volunteer of county A
    assert both.pk in scope_by_definition(people.outsider_cadre)  # a cadre of county B
    assert both.pk not in scope_by_definition(people.township_cadre)
    assert people.resident.pk in scope_by_definition(people.city_cadre)
    assert people.resident.pk not in scope_by_definition(people.county_cadre)


@pytest.mark.parametrize(
    ("params", "shape"),
    [
        ({}, "UNION ALL"),
        ({"o": "3"}, "UNION ALL"),
        ({"q": "13700000001"}, "EXISTS"),
        ({"q": "王"}, "EXISTS"),
    ],
)
def test_a_county_list_merges_sorted_walks_and_tests_a_narrowed_list_account_by_account(
    client, people, params, shape
):
    client.force_login(people.county_cadre)

    _response, statements = get_with_queries(client, URL, **params)

    # The capped count and the page: the statements on the accounts that read the scope.
    listed = [
        sql
        for sql in statements
        if sql.startswith(
            ('SELECT COUNT(*) FROM (SELECT "accounts_user"', 'SELECT "accounts_user"')
        )
        and "volunteers_volunteer" in sql
    ]
    assert len(listed) == 2
    assert all(shape in sql for sql in listed)
    if shape == "UNION ALL":
        # Each branch sorted, in the page's own direction; the count, unsorted, oldest first.
        count, page = listed
        direction = "DESC" if not params else "ASC"
        assert count.count("ORDER BY 1 ASC") == 2
        assert page.count(f"ORDER BY 1 {direction}") == 2
