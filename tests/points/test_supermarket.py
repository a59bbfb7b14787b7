"""The love supermarket (爱心超市, issue #11 item 7): a volunteer redeems at the supermarkets
of their own county, the points and the stock are held at once, the cashier hands over, and
what is not collected in time (or is refunded by a cadre) comes back once."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import ConflictError, DomainError, NotInScope
from points.errors import PointErrorCode
from points.models import Kind, PointsEntry, Redemption, Source, SupermarketItem
from points.selectors.ledger import balances_recomputed
from points.services.supermarket import (
    item_save,
    redemption_collect,
    redemption_refund,
    redemption_request,
    redemptions_release,
)
from points.tasks import supermarket_release_task
from practice.models import Center
from practice.services import center_save
from tests.factories.supermarket import give_points, stock_item
from tests.factories.volunteers import make_volunteer
from tests.support.queries import exact_get
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

SHOP_URL = reverse("points:supermarket")
MINE_URL = reverse("points:redemptions")
R = Redemption.Status


@pytest.fixture
def shop(tree) -> SimpleNamespace:
    """Items at every tier of county A (its county center, a township, two villages of
    different townships) and one in county B."""
    return SimpleNamespace(
        county=stock_item(tree.county_a, "大米（5 公斤）", price=50, stock=3),
        township=stock_item(tree.township_a, "食用油", price=30, stock=2),
        village=stock_item(tree.village_a, "洗衣液", price=10, stock=5),
        village_a2=stock_item(tree.village_a2, "毛巾", price=5, stock=1),
        village_a3=stock_item(tree.village_a3, "牙膏", price=8, stock=4),
        county_b=stock_item(tree.county_b, "雁峰区雨伞", price=5, stock=9),
        inactive=stock_item(tree.village_a, "旧款台灯", price=5, stock=9, is_active=False),
    )


@pytest.fixture
def rich(people) -> Volunteer:
    """李志愿 of 王江社区 (county A) with 100 points."""
    volunteer = Volunteer.objects.get(user=people.volunteer)
    give_points(volunteer, 100)
    return volunteer


def points_of(volunteer: Volunteer) -> int:
    return Volunteer.objects.values_list("points", flat=True).get(pk=volunteer.pk)


def stock_of(item: SupermarketItem) -> int:
    return SupermarketItem.objects.values_list("stock", flat=True).get(pk=item.pk)


def entries(redemption: Redemption) -> list[tuple[str, int]]:
    return list(
        PointsEntry.objects.filter(source=Source.REDEMPTION, source_id=redemption.pk)
        .order_by("pk")
        .values_list("kind", "points")
    )


def consistent(volunteer: Volunteer) -> bool:
    return balances_recomputed(volunteer_id=volunteer.pk).points == points_of(volunteer)


# --- a redemption -----------------------------------------------------------------------------


def test_a_redemption_holds_the_points_and_the_stock_at_once(rich, shop):
    # when 李志愿 redeems two bottles of washing liquid at 10 points each
    redemption = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=2)

    # then the points are spent by one ledger entry named by the redemption, the stock held
    assert (redemption.status, redemption.points, redemption.center_id) == (
        R.REQUESTED,
        20,
        shop.village.center_id,
    )
    assert entries(redemption) == [(Kind.REDEEMED, -20)]
    assert (points_of(rich), stock_of(shop.village)) == (80, 3)
    assert consistent(rich)


@pytest.mark.parametrize("where", ["county", "township", "village", "village_a3"])
def test_every_supermarket_of_the_own_county_is_open(rich, shop, where):
    item = getattr(shop, where)

    redemption = redemption_request(volunteer=rich, item_id=item.pk, quantity=1)

    assert redemption.item_id == item.pk
    assert stock_of(item) == getattr(shop, where).stock - 1


@pytest.mark.parametrize(
    ("where", "quantity", "error", "code"),
    [
        ("village", 0, DomainError, PointErrorCode.REDEMPTION_QUANTITY),
        ("village", -1, DomainError, PointErrorCode.REDEMPTION_QUANTITY),
        ("village", 11, DomainError, PointErrorCode.REDEMPTION_QUANTITY),
        ("village", "2", DomainError, PointErrorCode.REDEMPTION_QUANTITY),
        ("village", True, DomainError, PointErrorCode.REDEMPTION_QUANTITY),
        ("county_b", 1, NotInScope, PointErrorCode.REDEMPTION_ITEM_UNKNOWN),
        ("inactive", 1, DomainError, PointErrorCode.REDEMPTION_ITEM_INACTIVE),
        # 3 × 50 = 150 points, the volunteer holds 100
        ("county", 3, DomainError, PointErrorCode.POINTS_INSUFFICIENT),
        # two towels wanted, one left
        ("village_a2", 2, ConflictError, PointErrorCode.REDEMPTION_OUT_OF_STOCK),
    ],
)
def test_a_refused_redemption_changes_nothing(rich, shop, where, quantity, error, code):
    item = getattr(shop, where)

    with pytest.raises(error) as refused:
        redemption_request(volunteer=rich, item_id=item.pk, quantity=quantity)

    assert refused.value.code == code
    assert not Redemption.objects.exists()
    assert not PointsEntry.objects.filter(source=Source.REDEMPTION).exists()
    assert (points_of(rich), stock_of(item)) == (100, item.stock)


def test_an_item_of_a_closed_center_cannot_be_redeemed(rich, shop, tree):
    Center.objects.filter(pk=tree.township_a.pk).update(is_active=False)

    with pytest.raises(DomainError) as refused:
        redemption_request(volunteer=rich, item_id=shop.township.pk, quantity=1)

    assert refused.value.code == PointErrorCode.REDEMPTION_ITEM_INACTIVE
    assert stock_of(shop.township) == 2


def test_an_unknown_item_is_refused(rich, shop):
    with pytest.raises(NotInScope):
        redemption_request(volunteer=rich, item_id=999_999, quantity=1)


def test_a_volunteer_no_longer_active_cannot_redeem(rich, shop):
    Volunteer.objects.filter(pk=rich.pk).update(status=Volunteer.Status.SUSPENDED)
    rich.refresh_from_db()

    with pytest.raises(DomainError) as refused:
        redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=1)

    assert refused.value.code == PointErrorCode.REDEMPTION_NOT_VOLUNTEER
    assert points_of(rich) == 100


def test_the_last_points_and_the_last_unit_go_once(rich, shop):
    # given 100 points: two rice bags (100) take them all
    redemption_request(volunteer=rich, item_id=shop.county.pk, quantity=2)
    # then not even 5 points more, and the last towel goes once
    with pytest.raises(DomainError):
        redemption_request(volunteer=rich, item_id=shop.village_a2.pk, quantity=1)
    give_points(rich, 10, source_id=2)
    redemption_request(volunteer=rich, item_id=shop.village_a2.pk, quantity=1)
    with pytest.raises(ConflictError):
        redemption_request(volunteer=rich, item_id=shop.village_a2.pk, quantity=1)
    assert (points_of(rich), stock_of(shop.village_a2), stock_of(shop.county)) == (5, 0, 1)
    assert consistent(rich)


# --- the hand-over ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["village_cadre", "township_cadre", "county_cadre", "city_cadre"]
)
def test_the_cashier_of_the_center_or_above_confirms_the_hand_over(people, rich, shop, persona):
    redemption = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=1)

    collected = redemption_collect(actor=getattr(people, persona), redemption_id=redemption.pk)

    assert (collected.status, collected.closed_by) == (R.COLLECTED, getattr(people, persona))
    assert collected.closed_at is not None
    # the points and the stock stay spent
    assert (points_of(rich), stock_of(shop.village)) == (90, 4)


@pytest.mark.parametrize(
    ("persona", "where"),
    [
        ("outsider_cadre", "village"),
        # 王江社区's cadre is no cashier at 新园社区, nor at the township's own supermarket
        ("village_cadre", "village_a2"),
        ("village_cadre", "township"),
        ("township_cadre", "county"),
    ],
)
def test_a_cadre_of_another_center_is_refused_as_if_it_did_not_exist(
    people, rich, shop, persona, where
):
    redemption = redemption_request(volunteer=rich, item_id=getattr(shop, where).pk, quantity=1)
    actor = getattr(people, persona)

    with pytest.raises(NotInScope) as refused:
        redemption_collect(actor=actor, redemption_id=redemption.pk)
    with pytest.raises(NotInScope):
        redemption_refund(actor=actor, redemption_id=redemption.pk, reason="越权")

    assert refused.value.code == PointErrorCode.REDEMPTION_NOT_IN_SCOPE
    assert Redemption.objects.get(pk=redemption.pk).status == R.REQUESTED


def test_a_collected_redemption_is_neither_collected_again_nor_refunded(people, rich, shop):
    redemption = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=1)
    redemption_collect(actor=people.village_cadre, redemption_id=redemption.pk)

    with pytest.raises(ConflictError) as twice:
        redemption_collect(actor=people.village_cadre, redemption_id=redemption.pk)
    with pytest.raises(ConflictError):
        redemption_refund(actor=people.county_cadre, redemption_id=redemption.pk, reason="误操作")

    assert twice.value.code == PointErrorCode.REDEMPTION_CLOSED
    assert entries(redemption) == [(Kind.REDEEMED, -10)]
    assert points_of(rich) == 90


# --- a cadre's refund -------------------------------------------------------------------------


def test_a_cadre_refunds_with_a_reason_once(people, rich, shop):
    # given a redemption of three washing liquids (30 points)
    redemption = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=3)

    # when the township cadre refunds it
    refunded = redemption_refund(
        actor=people.township_cadre, redemption_id=redemption.pk, reason=" 商品破损，无法交付 "
    )

    # then the points and the stock are back, by a refund entry under the same source id
    assert (refunded.status, refunded.reason) == (R.REFUNDED, "商品破损，无法交付")
    assert entries(redemption) == [(Kind.REDEEMED, -30), (Kind.REFUNDED, 30)]
    assert (points_of(rich), stock_of(shop.village)) == (100, 5)
    assert consistent(rich)
    with pytest.raises(ConflictError):
        redemption_refund(actor=people.township_cadre, redemption_id=redemption.pk, reason="再退")
    assert points_of(rich) == 100


@pytest.mark.parametrize("reason", ["", "   ", "长" * 201])
def test_a_refund_needs_a_reason(people, rich, shop, reason):
    redemption = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=1)

    with pytest.raises(DomainError) as refused:
        redemption_refund(actor=people.village_cadre, redemption_id=redemption.pk, reason=reason)

    assert refused.value.code == PointErrorCode.REASON_REQUIRED
    assert Redemption.objects.get(pk=redemption.pk).status == R.REQUESTED
    assert points_of(rich) == 90


# --- the release of what was not collected ----------------------------------------------------


def aged(redemption: Redemption, days: float) -> None:
    Redemption.objects.filter(pk=redemption.pk).update(
        requested_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_the_task_releases_what_was_not_collected_in_time_once(people, rich, shop):
    # given one redemption past the 7 days, one within them, one collected long ago
    late = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=2)
    recent = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=1)
    collected = redemption_request(volunteer=rich, item_id=shop.township.pk, quantity=1)
    redemption_collect(actor=people.township_cadre, redemption_id=collected.pk)
    aged(late, 7.01)
    aged(recent, 6.99)
    aged(collected, 30)

    # when beat runs the task, twice
    first = supermarket_release_task()
    second = supermarket_release_task()

    # then only the late one is released, with one refund entry, its units back on the shelf
    assert (first, second) == (1, 0)
    statuses = dict(Redemption.objects.values_list("pk", "status"))
    assert statuses == {late.pk: R.RELEASED, recent.pk: R.REQUESTED, collected.pk: R.COLLECTED}
    assert entries(late) == [(Kind.REDEEMED, -20), (Kind.REFUNDED, 20)]
    assert (points_of(rich), stock_of(shop.village), stock_of(shop.township)) == (60, 4, 1)
    assert consistent(rich)
    assert Redemption.objects.get(pk=late.pk).closed_at is not None


def test_the_collect_window_is_a_setting(settings, rich, shop):
    settings.SUPERMARKET_COLLECT_DAYS = 2
    redemption = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=1)
    aged(redemption, 2.5)

    assert redemptions_release() == 1
    assert Redemption.objects.get(pk=redemption.pk).status == R.RELEASED


def test_a_released_redemption_is_not_collected_afterwards(people, rich, shop):
    redemption = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=1)
    aged(redemption, 8)
    redemptions_release()

    with pytest.raises(ConflictError):
        redemption_collect(actor=people.village_cadre, redemption_id=redemption.pk)
    assert points_of(rich) == 100


def test_the_release_goes_in_batches(tree, shop):
    volunteers = [make_volunteer(number, tree.village_a) for number in range(1, 6)]
    for volunteer in volunteers:
        give_points(volunteer, 10)
        aged(redemption_request(volunteer=volunteer, item_id=shop.village.pk, quantity=1), 9)

    assert redemptions_release(batch=2) == 5
    assert set(Redemption.objects.values_list("status", flat=True)) == {R.RELEASED}
    assert stock_of(shop.village) == 5
    assert all(points_of(volunteer) == 10 for volunteer in volunteers)


# --- the items' own rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"price": 0}, "price"),
        ({"stock": -1}, "stock"),
        ({"name": "  "}, "name"),
    ],
)
def test_an_item_needs_a_positive_price_and_a_stock(tree, fields, field):
    values = {"center": tree.village_a, "name": "肥皂", "price": 3, "stock": 1, **fields}

    with pytest.raises(DomainError) as refused:
        item_save(actor=None, item=SupermarketItem(**values))

    assert refused.value.field == field
    assert not SupermarketItem.objects.exists()


@pytest.mark.parametrize(
    ("persona", "center"),
    [
        ("township_cadre", "county_a"),
        ("village_cadre", "village_a2"),
        ("outsider_cadre", "village_a"),
    ],
)
def test_the_service_refuses_an_item_outside_the_actors_subtree(people, tree, persona, center):
    item = SupermarketItem(center=getattr(tree, center), name="越界", price=1, stock=1)

    with pytest.raises(NotInScope) as refused:
        item_save(actor=getattr(people, persona), item=item)

    assert refused.value.code == PointErrorCode.SUPERMARKET_CENTER_NOT_IN_SCOPE
    assert not SupermarketItem.objects.exists()


def test_a_cadre_cannot_move_an_item_out_of_their_subtree(people, tree, shop):
    item = SupermarketItem.objects.get(pk=shop.township.pk)
    item.center = tree.county_a

    with pytest.raises(NotInScope):
        item_save(actor=people.township_cadre, item=item)

    assert SupermarketItem.objects.get(pk=shop.township.pk).center == tree.township_a


def path(item: SupermarketItem) -> tuple[int | None, int | None]:
    return SupermarketItem.objects.values_list("township_id", "county_id").get(pk=item.pk)


def test_an_item_copies_the_path_above_its_center_when_made_and_when_moved(people, tree):
    # given an item of a village, one of a township and one of a county
    village = stock_item(tree.village_a, "洗衣液")
    township = stock_item(tree.township_a, "食用油")
    county = stock_item(tree.county_a, "大米")
    # then each copies its township (itself at a township, none at a county) and county
    assert path(village) == (tree.township_a.pk, tree.county_a.pk)
    assert path(township) == (tree.township_a.pk, tree.county_a.pk)
    assert path(county) == (None, tree.county_a.pk)
    # and a cadre's move of the village's item to another township's village copies anew
    village.center = tree.village_a3
    item_save(actor=people.county_cadre, item=village)
    assert path(village) == (tree.township_a2.pk, tree.county_a.pk)


def test_the_city_runs_no_supermarket_of_its_own(tree):
    with pytest.raises(DomainError) as refused:
        stock_item(tree.city, "全市通用券")

    assert refused.value.code == PointErrorCode.SUPERMARKET_CENTER_LEVEL


def test_a_restock_moves_the_stock_in_sql_and_never_below_zero(people, rich, shop):
    # given the cadre's copy of the item, read before 李志愿 redeemed two units
    copy = SupermarketItem.objects.get(pk=shop.village.pk)
    redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=2)

    # when the cadre saves the copy with 10 more units, then tries to take 20 off
    item_save(actor=people.village_cadre, item=copy, stock_change=10)
    with pytest.raises(DomainError) as refused:
        item_save(actor=people.village_cadre, item=copy, stock_change=-20)

    # then the redemption's two units stay taken: 5 - 2 + 10
    assert stock_of(shop.village) == 13
    assert refused.value.code == PointErrorCode.SUPERMARKET_STOCK_NEGATIVE


# --- the volunteer's pages --------------------------------------------------------------------


def post(client, item: SupermarketItem | int | str, quantity: object, token: str | None = None):
    if token is None:
        token = client.get(SHOP_URL).context["form_token"]
    item_id = item.pk if isinstance(item, SupermarketItem) else item
    return client.post(SHOP_URL, {"item": item_id, "quantity": quantity, "form_token": token})


# session, account, volunteer, the form's token, the shelf (with its centers), the top bar's
# badges
SHOP_QUERIES = 6
# session, account, volunteer, the redemptions (with items and centers), the top bar's badges
MINE_QUERIES = 5


def test_the_shelf_shows_the_own_countys_items_and_the_balance(client, people, rich, shop):
    client.force_login(people.volunteer)

    response = exact_get(client, SHOP_URL, SHOP_QUERIES)

    names = [item.name for item in response.context["items"]]
    assert sorted(names) == sorted(["大米（5 公斤）", "食用油", "洗衣液", "毛巾", "牙膏"])
    page = response.content.decode()
    assert "我的积分：<strong>100</strong> 分" in page
    assert "50 积分 / 件 · 库存 3 件" in page
    assert "雁峰区雨伞" not in page
    assert "旧款台灯" not in page


def test_the_shelf_costs_the_same_with_more_items(client, people, rich, shop, tree):
    client.force_login(people.volunteer)
    for number in range(8):
        stock_item(tree.village_a3, f"牙刷{number}")

    response = exact_get(client, SHOP_URL, SHOP_QUERIES)

    assert len(response.context["items"]) == 13


def test_a_redemption_on_the_phone_goes_to_the_volunteers_list(client, people, rich, shop):
    client.force_login(people.volunteer)

    response = post(client, shop.village, "2")

    assert response.status_code == 302
    assert response["Location"] == MINE_URL
    redemption = Redemption.objects.get()
    assert (redemption.volunteer, redemption.quantity, redemption.points) == (rich, 2, 20)
    page = client.get(MINE_URL).content.decode()
    assert "兑换成功" in page
    assert "洗衣液 × 2" in page
    assert "待领取" in page


def test_a_double_post_of_one_form_redeems_once(client, people, rich, shop):
    client.force_login(people.volunteer)
    token = client.get(SHOP_URL).context["form_token"]

    first = post(client, shop.village, "1", token)
    second = post(client, shop.village, "1", token)

    assert (first.status_code, second.status_code) == (302, 302)
    assert Redemption.objects.count() == 1
    assert points_of(rich) == 90
    assert "您刚刚已提交过这笔兑换。" in client.get(MINE_URL).content.decode()


@pytest.mark.parametrize(
    ("where", "quantity", "message"),
    [
        ("village", "0", "兑换数量至少为 1 件。"),
        ("village", "-3", "兑换数量至少为 1 件。"),
        ("village", "abc", "兑换数量应为整数。"),
        ("village", "1.5", "兑换数量应为整数。"),
        ("village", "", "请填写兑换数量。"),
        ("village", "11", "每次最多兑换 10 件。"),
        ("village", "99999999999999999999999", "每次最多兑换 10 件。"),
        ("county_b", "1", "商品不存在，或不在您所在县（市、区）的爱心超市。"),
        ("inactive", "1", "该商品已下架。"),
        ("county", "3", "积分余额不足。"),
        ("village_a2", "2", "库存不足，该商品仅剩 1 件。"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(
    client, people, rich, shop, where, quantity, message
):
    client.force_login(people.volunteer)
    item = getattr(shop, where)

    response = post(client, item, quantity)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Redemption.objects.exists()
    assert (points_of(rich), stock_of(item)) == (100, item.stock)


@pytest.mark.parametrize("item", ["", "abc", "-1", "999999", "99999999999999999999999"])
def test_a_forged_item_is_refused_in_chinese(client, people, rich, shop, item):
    client.force_login(people.volunteer)

    response = post(client, item, "1")

    assert response.status_code == 400
    assert "商品" in response.content.decode()
    assert not Redemption.objects.exists()


def test_a_post_without_its_token_is_refused_and_gets_a_fresh_one(client, people, rich, shop):
    client.force_login(people.volunteer)

    response = client.post(SHOP_URL, {"item": shop.village.pk, "quantity": "1"})

    assert response.status_code == 400
    assert "表单已失效或无效" in response.content.decode()
    assert response.context["form_token"]
    assert not Redemption.objects.exists()


def test_a_refused_form_keeps_its_token_for_the_corrected_one(client, people, rich, shop):
    client.force_login(people.volunteer)
    token = client.get(SHOP_URL).context["form_token"]

    refused = post(client, shop.county, "3", token)
    corrected = post(client, shop.county, "1", token)

    assert (refused.status_code, corrected.status_code) == (400, 302)
    assert points_of(rich) == 50


def test_the_list_shows_only_the_volunteers_own_redemptions(client, people, rich, shop, tree):
    # given 李志愿's redemption, refunded, and another volunteer's
    mine = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=1)
    redemption_refund(actor=people.village_cadre, redemption_id=mine.pk, reason="暂停营业")
    other = make_volunteer(7, tree.village_a, name="王另一")
    give_points(other, 10)
    redemption_request(volunteer=other, item_id=shop.village_a3.pk, quantity=1)
    client.force_login(people.volunteer)

    response = exact_get(client, MINE_URL, MINE_QUERIES)

    assert [row.pk for row in response.context["redemptions"]] == [mine.pk]
    page = response.content.decode()
    assert "已退还" in page
    assert "退还原因：暂停营业" in page
    assert "牙膏" not in page


def test_the_list_costs_the_same_with_more_redemptions(client, people, rich, shop):
    for _ in range(4):
        redemption_request(volunteer=rich, item_id=shop.village_a3.pk, quantity=1)
    client.force_login(people.volunteer)

    response = exact_get(client, MINE_URL, MINE_QUERIES)

    assert len(response.context["redemptions"]) == 4


@pytest.mark.parametrize("url", [SHOP_URL, MINE_URL])
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("url", [SHOP_URL, MINE_URL])
def test_a_resident_without_a_volunteer_profile_is_sent_to_their_page(client, people, url):
    client.force_login(people.resident)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("volunteers:home")


def test_a_resident_posting_is_sent_away_and_nothing_is_written(client, people, shop):
    client.force_login(people.resident)

    response = client.post(SHOP_URL, {"item": shop.village.pk, "quantity": "1"})

    assert response.status_code == 302
    assert not Redemption.objects.exists()


def test_beat_runs_the_release_every_ten_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["supermarket-release"]

    assert entry == {"task": supermarket_release_task.name, "schedule": 600.0}
    assert settings.SUPERMARKET_COLLECT_DAYS == 7


def test_a_redemption_follows_its_center_to_another_county(people, rich, shop, tree):
    # given a redemption at 王江社区, then its township moved to county B
    redemption = redemption_request(volunteer=rich, item_id=shop.village.pk, quantity=1)
    assert (redemption.township_id, redemption.county_id) == (tree.township_a.pk, tree.county_a.pk)
    township = Center.objects.get(pk=tree.township_a.pk)
    township.parent = Center.objects.get(pk=tree.county_b.pk)
    center_save(actor=None, center=township)

    # then county A's cadre is no longer its cashier, county B's is
    with pytest.raises(NotInScope):
        redemption_collect(actor=people.county_cadre, redemption_id=redemption.pk)
    collected = redemption_collect(actor=people.outsider_cadre, redemption_id=redemption.pk)
    assert (collected.township_id, collected.county_id) == (tree.township_a.pk, tree.county_b.pk)
