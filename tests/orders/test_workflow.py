"""The order state machine (orders.workflow): every legal move writes one event; every
illegal one is a 409 naming the current state and changes nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from orders.models import Order, OrderEvent
from orders.services import order_accept, order_cancel, order_dispatch, order_rate, order_start
from orders.workflow import ALLOWED, IllegalTransition, transition

pytestmark = pytest.mark.django_db

S = Order.Status
# How to reach each state from placed, through the workflow itself.
PATHS = {
    S.PLACED: [],
    S.DISPATCHED: [S.DISPATCHED],
    S.ACCEPTED: [S.DISPATCHED, S.ACCEPTED],
    S.IN_SERVICE: [S.DISPATCHED, S.ACCEPTED, S.IN_SERVICE],
    S.COMPLETED: [S.DISPATCHED, S.ACCEPTED, S.IN_SERVICE, S.COMPLETED],
    S.RATED: [S.DISPATCHED, S.ACCEPTED, S.IN_SERVICE, S.COMPLETED, S.RATED],
    S.CANCELLED: [S.CANCELLED],
    S.REJECTED: [S.REJECTED],
}
LEGAL = sorted((source, target) for source, targets in ALLOWED.items() for target in targets)
ILLEGAL = sorted(
    (source, target) for source in S.values for target in S.values if target not in ALLOWED[source]
)


def move(order_id: int, **kwargs) -> Order:
    """transition as the services call it: inside a transaction of their own."""
    with transaction.atomic():
        return transition(order_id, **kwargs)


def changes_for(target: str, helper) -> dict[str, object]:
    # The held states need a holder (a database constraint), rated a score.
    if target == S.ACCEPTED:
        return {"accepted_by": helper}
    if target == S.RATED:
        return {"rating": 5}
    return {}


def bring_to(order: Order, state: str, helper) -> Order:
    for step in PATHS[state]:
        order = move(order.pk, to=step, actor=None, **changes_for(step, helper))
    assert order.status == state
    return order


def test_the_table_covers_every_state_and_the_documented_moves():
    assert set(ALLOWED) == set(S.values)
    assert LEGAL == sorted(
        [
            (S.ACCEPTED, S.CANCELLED),
            (S.ACCEPTED, S.IN_SERVICE),
            (S.COMPLETED, S.RATED),
            (S.DISPATCHED, S.ACCEPTED),
            (S.DISPATCHED, S.CANCELLED),
            (S.DISPATCHED, S.PLACED),
            (S.DISPATCHED, S.REJECTED),
            (S.IN_SERVICE, S.COMPLETED),
            (S.PLACED, S.CANCELLED),
            (S.PLACED, S.DISPATCHED),
            (S.PLACED, S.REJECTED),
        ]
    )
    assert len(ILLEGAL) == 64 - 11


@pytest.mark.parametrize(("source", "target"), LEGAL, ids=[f"{a}-{b}" for a, b in LEGAL])
def test_every_legal_transition_moves_and_writes_one_event(order, people, helper, source, target):
    order = bring_to(order, source, helper)
    events_before = OrderEvent.objects.filter(order=order).count()

    moved = move(
        order.pk,
        to=target,
        actor=people.county_cadre,
        reason="测试原因",
        **changes_for(target, helper),
    )

    assert moved.status == target
    assert Order.objects.get(pk=order.pk).status == target
    assert OrderEvent.objects.filter(order=order).count() == events_before + 1
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        source,
        target,
        people.county_cadre,
        "测试原因",
    )


@pytest.mark.parametrize("source", S.values)
def test_every_illegal_transition_names_the_state_and_changes_nothing(order, helper, source):
    order = bring_to(order, source, helper)
    before = Order.objects.filter(pk=order.pk).values().get()
    events_before = OrderEvent.objects.filter(order=order).count()
    targets = [target for from_, target in ILLEGAL if from_ == source]
    assert targets

    for target in targets:
        with pytest.raises(IllegalTransition) as caught:
            move(order.pk, to=target, actor=None, **changes_for(target, helper))
        assert caught.value.http_status == 409
        assert f"订单当前状态为“{S(source).label}”" in caught.value.message
        assert caught.value.code == f"not_allowed_in_{source}"

    assert Order.objects.filter(pk=order.pk).values().get() == before
    assert OrderEvent.objects.filter(order=order).count() == events_before


def test_the_message_is_chinese_and_names_the_action(order):
    with pytest.raises(IllegalTransition) as caught:
        move(order.pk, to=S.RATED, actor=None, rating=5)
    assert caught.value.message == "订单当前状态为“待派单”，不能评价。"


def test_a_narrower_only_from_refuses_an_otherwise_legal_move(order, helper):
    order = bring_to(order, S.DISPATCHED, helper)
    with pytest.raises(IllegalTransition):
        move(order.pk, to=S.CANCELLED, actor=None, only_from=frozenset({S.PLACED}))
    assert Order.objects.get(pk=order.pk).status == S.DISPATCHED


def test_an_unmet_extra_condition_refuses_and_changes_nothing(order, helper, team):
    order = bring_to(order, S.DISPATCHED, helper)
    with pytest.raises(IllegalTransition):
        move(
            order.pk,
            to=S.ACCEPTED,
            actor=None,
            extra_condition={"dispatched_team": team.team},
            accepted_by=helper,
        )
    assert Order.objects.get(pk=order.pk).accepted_by_id is None
    assert OrderEvent.objects.filter(order=order, to_status=S.ACCEPTED).count() == 0


# The same refusals, reached through the services people actually call.


def refused_409(call, **kwargs) -> IllegalTransition:
    with pytest.raises(IllegalTransition) as caught:
        call(**kwargs)
    return caught.value


def snapshot(order: Order) -> tuple[dict, int]:
    return (
        Order.objects.filter(pk=order.pk).values().get(),
        OrderEvent.objects.filter(order=order).count(),
    )


def test_rating_a_placed_order_is_refused(order, people):
    before = snapshot(order)
    error = refused_409(order_rate, resident=people.resident, order_id=order.pk, score=5)
    assert error.message == "订单当前状态为“待派单”，不能评价。"
    assert snapshot(order) == before


def test_starting_a_dispatched_order_is_refused(order, people, helper):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    before = snapshot(order)
    error = refused_409(order_start, volunteer=helper, order_id=order.pk)
    assert error.message == "订单当前状态为“已派单”，不能开始服务。"
    assert snapshot(order) == before


def test_cancelling_an_order_in_service_is_refused(order, people, helper):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=order.pk)
    order_start(volunteer=helper, order_id=order.pk)
    before = snapshot(order)
    error = refused_409(order_cancel, resident=people.resident, order_id=order.pk)
    assert error.message == "订单当前状态为“服务中”，不能取消。"
    assert snapshot(order) == before


def test_accepting_a_cancelled_order_is_refused(order, people, helper):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    order_cancel(resident=people.resident, order_id=order.pk, reason="不需要了")
    before = snapshot(order)
    error = refused_409(order_accept, volunteer=helper, order_id=order.pk)
    assert error.message == "订单当前状态为“已取消”，不能接单。"
    assert snapshot(order) == before
