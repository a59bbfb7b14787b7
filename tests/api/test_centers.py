"""GET /api/v1/centers/: the public center tree, its filters and its cost."""

from __future__ import annotations

import pytest

from practice.models import Center
from practice.services import center_save
from tests.support.queries import exact_get
from tests.support.tree import CITY, COUNTY_A, COUNTY_B, TREE_ORDER

URL = "/api/v1/centers/"


def codes(response) -> set[str]:
    return {item["code"] for item in response.json()["results"]}


@pytest.mark.django_db
def test_anyone_lists_the_tree_with_a_count(api_client, tree):
    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 10
    assert body["next"] is None
    assert body["previous"] is None
    assert codes(response) == CITY
    for item in body["results"]:
        assert {"id", "code", "name", "level", "parent"} <= set(item)


@pytest.mark.django_db
def test_each_item_carries_its_parent_and_level(api_client, tree):
    items = {item["code"]: item for item in api_client.get(URL).json()["results"]}

    assert items["430400"]["parent"] is None
    assert items["430400"]["level"] == "city"
    assert items["430405007006"] == {
        **items["430405007006"],
        "id": tree.village_a.pk,
        "name": "王江社区居委会",
        "level": "village",
        "parent": tree.township_a.pk,
    }


@pytest.mark.django_db
def test_the_list_is_in_tree_order(api_client, tree):
    listed = [item["code"] for item in api_client.get(URL).json()["results"]]

    assert listed == TREE_ORDER


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"level": "village"}, {"430405007006", "430405007007", "430405009007", "430406001001"}),
        ({"level": "county"}, {"430405", "430406"}),
        ({"code": "430406"}, {"430406"}),
        ({"code": "999999"}, set()),
        ({"level": "village", "code": "430405009007"}, {"430405009007"}),
        ({"level": "city", "code": "430405009007"}, set()),
    ],
)
def test_filters(api_client, tree, params, expected):
    response = api_client.get(URL, params)

    assert response.status_code == 200
    assert codes(response) == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.django_db
def test_filter_by_parent_gives_the_children(api_client, tree):
    assert codes(api_client.get(URL, {"parent": tree.township_a.pk})) == {
        "430405007006",
        "430405007007",
    }
    assert codes(api_client.get(URL, {"parent": tree.city.pk})) == {"430405", "430406"}
    assert codes(api_client.get(URL, {"parent": tree.village_b.pk})) == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "foo"}, "level"),
        ({"parent": "999999"}, "parent"),
        ({"parent": "abc"}, "parent"),
        ({"parent": "1.5"}, "parent"),
        ({"parent": "-1"}, "parent"),
        ({"parent": "99999999999999999999999"}, "parent"),
    ],
)
def test_bad_filters_are_400_by_field(api_client, tree, params, field):
    response = api_client.get(URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0].startswith("选择一个有效的选项")


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["abc", "0", "99", "-1"])
def test_a_bad_page_is_404_not_500(api_client, tree, page):
    response = api_client.get(URL, {"page": page})

    assert response.status_code == 404
    assert response.json() == {"detail": "无效页面。"}


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", ["abc", "0", "-3", "100000"])
def test_an_odd_page_size_falls_back_and_still_answers(api_client, tree, page_size):
    response = api_client.get(URL, {"page_size": page_size})

    assert response.status_code == 200
    assert response.json()["count"] == 10


@pytest.mark.django_db
def test_page_size_pages_with_next_links(api_client, tree):
    first = api_client.get(URL, {"page_size": 4}).json()

    assert first["count"] == 10
    assert len(first["results"]) == 4
    assert first["next"] == "http://testserver/api/v1/centers/?page=2&page_size=4"
    assert first["previous"] is None


@pytest.mark.django_db
def test_managed_gives_a_county_cadre_exactly_their_county(client_for, people):
    response = client_for(people.county_cadre).get(URL, {"managed": "true"})

    assert response.status_code == 200
    assert codes(response) == COUNTY_A
    assert response.json()["count"] == 6


@pytest.mark.django_db
def test_managed_gives_the_outsider_exactly_county_b(client_for, people):
    response = client_for(people.outsider_cadre).get(URL, {"managed": "true"})

    assert codes(response) == COUNTY_B
    assert response.json()["count"] == 3


