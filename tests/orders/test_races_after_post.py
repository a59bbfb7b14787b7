"""A step that races a legal concurrent transition decides against the state it finds.

The worker dispatches an order (or a wish) moments after it is posted. A resident who cancels,
or a donor who claims, at that moment is still allowed to (cancel and claim are legal from
dispatched as from placed), so the answer must not be a 409 "已派单". These tests put the
worker's real dispatch (orders.dispatch.auto_dispatch, in its own thread and connection)
exactly between the step's read of the order and its write: a wrapper on this thread's
connection starts the rival when the step is about to send its UPDATE, and lets the step go
on once the rival has either committed or is waiting for a lock the step holds. Real
PostgreSQL, committed transactions.
"""

from __future__ import annotations

import pytest

from orders.dispatch import auto_dispatch
from orders.models import Order, OrderEvent
from orders.services import order_accept, order_cancel, order_start, wish_claim
from orders.workflow import IllegalTransition
from tests.orders.conftest import AT, make_volunteer, place
from tests.orders.test_wishes import api_as, make_donor
from tests.support.rivals import before_status_read, rival_between

pytestmark = pytest.mark.django_db(transaction=True)

S = Order.Status


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # The redispatch a commit would publish is not what these tests are about.
    monkeypatch.setattr("orders.enqueue.enqueue_on_commit", lambda task, *args: None)


def worker_dispatches(order_id):
    return lambda: auto_dispatch(order_id=order_id, at=AT)


def events(order_id):
    return list(
        OrderEvent.objects.filter(order_id=order_id)
        .order_by("id")
        .values_list("from_status", "to_status")
    )


@pytest.fixture
def on_call(tree, people):
    """A volunteer of village A, free at AT, whom the worker offers every order to."""
    return make_volunteer(501, tree.village_a, cadre=people.city_cadre)


def make_wish(people, menu, tree):
    return place(people, menu, tree.village_a, title="想要一个新书包", kind=Order.Kind.WISH)


# ---------------------------------------------------------------- claim after post


def test_a_wish_claimed_while_the_worker_dispatches_it_is_claimed(tree, people, menu, on_call):
    wish = make_wish(people, menu, tree)
    donor = make_donor()

    with rival_between(worker_dispatches(wish.pk)) as rival:
        claimed = wish_claim(donor=donor, order_id=wish.pk)
    dispatched = rival.finish()

    # The claim held the row: the worker found the wish no longer placed and left it.
    assert dispatched is False
    assert (claimed.status, claimed.donor_id) == (S.ACCEPTED, donor.pk)
    assert events(wish.pk) == [("", S.PLACED), (S.PLACED, S.ACCEPTED)]


def test_a_wish_the_worker_dispatched_just_before_the_claim_read_it_is_claimed_from_there(
    tree, people, menu, on_call
):
    wish = make_wish(people, menu, tree)
    donor = make_donor()

    with rival_between(worker_dispatches(wish.pk), before_status_read) as rival:
        claimed = wish_claim(donor=donor, order_id=wish.pk)
    assert rival.finish() is True

    assert (claimed.status, claimed.donor_id) == (S.ACCEPTED, donor.pk)
    # The event names the state the claim found, not the one the poster left.
    assert events(wish.pk) == [("", S.PLACED), (S.PLACED, S.DISPATCHED), (S.DISPATCHED, S.ACCEPTED)]


def test_the_claim_api_answers_200_not_409_when_the_worker_races_it(tree, people, menu, on_call):
    wish = make_wish(people, menu, tree)
    donor = make_donor()
    client = api_as(donor)

    with rival_between(worker_dispatches(wish.pk)) as rival:
        response = client.post(f"/api/v1/orders/{wish.pk}/claim/")
    rival.finish()

    assert response.status_code == 200, response.content
    assert response.json()["status"] == S.ACCEPTED


# ---------------------------------------------------------------- cancel after post


def test_an_order_cancelled_while_the_worker_dispatches_it_is_cancelled(
    tree, people, menu, on_call
):
    order = place(people, menu, tree.village_a)

    with rival_between(worker_dispatches(order.pk)) as rival:
        cancelled = order_cancel(resident=people.resident, order_id=order.pk, reason="不需要了")
    assert rival.finish() is False

    assert cancelled.status == S.CANCELLED
    assert Order.objects.get(pk=order.pk).dispatched_volunteer_id is None
    assert events(order.pk) == [("", S.PLACED), (S.PLACED, S.CANCELLED)]


def test_an_order_the_worker_dispatched_just_before_the_cancel_read_it_is_cancelled_from_there(
    tree, people, menu, on_call
):
    order = place(people, menu, tree.village_a)

    with rival_between(worker_dispatches(order.pk), before_status_read) as rival:
        cancelled = order_cancel(resident=people.resident, order_id=order.pk)
    assert rival.finish() is True

    assert cancelled.status == S.CANCELLED
    assert events(order.pk) == [
        ("", S.PLACED),
        (S.PLACED, S.DISPATCHED),
        (S.DISPATCHED, S.CANCELLED),
    ]


def test_the_cancel_api_answers_200_not_409_when_the_worker_races_it(tree, people, menu, on_call):
    order = place(people, menu, tree.village_a)
    client = api_as(people.resident)

    with rival_between(worker_dispatches(order.pk)) as rival:
        response = client.post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": ""}, format="json")
    rival.finish()

    assert response.status_code == 200, response.content
    assert Order.objects.get(pk=order.pk).status == S.CANCELLED


# ---------------------------------------------------------------- 409 only when truly refused


def nth_status_read(n: int):
    seen = 0

    def trigger(sql: str) -> bool:
        nonlocal seen
        if before_status_read(sql):
            seen += 1
        return seen == n

    return trigger


def test_a_cancel_after_the_volunteer_started_is_still_a_409(tree, people, menu, on_call):
    # Started is past the point a resident may withdraw: the race must not change that.
    order = place(people, menu, tree.village_a)
    assert auto_dispatch(order_id=order.pk, at=AT) is True

    def volunteer_accepts_and_starts():
        order_accept(volunteer=on_call, order_id=order.pk)
        return order_start(volunteer=on_call, order_id=order.pk).status

    with (
        rival_between(volunteer_accepts_and_starts, before_status_read) as rival,
        pytest.raises(IllegalTransition) as refused,
    ):
        order_cancel(resident=people.resident, order_id=order.pk)
    assert rival.finish() == S.IN_SERVICE

    assert refused.value.code == f"not_allowed_in_{S.IN_SERVICE}"
    assert Order.objects.get(pk=order.pk).status == S.IN_SERVICE
    assert events(order.pk)[-1] == (S.ACCEPTED, S.IN_SERVICE)


def test_an_accept_asked_before_the_worker_offered_the_order_to_another_is_refused(
    tree, people, menu, on_call
):
    # The volunteer asked while the order was still placed (offered to nobody); the worker
    # offered it to another between the step's own read and the state machine's. The
    # accept is judged on the offer the UPDATE sees: not theirs, so no accept.
    bystander = make_volunteer(502, tree.village_a, cadre=people.city_cadre, availability=0)
    order = place(people, menu, tree.village_a)

    with (
        rival_between(worker_dispatches(order.pk), nth_status_read(2)) as rival,
        pytest.raises(IllegalTransition),
    ):
        order_accept(volunteer=bystander, order_id=order.pk)
    assert rival.finish() is True

    after = Order.objects.get(pk=order.pk)
    assert (after.status, after.dispatched_volunteer_id, after.accepted_by_id) == (
        S.DISPATCHED,
        on_call.pk,
        None,
    )
