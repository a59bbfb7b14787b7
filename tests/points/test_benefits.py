"""The benefits catalogue (礼遇, issue #11 item 6): kept by cadres in the admin for the centers
of their subtree (each tier, and an out-of-scope attempt refused), and shown to a volunteer
by the star level they hold, with the next level's greyed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from core.errors import DomainError, NotInScope
from points.errors import PointErrorCode
from points.models import Benefit
from points.selectors.stars import benefit_catalogue
from points.services.benefits import benefit_delete, benefit_save
from practice.models import Center
from tests.factories.points import with_stars
from tests.support.queries import exact_get
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

BENEFITS_URL = reverse("points:benefits")


def url(action: str, obj: Any = None) -> str:
    args = [] if obj is None else [obj.pk]
    return reverse(f"admin:points_benefit_{action}", args=args)


def offer(center: Center, title: str, min_stars: int = 1, **fields: Any) -> Benefit:
    fields.setdefault("category", Benefit.Category.SCENIC)
    fields.setdefault("provider", "南岳衡山景区")
    return benefit_save(
        actor=None, benefit=Benefit(center=center, title=title, min_stars=min_stars, **fields)
    )


@pytest.fixture
def catalogue(tree) -> SimpleNamespace:
    """One benefit at each center of county A's branch, one beside it and one in county B."""
    return SimpleNamespace(
        city=offer(tree.city, "市内景区免门票", 1),
        county=offer(tree.county_a, "珠晖区公交免费乘车", 2, category=Benefit.Category.TRANSPORT),
        township=offer(tree.township_a, "社区医院免费体检", 3, category=Benefit.Category.HEALTH),
        village=offer(tree.village_a, "子女暑期托管优先", 1, extends_to_children=True),
        village_a2=offer(tree.village_a2, "新园社区理发优惠", 1),
        county_b=offer(tree.county_b, "雁峰区景区半价", 1),
    )


def form(where: Center, **overrides: Any) -> dict[str, Any]:
    data = {
        "center": where.pk,
        "title": "衡阳博物馆讲解优先",
        "category": Benefit.Category.PRIORITY,
        "provider": "衡阳市博物馆",
        "description": "凭星级志愿者卡优先预约讲解。",
        "min_stars": 2,
        "is_active": "on",
        "_save": "保存",
    }
    data.update(overrides)
    return data


def listed(response) -> set[str]:
    return {benefit.title for benefit in response.context["cl"].result_list}


# --- the admin, tier by tier --------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "titles"),
    [
        (
            "city_cadre",
            {
                "市内景区免门票",
                "珠晖区公交免费乘车",
                "社区医院免费体检",
                "子女暑期托管优先",
                "新园社区理发优惠",
                "雁峰区景区半价",
            },
        ),
        (
            "county_cadre",
            {"珠晖区公交免费乘车", "社区医院免费体检", "子女暑期托管优先", "新园社区理发优惠"},
        ),
        ("township_cadre", {"社区医院免费体检", "子女暑期托管优先", "新园社区理发优惠"}),
        ("village_cadre", {"子女暑期托管优先"}),
        ("outsider_cadre", {"雁峰区景区半价"}),
    ],
)
def test_each_cadre_lists_the_benefits_of_their_subtree(client, people, catalogue, persona, titles):
    client.force_login(getattr(people, persona))

    response = client.get(url("changelist"))

    assert response.status_code == 200
    assert listed(response) == titles


@pytest.mark.parametrize(
    ("persona", "center"),
    [
        ("city_cadre", "city"),
        ("county_cadre", "county_a"),
        ("township_cadre", "township_a"),
        ("village_cadre", "village_a"),
        ("outsider_cadre", "county_b"),
    ],
)
def test_each_cadre_adds_a_benefit_at_their_own_center(client, people, tree, persona, center):
    # given
    client.force_login(getattr(people, persona))
    where = getattr(tree, center)

    # when
    response = client.post(url("add"), form(where))

    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    benefit = Benefit.objects.get()
    assert (benefit.center, benefit.title, benefit.min_stars, benefit.provider) == (
        where,
        "衡阳博物馆讲解优先",
        2,
        "衡阳市博物馆",
    )