@pytest.mark.django_db
def test_managed_for_the_township_and_city(client_for, people):
    township = client_for(people.township_cadre).get(URL, {"managed": "true"})
    city = client_for(people.city_cadre).get(URL, {"managed": "true"})

    assert codes(township) == {"430405007", "430405007006", "430405007007"}
    assert codes(city) == CITY


@pytest.mark.django_db
def test_managed_combines_with_other_filters(client_for, people):
    response = client_for(people.county_cadre).get(URL, {"managed": "true", "level": "village"})

    assert codes(response) == {"430405007006", "430405007007", "430405009007"}


@pytest.mark.django_db
def test_managed_is_empty_for_anonymous_residents_and_volunteers(api_client, client_for, people):
    assert api_client.get(URL, {"managed": "true"}).json()["count"] == 0
    assert client_for(people.resident).get(URL, {"managed": "true"}).json()["count"] == 0
    assert client_for(people.volunteer).get(URL, {"managed": "true"}).json()["count"] == 0


@pytest.mark.django_db
def test_managed_false_is_the_whole_tree(client_for, people):
    response = client_for(people.outsider_cadre).get(URL, {"managed": "false"})

    assert codes(response) == CITY


@pytest.mark.django_db
def test_one_center(api_client, tree):
    response = api_client.get(f"{URL}{tree.township_b.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == tree.township_b.pk
    assert body["code"] == "430406001"
    assert body["name"] == "天马山街道"
    assert body["level"] == "township"
    assert body["parent"] == tree.county_b.pk


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["999999", "abc"])
def test_an_unknown_center_is_404(api_client, tree, pk):
    response = api_client.get(f"{URL}{pk}/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_an_inactive_center_is_neither_listed_nor_shown(api_client, tree):
    Center.objects.filter(pk=tree.village_a2.pk).update(is_active=False)

    assert "430405007007" not in codes(api_client.get(URL))
    assert api_client.get(f"{URL}{tree.village_a2.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_tree_is_read_only(client_for, people, tree):
    client = client_for(people.city_cadre)

    assert client.post(URL, {"name": "新阵地", "code": "43049999"}).status_code == 405
    assert client.delete(f"{URL}{tree.village_b.pk}/").status_code == 405
    assert Center.objects.count() == 10


def add_villages(tree, count: int) -> None:
    for n in range(count):
        center_save(
            actor=None,
            center=Center(parent=tree.township_b, name=f"测试社区{n}", code=f"430406001{100 + n}"),
        )


# Whatever the number of rows (a +1 query fails).
CENTER_LIST_QUERIES = 2


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_10_and_40_centers(api_client, tree):
    response = exact_get(api_client, URL, CENTER_LIST_QUERIES)
    assert response.json()["count"] == 10

    add_villages(tree, 30)
    response = exact_get(api_client, URL, CENTER_LIST_QUERIES)

    assert response.json()["count"] == 40
    assert len(response.json()["results"]) == 40


# Whatever the number of rows (a +1 query fails).
MANAGED_CENTER_LIST_QUERIES = 3


@pytest.mark.django_db
def test_the_managed_list_costs_the_same_queries_for_10_and_40_centers(client_for, people, tree):
    client = client_for(people.outsider_cadre)
    response = exact_get(client, URL, MANAGED_CENTER_LIST_QUERIES, {"managed": "true"})
    assert response.json()["count"] == 3

    add_villages(tree, 30)
    response = exact_get(client, URL, MANAGED_CENTER_LIST_QUERIES, {"managed": "true"})

    assert response.json()["count"] == 33


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"level": ""},
        {"parent": ""},
        {"code": "x" * 500},
        {"code": "4304'; DROP TABLE practice_center; --"},
        {"managed": "yes"},
        {"managed": ""},
        {"level": "\x00"},
        {"parent": "\x00"},
        {"ordering": "-id"},
        {"search": "衡阳"},
        {"page": "1", "page_size": "2", "level": "village", "parent": "1"},
    ],
)
def test_odd_query_strings_never_give_a_500(api_client, tree, params):
    response = api_client.get(URL, params)

    assert response.status_code in {200, 400, 404}
    assert Center.objects.count() == 10
