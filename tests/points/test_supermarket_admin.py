"""The love supermarket in the cadre admin: items kept by the cadres of their subtree (as the
benefits are), redemptions listed by subtree, read-only, and closed only by the cashier's
actions, which go through points.services.supermarket."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from points.models import Redemption, SupermarketItem
from points.services.supermarket import redemption_request
from tests.factories.supermarket import give_points, stock_item
from tests.factories.volunteers import make_volunteer
from tests.support.queries import exact_get
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

R = Redemption.Status


def url(model: str, action: str, obj: Any = None) -> str:
    args = [] if obj is None else [obj.pk]
    return reverse(f"admin:points_{model}_{action}", args=args)


@pytest.fixture
def shop(tree, people) -> SimpleNamespace:
    """An item at each supermarket of county A's branch and one in county B, and one
    redemption of each by a volunteer of that county."""
    items = SimpleNamespace(
        county=stock_item(tree.county_a, "大米"),
        township=stock_item(tree.township_a, "食用油"),
        village=stock_item(tree.village_a, "洗衣液"),
        village_a2=stock_item(tree.village_a2, "毛巾"),
        village_a3=stock_item(tree.village_a3, "牙膏"),
        county_b=stock_item(tree.county_b, "雨伞"),
    )
    ours = Volunteer.objects.get(user=people.volunteer)
    theirs = make_volunteer(4, tree.village_b, name="天马山志愿", region="430406")
    give_points(ours, 100)
    give_points(theirs, 100)
    redemptions = SimpleNamespace(
        **{
            name: redemption_request(
                volunteer=theirs if name == "county_b" else ours,
                item_id=item.pk,
                quantity=1,
            )
            for name, item in vars(items).items()
        }
    )
    return SimpleNamespace(items=items, redemptions=redemptions)


SCOPES = [
    ("city_cadre", {"county", "township", "village", "village_a2", "village_a3", "county_b"}),
    ("county_cadre", {"county", "township", "village", "village_a2", "village_a3"}),
    ("township_cadre", {"township", "village", "village_a2"}),
    ("village_cadre", {"village"}),
    ("outsider_cadre", {"county_b"}),
]


@pytest.mark.parametrize(("persona", "seen"), SCOPES)
def test_each_cadre_lists_exactly_their_subtrees_items(client, people, shop, persona, seen):
    client.force_login(getattr(people, persona))

    response = client.get(url("supermarketitem", "changelist"))

    assert response.status_code == 200
    listed = {row.pk for row in response.context["cl"].result_list}
    assert listed == {getattr(shop.items, name).pk for name in seen}


@pytest.mark.parametrize(("persona", "seen"), SCOPES)
def test_each_cadre_lists_exactly_their_subtrees_redemptions(client, people, shop, persona, seen):
    client.force_login(getattr(people, persona))

    response = client.get(url("redemption", "changelist"))

    assert response.status_code == 200
    listed = {row.pk for row in response.context["cl"].result_list}
    assert listed == {getattr(shop.redemptions, name).pk for name in seen}


@pytest.mark.parametrize("persona", ["resident", "volunteer"])
def test_residents_and_volunteers_do_not_get_in(client, people, shop, persona):
    client.force_login(getattr(people, persona))

    assert client.get(url("supermarketitem", "changelist")).status_code == 302
    assert client.get(url("redemption", "changelist")).status_code == 302


# --- the items --------------------------------------------------------------------------------


def item_form(where, **overrides: Any) -> dict[str, Any]:
    data = {
        "center": where.pk,
        "name": "香皂",
        "description": "200 克装",
        "price": "15",
        "stock": "20",
        "is_active": "on",
        "_save": "保存",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("persona", "center"),
    [
        ("city_cadre", "county_b"),
        ("county_cadre", "county_a"),
        ("township_cadre", "township_a"),
        ("village_cadre", "village_a"),
        ("outsider_cadre", "county_b"),
    ],
)
def test_each_cadre_adds_an_item_in_their_subtree(client, people, tree, persona, center):
    client.force_login(getattr(people, persona))
    where = getattr(tree, center)

    response = client.post(url("supermarketitem", "add"), item_form(where))

    assert response.status_code == 302, response.context["adminform"].form.errors
    item = SupermarketItem.objects.get()
    assert (item.center, item.name, item.price, item.stock) == (where, "香皂", 15, 20)


@pytest.mark.parametrize(
    ("persona", "center", "message"),
    [
        # not among the form's choices at all
        ("county_cadre", "county_b", "有效的选项"),
        ("township_cadre", "county_a", "有效的选项"),
        ("village_cadre", "village_a2", "有效的选项"),
        ("outsider_cadre", "village_a", "有效的选项"),
        ("city_cadre", "city", "爱心超市只能设在"),
    ],
)
def test_an_item_outside_the_subtree_or_at_the_city_is_refused(
    client, people, tree, persona, center, message
):
    client.force_login(getattr(people, persona))

    response = client.post(url("supermarketitem", "add"), item_form(getattr(tree, center)))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get("center", []))
    assert not SupermarketItem.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "0"}, "price"),
        ({"price": "-5"}, "price"),
        ({"price": "十"}, "price"),
        ({"stock": "-1"}, "stock"),
        ({"name": "  "}, "name"),
        ({"center": "x"}, "center"),
    ],
)
def test_bad_item_input_is_a_form_error(client, people, tree, overrides, field):
    client.force_login(people.county_cadre)

    response = client.post(url("supermarketitem", "add"), item_form(tree.county_a, **overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not SupermarketItem.objects.exists()


def test_the_stock_is_restocked_by_a_change_never_overwritten(client, people, shop):
    # given the washing liquid: 5 stocked, 1 redeemed, so 4 on the shelf
    item = shop.items.village
    client.force_login(people.village_cadre)
    page = client.get(url("supermarketitem", "change", item))
    assert "stock" not in page.context["adminform"].form.fields

    # when the cadre adds 6 units, posting a stale stock of 99 besides
    response = client.post(
        url("supermarketitem", "change", item),
        item_form(item.center, name="洗衣液（新）", stock="99", stock_change="6"),
    )

    # then the stock moved by 6 from what it was
    assert response.status_code == 302
    kept = SupermarketItem.objects.get(pk=item.pk)
    assert (kept.name, kept.stock) == ("洗衣液（新）", 10)


def test_taking_more_off_the_shelf_than_is_there_is_refused(client, people, shop):
    item = shop.items.village
    client.force_login(people.village_cadre)

    response = client.post(
        url("supermarketitem", "change", item), item_form(item.center, stock_change="-5")
    )

    assert response.status_code == 200
    assert "库存不能为负数" in " ".join(response.context["adminform"].form.errors["stock_change"])
    assert SupermarketItem.objects.get(pk=item.pk).stock == 4


@pytest.mark.parametrize("view", ["change", "history"])
def test_the_outsider_gets_404_on_another_countys_item(client, people, shop, view):
    client.force_login(people.outsider_cadre)

    assert client.get(url("supermarketitem", view, shop.items.county)).status_code == 404


def test_an_item_is_never_deleted_only_taken_off_the_shelf(client, people, shop):
    client.force_login(people.county_cadre)

    response = client.post(url("supermarketitem", "delete", shop.items.county), {"post": "yes"})

    assert response.status_code == 403
    assert SupermarketItem.objects.filter(pk=shop.items.county.pk).exists()


# --- the redemptions --------------------------------------------------------------------------


def test_a_redemption_cannot_be_written_by_hand(client, people, shop):
    client.force_login(people.city_cadre)
    redemption = shop.redemptions.village

    page = client.get(url("redemption", "change", redemption))
    changed = client.post(
        url("redemption", "change", redemption), {"status": "collected", "_save": "保存"}
    )
    added = client.get(url("redemption", "add"))

    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields) == []
    assert (changed.status_code, added.status_code) == (403, 403)
    assert Redemption.objects.get(pk=redemption.pk).status == R.REQUESTED


def act(client, action: str, rows: list[Redemption], **extra: Any):
    data = {"action": action, ACTION_CHECKBOX_NAME: [r.pk for r in rows], "index": "0", **extra}
    return client.post(url("redemption", "changelist"), data, follow=True)


def test_the_village_cashier_confirms_the_hand_over(client, people, shop):
    client.force_login(people.village_cadre)

    response = act(client, "collect_selected", [shop.redemptions.village])

    assert "已确认 1 笔兑换领取。" in response.content.decode()
    collected = Redemption.objects.get(pk=shop.redemptions.village.pk)
    assert (collected.status, collected.closed_by) == (R.COLLECTED, people.village_cadre)


@pytest.mark.parametrize(
    ("persona", "where"),
    [("outsider_cadre", "village"), ("village_cadre", "village_a2"), ("village_cadre", "county")],
)
def test_a_cadre_of_another_center_cannot_confirm(client, people, shop, persona, where):
    client.force_login(getattr(people, persona))
    redemption = getattr(shop.redemptions, where)

    response = client.post(
        url("redemption", "changelist"),
        {"action": "collect_selected", ACTION_CHECKBOX_NAME: [redemption.pk], "index": "0"},
    )

    assert response.status_code == 404
    assert Redemption.objects.get(pk=redemption.pk).status == R.REQUESTED


def test_a_second_confirmation_is_told_and_changes_nothing(client, people, shop):
    client.force_login(people.county_cadre)
    act(client, "collect_selected", [shop.redemptions.village])

    response = act(client, "collect_selected", [shop.redemptions.village])

    assert "该兑换的状态为“已领取”，不能再办理。" in response.content.decode()
    assert Redemption.objects.get(pk=shop.redemptions.village.pk).closed_by == people.county_cadre


def test_a_refund_asks_for_the_reason_then_gives_back(client, people, shop):
    client.force_login(people.township_cadre)
    redemption = shop.redemptions.township
    volunteer = Volunteer.objects.get(user=people.volunteer)
    before = volunteer.points

    asked = act(client, "refund_selected", [redemption])
    assert "将退还以下兑换的积分" in asked.content.decode()
    refused = act(client, "refund_selected", [redemption], confirm="1", reason="")
    assert "请填写驳回原因。" in refused.content.decode()
    assert Redemption.objects.get(pk=redemption.pk).status == R.REQUESTED

    done = act(client, "refund_selected", [redemption], confirm="1", reason="商品过期")

    assert "已退还 1 笔兑换。" in done.content.decode()
    kept = Redemption.objects.get(pk=redemption.pk)
    assert (kept.reason, kept.closed_by) == ("商品过期", people.township_cadre)
    assert Volunteer.objects.get(pk=volunteer.pk).points == before + redemption.points
    assert SupermarketItem.objects.get(pk=redemption.item_id).stock == 5


# The county cadre's lists, whatever the number of rows; each with the cadre's roles,
# turned into filters on the copied columns (practice.scoping).
ITEM_CHANGELIST_QUERIES = 9
REDEMPTION_CHANGELIST_QUERIES = 9


def test_the_changelists_queries_do_not_grow_with_rows(client, people, tree, shop):
    client.force_login(people.county_cadre)
    volunteer = Volunteer.objects.get(user=people.volunteer)
    give_points(volunteer, 100, source_id=2)
    exact_get(client, url("supermarketitem", "changelist"), ITEM_CHANGELIST_QUERIES)
    exact_get(client, url("redemption", "changelist"), REDEMPTION_CHANGELIST_QUERIES)
    for number in range(6):
        item = stock_item(tree.village_a3, f"牙刷{number}")
        redemption_request(volunteer=volunteer, item_id=item.pk, quantity=1)

    items = exact_get(client, url("supermarketitem", "changelist"), ITEM_CHANGELIST_QUERIES)
    redemptions = exact_get(client, url("redemption", "changelist"), REDEMPTION_CHANGELIST_QUERIES)

    assert len(items.context["cl"].result_list) == 11
    assert len(redemptions.context["cl"].result_list) == 11


def test_the_cashier_finds_a_redemption_by_the_volunteers_name(client, people, shop):
    client.force_login(people.township_cadre)

    response = client.get(url("redemption", "changelist"), {"q": "李志愿"})

    listed = {row.pk for row in response.context["cl"].result_list}
    assert listed == {getattr(shop.redemptions, name).pk for name in SCOPES[2][1]}