@pytest.mark.parametrize(
    ("persona", "center"),
    [
        ("county_cadre", "city"),
        ("county_cadre", "county_b"),
        ("township_cadre", "county_a"),
        ("township_cadre", "village_b"),
        ("village_cadre", "township_a"),
        ("village_cadre", "village_a2"),
        ("outsider_cadre", "village_a"),
    ],
)
def test_a_cadre_cannot_add_a_benefit_outside_their_subtree(client, people, tree, persona, center):
    client.force_login(getattr(people, persona))

    response = client.post(url("add"), form(getattr(tree, center)))

    assert response.status_code == 200
    assert "center" in response.context["adminform"].form.errors
    assert not Benefit.objects.exists()


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_the_outsider_gets_404_on_another_countys_benefit(client, people, catalogue, view):
    client.force_login(people.outsider_cadre)

    assert client.get(url(view, catalogue.county)).status_code == 404
    assert client.post(url(view, catalogue.county), {"post": "yes"}).status_code == 404
    assert Benefit.objects.filter(pk=catalogue.county.pk).exists()


def test_a_township_cadre_cannot_edit_the_countys_benefit(client, people, catalogue):
    client.force_login(people.township_cadre)

    response = client.post(url("change", catalogue.county), form(catalogue.county.center))

    assert response.status_code == 404
    assert Benefit.objects.get(pk=catalogue.county.pk).title == "珠晖区公交免费乘车"


def test_a_cadre_edits_their_benefit_and_cannot_move_it_out(client, people, tree, catalogue):
    client.force_login(people.township_cadre)

    moved = client.post(url("change", catalogue.township), form(tree.county_a, title="改名"))
    edited = client.post(
        url("change", catalogue.township), form(tree.village_a, title="社区医院免费体检（改）")
    )

    assert moved.status_code == 200
    assert "center" in moved.context["adminform"].form.errors
    assert edited.status_code == 302
    kept = Benefit.objects.get(pk=catalogue.township.pk)
    assert (kept.title, kept.center) == ("社区医院免费体检（改）", tree.village_a)


def test_a_cadre_deletes_a_benefit_of_their_subtree(client, people, catalogue):
    client.force_login(people.county_cadre)

    response = client.post(url("delete", catalogue.village), {"post": "yes"})

    assert response.status_code == 302
    assert not Benefit.objects.filter(pk=catalogue.village.pk).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"min_stars": 0}, "min_stars", "有效"),
        ({"min_stars": 6}, "min_stars", "有效"),
        ({"min_stars": "三"}, "min_stars", "有效"),
        ({"title": "   "}, "title", "必填"),
        ({"provider": ""}, "provider", "必填"),
        ({"category": "spa"}, "category", "有效"),
        ({"center": "x"}, "center", "必填"),
        ({"center": "99999"}, "center", "有效"),
    ],
)
def test_bad_input_is_refused_in_chinese(client, people, tree, overrides, field, message):
    client.force_login(people.county_cadre)

    response = client.post(url("add"), form(tree.county_a, **overrides))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not Benefit.objects.exists()


def test_a_title_twice_at_one_center_is_refused(client, people, tree, catalogue):
    client.force_login(people.county_cadre)

    response = client.post(url("add"), form(tree.county_a, title="珠晖区公交免费乘车"))

    assert response.status_code == 200
    assert "该阵地已有同名礼遇。" in response.content.decode()
    assert Benefit.objects.filter(title="珠晖区公交免费乘车").count() == 1


@pytest.mark.parametrize("persona", ["resident", "volunteer"])
def test_residents_and_volunteers_do_not_get_into_the_catalogue_admin(
    client, people, catalogue, persona
):
    client.force_login(getattr(people, persona))

    assert client.get(url("changelist")).status_code == 302
    assert client.post(url("add"), form(catalogue.city.center)).status_code == 302
    assert Benefit.objects.count() == 6


