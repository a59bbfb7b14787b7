"""Redemptions at once, against real PostgreSQL: two requests for the last points, or for the
last unit, a refund or a price change in the middle of a redemption, and the release run
twice at once. Each race is run in both orders on purpose
(tests.support.rivals): the rival commits before our conditional UPDATE, or waits on the row
our UPDATE has locked. Then a crowd of threads released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from core.errors import DomainError
from points.errors import PointErrorCode
from points.models import PointsEntry, Redemption, Source, SupermarketItem
from points.selectors.ledger import balances_recomputed
from points.services.supermarket import (
    item_save,
    redemption_refund,
    redemption_request,
    redemptions_release,
)
from tests.factories.supermarket import give_points, stock_item
from tests.factories.volunteers import make_volunteer
from tests.support.rivals import before_update_of, rival_between
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db(transaction=True)

AFTER = "SELECT 1 /* after the redemption, before its commit */"


def redeem(volunteer: Volunteer, item: SupermarketItem, quantity: int = 1) -> str:
    """One request as a client makes it: "ok", or the code of its refusal."""
    try:
        redemption_request(volunteer=volunteer, item_id=item.pk, quantity=quantity)
    except DomainError as exc:
        return str(exc.code)
    return "ok"


def redeem_then_hold(volunteer: Volunteer, item: SupermarketItem) -> str:
    """Our request, its transaction kept open for one more statement (the rival's cue), so
    the rival meets the rows our UPDATEs locked."""
    with transaction.atomic():
        result = redeem(volunteer, item)
        with connection.cursor() as cursor:
            cursor.execute(AFTER)
    return result


def fresh(volunteer: Volunteer) -> int:
    return Volunteer.objects.values_list("points", flat=True).get(pk=volunteer.pk)


def stock_of(item: SupermarketItem) -> int:
    return SupermarketItem.objects.values_list("stock", flat=True).get(pk=item.pk)


@pytest.fixture
def last_points(people, tree):
    """李志愿 with 10 points, and two items of 10 points each (so no item lock orders them)."""
    volunteer = Volunteer.objects.get(user=people.volunteer)
    give_points(volunteer, 10)
    return (
        volunteer,
        stock_item(tree.village_a, "洗衣液", price=10, stock=5),
        stock_item(tree.township_a, "食用油", price=10, stock=5),
    )


def test_the_rival_spends_the_last_points_just_before_our_update(last_points):
    volunteer, ours_item, theirs_item = last_points

    with rival_between(
        lambda: redeem(volunteer, theirs_item), before_update_of(Volunteer)
    ) as rival:
        ours = redeem(volunteer, ours_item)
    theirs = rival.finish()

    assert sorted([ours, theirs]) == sorted(["ok", PointErrorCode.POINTS_INSUFFICIENT])
    assert ours == PointErrorCode.POINTS_INSUFFICIENT
    assert_one_spent(volunteer, ours_item, theirs_item)


def test_the_rival_waits_on_our_locked_balance_and_finds_it_spent(last_points):
    volunteer, ours_item, theirs_item = last_points

    with rival_between(
        lambda: redeem(volunteer, theirs_item), lambda sql: sql.startswith(AFTER)
    ) as rival:
        ours = redeem_then_hold(volunteer, ours_item)
    theirs = rival.finish()

    assert (ours, theirs) == ("ok", PointErrorCode.POINTS_INSUFFICIENT)
    assert_one_spent(volunteer, ours_item, theirs_item)


def assert_one_spent(volunteer: Volunteer, *items: SupermarketItem) -> None:
    assert fresh(volunteer) == 0
    assert balances_recomputed(volunteer_id=volunteer.pk).points == 0
    assert Redemption.objects.count() == 1
    assert PointsEntry.objects.filter(source=Source.REDEMPTION).count() == 1
    # the refused request gave its unit back with its transaction
    assert sorted(stock_of(item) for item in items) == [4, 5]


@pytest.fixture
def last_unit(people, tree):
    """One towel left, and two volunteers of the county with points enough."""
    first = Volunteer.objects.get(user=people.volunteer)
    second = make_volunteer(2, tree.village_a2, name="新园志愿")
    for volunteer in (first, second):
        give_points(volunteer, 50)
    return first, second, stock_item(tree.village_a, "毛巾", price=5, stock=1)


@pytest.mark.parametrize(
    ("trigger", "loser"),
    [
        # the rival takes the unit and commits just before our UPDATE of the stock
        pytest.param(before_update_of(SupermarketItem), "ours", id="rival-commits-first"),
        # the rival's UPDATE waits on the row ours took, then finds no unit left
        pytest.param(lambda sql: sql.startswith(AFTER), "theirs", id="rival-waits-on-ours"),
    ],
)
def test_the_last_unit_goes_to_one_of_two_at_once(last_unit, trigger, loser):
    first, second, towel = last_unit

    with rival_between(lambda: redeem(second, towel), trigger) as rival:
        ours = redeem_then_hold(first, towel)
    theirs = rival.finish()

    results = {"ours": ours, "theirs": theirs}
    assert results[loser] == PointErrorCode.REDEMPTION_OUT_OF_STOCK
    assert sorted(results.values()) == sorted(["ok", PointErrorCode.REDEMPTION_OUT_OF_STOCK])
    assert stock_of(towel) == 0
    assert Redemption.objects.count() == 1
    # the loser's points are untouched
    assert sorted([fresh(first), fresh(second)]) == [45, 50]


def crowd(calls: list[Callable[[], str]]) -> list[str]:
    """Run the calls at once, each on a thread (and a connection) of its own."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = [""] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_a_crowd_of_requests_spends_the_points_once_and_never_below_zero(people, tree):
    # given 50 points and eight requests of 10 points each, at once
    volunteer = Volunteer.objects.get(user=people.volunteer)
    give_points(volunteer, 50)
    soap = stock_item(tree.village_a, "肥皂", price=10, stock=100)

    results = crowd([lambda: redeem(volunteer, soap) for _ in range(8)])

    assert results.count("ok") == 5
    assert results.count(PointErrorCode.POINTS_INSUFFICIENT) == 3
    assert fresh(volunteer) == 0
    assert balances_recomputed(volunteer_id=volunteer.pk).points == 0
    assert stock_of(soap) == 95


def test_a_crowd_of_volunteers_takes_the_stock_once_and_never_below_zero(tree):
    # given three units and eight volunteers wanting one each, at once
    volunteers = [make_volunteer(number, tree.village_a) for number in range(1, 9)]
    for volunteer in volunteers:
        give_points(volunteer, 20)
    rice = stock_item(tree.county_a, "大米", price=20, stock=3)

    results = crowd([lambda v=v: redeem(v, rice) for v in volunteers])

    assert results.count("ok") == 3
    assert results.count(PointErrorCode.REDEMPTION_OUT_OF_STOCK) == 5
    assert stock_of(rice) == 0
    assert sorted(fresh(v) for v in volunteers) == [0, 0, 0] + [20] * 5


def test_two_releases_at_once_give_each_redemption_back_once(tree):
    # given twelve redemptions past their collect window
    volunteers = [make_volunteer(number, tree.village_a) for number in range(1, 13)]
    soap = stock_item(tree.village_a, "肥皂", price=10, stock=12)
    for volunteer in volunteers:
        give_points(volunteer, 10)
        redemption_request(volunteer=volunteer, item_id=soap.pk, quantity=1)
    Redemption.objects.update(requested_at="2020-01-01T00:00:00Z")

    # when two runs of the release start together, in small batches
    results = crowd([lambda: str(redemptions_release(batch=3)) for _ in range(2)])

    # then each redemption was released by one of them, once
    assert sum(int(count) for count in results) == 12
    assert set(Redemption.objects.values_list("status", flat=True)) == {"released"}
    assert PointsEntry.objects.filter(source=Source.REDEMPTION, kind="refunded").count() == 12
    assert stock_of(soap) == 12
    assert all(fresh(volunteer) == 10 for volunteer in volunteers)


def test_a_redemption_and_a_refund_of_the_same_item_at_once_do_not_deadlock(people, tree):
    # given an earlier redemption of the item, still at the counter, and points for another
    volunteer = Volunteer.objects.get(user=people.volunteer)
    give_points(volunteer, 50)
    soap = stock_item(tree.village_a, "肥皂", price=10, stock=5)
    earlier = redemption_request(volunteer=volunteer, item_id=soap.pk, quantity=1)

    def refund() -> str:
        redemption_refund(actor=people.county_cadre, redemption_id=earlier.pk, reason="破损")
        return "refunded"

    # when the cadre refunds it while our new redemption holds the volunteer's balance and
    # is about to take the stock
    with rival_between(refund, before_update_of(SupermarketItem)) as rival:
        ours = redeem(volunteer, soap)
    theirs = rival.finish()

    # then both went through, one after the other (a deadlock would have aborted one)
    assert (ours, theirs) == ("ok", "refunded")
    assert fresh(volunteer) == balances_recomputed(volunteer_id=volunteer.pk).points == 40
    assert stock_of(soap) == 4


def test_a_price_changed_during_the_redemption_is_told_and_nothing_is_spent(people, tree):
    # given an item of 10 points
    volunteer = Volunteer.objects.get(user=people.volunteer)
    give_points(volunteer, 50)
    soap = stock_item(tree.village_a, "肥皂", price=10, stock=5)

    def reprice() -> str:
        item = SupermarketItem.objects.get(pk=soap.pk)
        item.price = 20
        item_save(actor=people.county_cadre, item=item)
        return "repriced"

    # when a cadre raises its price after our read of it, before our take of the stock
    with rival_between(reprice, before_update_of(Volunteer)) as rival:
        ours = redeem(volunteer, soap)
    rival.finish()

    # then ours is refused with the new price, and neither points nor stock moved
    assert ours == PointErrorCode.REDEMPTION_PRICE_CHANGED
    assert (fresh(volunteer), stock_of(soap)) == (50, 5)
    assert not Redemption.objects.exists()
