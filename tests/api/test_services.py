"""GET /api/v1/services/: the public service menu, by platform and by place."""

from __future__ import annotations

import pytest

from practice.catalogue import STARTING_MENU, service_menu_install
from practice.models import Center, Platform, Service
from practice.services import service_save
from tests.support.queries import exact_get

URL = "/api/v1/services/"
CITY_MENU = {name for _platform, name, _description in STARTING_MENU}


def names(response) -> set[str]:
    return {item["name"] for item in response.json()["results"]}


def offer(center: Center, name: str, platform: str = Platform.CULTURE) -> Service:
    return service_save(actor=None, service=Service(center=center, platform=platform, name=name))


@pytest.fixture
def menu(tree):
    assert service_menu_install(city=tree.city) == 10
    return tree


@pytest.mark.django_db
def test_anyone_lists_the_installed_menu(api_client, menu):
    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 10
    assert names(response) == CITY_MENU
    assert {item["platform"] for item in body["results"]} == {
        "theory",
        "education",
        "culture",
        "science",
        "fitness",
    }
    for item in body["results"]:
        assert {"id", "name", "platform"} <= set(item)


@pytest.mark.django_db
def test_items_carry_platform_code_and_label(api_client, menu):
    items = {item["name"]: item for item in api_client.get(URL).json()["results"]}

    assert items["法律咨询"]["platform"] == "theory"
    assert items["法律咨询"]["platform_name"] == "理论宣讲平台"
    assert items["健身指导"]["platform"] == "fitness"
    assert items["健身指导"]["center"] == menu.city.pk


@pytest.mark.django_db
def test_the_menu_is_ordered_by_the_platforms_official_order_then_sort_order(api_client, menu):
    listed = [item["name"] for item in api_client.get(URL).json()["results"]]

    assert listed[:3] == ["党史与政策宣讲", "法律咨询", "留守儿童课业辅导"]
    assert listed[-2:] == ["买菜送药", "健身指导"]


@pytest.mark.django_db
def test_filter_by_platform(api_client, menu):
    response = api_client.get(URL, {"platform": "education"})

    assert response.status_code == 200
    assert names(response) == {"留守儿童课业辅导", "心理疏导", "微心愿"}
    assert response.json()["count"] == 3


@pytest.mark.django_db
@pytest.mark.parametrize("platform", ["foo", "Education", "理论宣讲平台"])
def test_an_unknown_platform_is_400(api_client, menu, platform):
    response = api_client.get(URL, {"platform": platform})

    assert response.status_code == 400
    assert list(response.json()) == ["platform"]
    assert response.json()["platform"][0].startswith("选择一个有效的选项")


@pytest.mark.django_db
def test_center_gives_the_city_menu_plus_its_own_countys_services(api_client, menu):
    offer(menu.county_a, "珠晖区湘剧进社区")
    offer(menu.county_b, "雁峰区义务理发")
    offer(menu.village_a, "王江社区读书会", Platform.EDUCATION)

    in_village_a = api_client.get(URL, {"center": menu.village_a.pk})
    in_village_a3 = api_client.get(URL, {"center": menu.village_a3.pk})
    in_village_b = api_client.get(URL, {"center": menu.village_b.pk})

    assert in_village_a.status_code == 200
    assert names(in_village_a) == CITY_MENU | {"珠晖区湘剧进社区", "王江社区读书会"}
    assert names(in_village_a3) == CITY_MENU | {"珠晖区湘剧进社区"}
    assert names(in_village_b) == CITY_MENU | {"雁峰区义务理发"}
    assert in_village_a.json()["count"] == 12


@pytest.mark.django_db
def test_center_and_platform_combine(api_client, menu):
    offer(menu.county_a, "珠晖区湘剧进社区", Platform.CULTURE)
    offer(menu.county_b, "雁峰区花鼓戏", Platform.CULTURE)

    response = api_client.get(URL, {"center": menu.village_a.pk, "platform": "culture"})

    assert names(response) == {"文艺培训", "垃圾分类宣传", "珠晖区湘剧进社区"}


@pytest.mark.django_db
def test_without_a_center_every_active_service_is_listed(api_client, menu):
    offer(menu.county_a, "珠晖区湘剧进社区")
    offer(menu.county_b, "雁峰区义务理发")

    assert names(api_client.get(URL)) == CITY_MENU | {"珠晖区湘剧进社区", "雁峰区义务理发"}


@pytest.mark.django_db
def test_withdrawn_services_and_services_of_inactive_centers_are_not_listed(api_client, menu):
    offer(menu.county_b, "雁峰区义务理发")
    Service.objects.filter(name="法律咨询").update(is_active=False)
    Center.objects.filter(pk=menu.county_b.pk).update(is_active=False)

    assert names(api_client.get(URL)) == CITY_MENU - {"法律咨询"}
    assert names(api_client.get(URL, {"center": menu.village_a.pk})) == CITY_MENU - {"法律咨询"}


@pytest.mark.django_db
@pytest.mark.parametrize("center", ["999999", "abc", "1.5"])
def test_an_unknown_center_is_400(api_client, menu, center):
    response = api_client.get(URL, {"center": center})

    assert response.status_code == 400
    assert list(response.json()) == ["center"]


@pytest.mark.django_db
def test_an_inactive_center_is_400(api_client, menu):
    Center.objects.filter(pk=menu.village_b.pk).update(is_active=False)

    response = api_client.get(URL, {"center": menu.village_b.pk})

    assert response.status_code == 400
    assert list(response.json()) == ["center"]


@pytest.mark.django_db
def test_one_service_and_unknown_service(api_client, menu):
    service = Service.objects.get(name="心理疏导")

    response = api_client.get(f"{URL}{service.pk}/")

    assert response.status_code == 200
    assert response.json()["name"] == "心理疏导"
    assert response.json()["platform"] == "education"
    assert api_client.get(f"{URL}999999/").status_code == 404


@pytest.mark.django_db
def test_the_menu_is_read_only(api_client, client_for, people):
    client = client_for(people.city_cadre)

    response = client.post(URL, {"name": "新服务", "platform": "theory"}, format="json")

    assert response.status_code == 405
    assert not Service.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "queries"),
    [
        ({}, 2),
        # the filter's village is looked up first
        ({"center": "village"}, 3),
        ({"platform": "culture"}, 2),
    ],
)
def test_the_list_costs_the_same_queries_for_10_and_40_services(api_client, menu, params, queries):
    """Pinned, whatever the number of rows (a +1 query fails)."""
    if params.get("center") == "village":
        params = {"center": menu.village_a.pk}
    response = exact_get(api_client, URL, queries, params)
    before = response.json()["count"]

    for n in range(30):
        offer(menu.county_a, f"珠晖区服务{n}")
    response = exact_get(api_client, URL, queries, params)

    assert response.json()["count"] == before + 30


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"platform": ""},
        {"center": ""},
        {"center": "\x00"},
        {"platform": "\x00"},
        {"center": "99999999999999999999999"},
        {"center": "-1"},
        {"page": "abc"},
        {"page_size": "abc"},
    ],
)
def test_odd_query_strings_never_give_a_500(api_client, menu, params):
    response = api_client.get(URL, params)

    assert response.status_code in {200, 400, 404}