def test_anonymous_is_sent_to_sign_in(client, catalogue):
    response = client.get(url("changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# The county cadre's changelist, whatever the number of rows.
BENEFIT_CHANGELIST_QUERIES = 8  # the level filter's choices are fixed: no query


def test_the_changelist_queries_do_not_grow_with_rows(client, people, tree, catalogue):
    client.force_login(people.county_cadre)
    small = exact_get(client, url("changelist"), BENEFIT_CHANGELIST_QUERIES)
    for number in range(10):
        offer(tree.village_a3, f"湖北路社区礼遇{number}")

    large = exact_get(client, url("changelist"), BENEFIT_CHANGELIST_QUERIES)

    assert (len(small.context["cl"].result_list), len(large.context["cl"].result_list)) == (4, 14)


# --- the services ---------------------------------------------------------------------------


def test_the_service_refuses_a_center_outside_the_actors_scope(people, tree, catalogue):
    with pytest.raises(NotInScope) as refused:
        benefit_save(
            actor=people.township_cadre,
            benefit=Benefit(
                center=tree.village_b, title="越界", category="scenic", provider="x", min_stars=1
            ),
        )
    assert refused.value.code == PointErrorCode.BENEFIT_CENTER_NOT_IN_SCOPE
    with pytest.raises(NotInScope):
        benefit_delete(actor=people.township_cadre, benefit=catalogue.county)
    assert Benefit.objects.count() == 6


def test_the_service_refuses_a_level_out_of_range(tree):
    with pytest.raises(DomainError) as refused:
        offer(tree.city, "七星礼遇", 7)

    assert refused.value.field == "min_stars"
    assert not Benefit.objects.filter(title="七星礼遇").exists()


# --- the volunteer's page -------------------------------------------------------------------


def test_a_two_star_volunteer_sees_what_their_level_opens_and_the_next_greyed(
    client, people, catalogue
):
    # given 李志愿 of 王江社区 with two stars
    volunteer = with_stars(Volunteer.objects.get(user=people.volunteer), 2)
    client.force_login(people.volunteer)

    # when: session, account, volunteer, home center, benefits, the top bar's badges
    response = exact_get(client, BENEFITS_URL, 7)

    # then
    shown = response.context["catalogue"]
    assert [benefit.title for benefit in shown.opened] == [
        "市内景区免门票",
        "子女暑期托管优先",
        "珠晖区公交免费乘车",
    ]
    assert shown.next_level == 3
    assert [benefit.title for benefit in shown.upcoming] == ["社区医院免费体检"]
    page = response.content.decode()
    assert "您是 2 星志愿者" in page
    assert "达到 3 星可享受" in page
    assert "惠及子女" in page
    assert "新园社区理发优惠" not in page
    assert "雁峰区景区半价" not in page
    assert benefit_catalogue(volunteer).level == 2


def test_a_volunteer_without_a_star_sees_the_first_levels_greyed(client, people, catalogue):
    client.force_login(people.volunteer)

    response = client.get(BENEFITS_URL)

    shown = response.context["catalogue"]
    assert shown.opened == []
    assert shown.next_level == 1
    assert [benefit.title for benefit in shown.upcoming] == ["市内景区免门票", "子女暑期托管优先"]
    assert "您暂无星级" in response.content.decode()


def test_a_five_star_volunteer_sees_everything_and_no_next_level(client, people, catalogue):
    with_stars(Volunteer.objects.get(user=people.volunteer), 5)
    client.force_login(people.volunteer)

    response = client.get(BENEFITS_URL)

    shown = response.context["catalogue"]
    assert len(shown.opened) == 4
    assert shown.next_level is None
    assert "benefits-next" not in response.content.decode()


def test_inactive_benefits_and_centers_are_not_shown(client, people, tree, catalogue):
    with_stars(Volunteer.objects.get(user=people.volunteer), 5)
    catalogue.city.is_active = False
    benefit_save(actor=None, benefit=catalogue.city)
    Center.objects.filter(pk=tree.township_a.pk).update(is_active=False)
    client.force_login(people.volunteer)

    shown = client.get(BENEFITS_URL).context["catalogue"]

    assert [benefit.title for benefit in shown.opened] == ["子女暑期托管优先", "珠晖区公交免费乘车"]


@pytest.mark.parametrize("persona", ["resident", "county_cadre"])
def test_someone_who_is_not_a_volunteer_is_sent_to_their_page(client, people, persona):
    client.force_login(getattr(people, persona))

    response = client.get(BENEFITS_URL)

    assert response.status_code == 302
    assert response["Location"] == reverse("volunteers:home")


def test_anonymous_is_asked_to_sign_in_for_the_benefits(client):
    response = client.get(BENEFITS_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
