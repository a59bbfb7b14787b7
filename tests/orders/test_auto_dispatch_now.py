"""A cadre's 自动派单 (orders.dispatch.orders_auto_dispatch_now): it offers each placed order
in the cadre's subtree, names the cadre on the offer's event, flags what nobody fits, leaves
what the state or the switch does not allow, and does nothing at all when one order lies
outside the subtree."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.errors import NotInScope
from orders.dispatch import orders_auto_dispatch_now
from orders.models import Order, OrderEvent
from orders.services import order_dispatch
from practice.models import Center
from tests.orders.conftest import AT, place
from volunteers.availability import slot_bit_at

pytestmark = pytest.mark.django_db

S = Order.Status


@pytest.fixture
def at_monday_morning(monkeypatch):
    monkeypatch.setattr("orders.selectors.slot_bit_at", lambda moment: slot_bit_at(AT))


@pytest.fixture
def orders(tree, people, menu) -> SimpleNamespace:
    return SimpleNamespace(
        a=place(people, menu, tree.village_a, title="王江买药"),
        a2=place(people, menu, tree.village_a2, title="新园买药"),
        b=place(people, menu, tree.village_b, title="天马山买药"),
    )


def test_offers_an_order_and_names_the_cadre_who_pressed(
    people, orders, helper, at_monday_morning, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        run = orders_auto_dispatch_now(actor=people.county_cadre, order_ids=[orders.a.pk], at=AT)
    # then
    assert [order.pk for order in run.dispatched] == [orders.a.pk]
    assert (run.flagged, run.refused) == ([], [])
    offered = Order.objects.get(pk=orders.a.pk)
    assert (offered.status, offered.dispatched_volunteer_id) == (S.DISPATCHED, helper.pk)
    event = OrderEvent.objects.get(order=orders.a, to_status=S.DISPATCHED)
    assert event.actor_id == people.county_cadre.pk
    assert event.reason == "干部手动触发自动派单"
    # The notifier is woken once the offer commits, not before.
    assert len(callbacks) == 1


def test_flags_an_order_nobody_fits(people, orders, helper, at_monday_morning):
    # given: nobody serves county B
    # when
    run = orders_auto_dispatch_now(actor=people.city_cadre, order_ids=[orders.b.pk], at=AT)
    # then
    assert [order.pk for order in run.flagged] == [orders.b.pk]
    assert run.dispatched == []
    flagged = Order.objects.get(pk=orders.b.pk)
    assert (flagged.status, flagged.flagged_at is not None) == (S.PLACED, True)


def test_leaves_orders_no_longer_placed_or_switched_off(
    tree, people, menu, orders, helper, at_monday_morning
):
    # given: a is dispatched by hand already; county A's township A2 switched it off
    order_dispatch(actor=people.county_cadre, order_id=orders.a.pk, volunteer=helper)
    Center.objects.filter(pk=tree.township_a2.pk).update(auto_dispatch=False)
    a3 = place(people, menu, tree.village_a3)
    # when
    run = orders_auto_dispatch_now(actor=people.county_cadre, order_ids=[orders.a.pk, a3.pk], at=AT)
    # then
    assert [(order.pk, message) for order, message in run.refused] == [
        (orders.a.pk, "订单当前状态为“已派单”，不能派单。"),
        (a3.pk, "所在阵地已关闭自动派单，请在派单页手动派单。"),
    ]
    assert run.dispatched == []
    assert OrderEvent.objects.filter(order=orders.a, to_status=S.DISPATCHED).count() == 1
    assert Order.objects.get(pk=a3.pk).status == S.PLACED


@pytest.mark.parametrize("cadre", ["township_cadre", "outsider_cadre", "resident"])
def test_refuses_everything_when_one_order_is_outside_the_subtree(
    people, orders, helper, at_monday_morning, cadre
):
    # given: township A's cadre, county B's cadre and a resident each ask for an order of
    # village A (township A) and one of village A2 (township A) or B
    actor = getattr(people, cadre)
    outside = orders.b if cadre == "township_cadre" else orders.a2
    # when
    with pytest.raises(NotInScope) as refused:
        orders_auto_dispatch_now(actor=actor, order_ids=[orders.a.pk, outside.pk], at=AT)
    # then: nothing moved, not even the order in scope
    assert refused.value.code == "order_not_in_scope"
    assert set(Order.objects.values_list("status", flat=True)) == {S.PLACED}
    assert not OrderEvent.objects.filter(to_status=S.DISPATCHED).exists()
