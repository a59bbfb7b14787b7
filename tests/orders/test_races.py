"""Real concurrency on PostgreSQL: threads, each with its own connection, racing for one
order. The conditional UPDATE in orders.workflow must let exactly one through."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from orders.models import Order, OrderEvent, OrderRefusal
from orders.services import order_accept, order_decline, order_dispatch, order_expire
from orders.workflow import IllegalTransition
from tests.orders.conftest import make_team, make_volunteer, place

pytestmark = pytest.mark.django_db(transaction=True)

S = Order.Status
CLAIMERS = 16
ROUNDS = 200
BATCH = 50


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Committed transactions run their on-commit hooks here; the redispatch they would
    publish is not what these tests are about, so it goes nowhere."""
    monkeypatch.setattr("orders.enqueue.enqueue_on_commit", lambda task, *args: None)


def run_together(calls, rounds_of_work):
    """Start one thread per call; in each round every thread waits at the barrier, then
    acts. Returns, per round, what each thread got."""
    barrier = threading.Barrier(len(calls))
    outcomes = [[None] * len(calls) for _ in range(rounds_of_work)]

    def worker(index, call):
        try:
            for round_index in range(rounds_of_work):
                barrier.wait(timeout=30)
                try:
                    outcomes[round_index][index] = ("ok", call(round_index))
                except IllegalTransition as exc:
                    outcomes[round_index][index] = ("409", exc.http_status)
                except Exception as exc:  # noqa: BLE001 - recorded and asserted on below
                    outcomes[round_index][index] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(index, call)) for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_sixteen_members_accept_one_team_order_exactly_one_wins_200_times(tree, people, menu):
    members = [
        make_volunteer(400 + number, tree.village_a, cadre=people.city_cadre)
        for number in range(CLAIMERS)
    ]
    team = make_team(tree.village_a, people.city_cadre, members, "王江社区志愿服务小队")
    order_ids: list[int] = []
    for _batch in range(ROUNDS // BATCH):
        for _n in range(BATCH):
            order = place(people, menu, tree.village_a)
            order_dispatch(actor=people.county_cadre, order_id=order.pk, team=team)
            order_ids.append(order.pk)

    outcomes = run_together(
        [
            (lambda round_index, member=member: order_accept(
                volunteer=member, order_id=order_ids[round_index]
            ).accepted_by_id)
            for member in members
        ],
        ROUNDS,
    )  # fmt: skip

    for round_index, results in enumerate(outcomes):
        kinds = Counter(kind for kind, _value in results)
        assert kinds == {"ok": 1, "409": CLAIMERS - 1}, (round_index, results)
        winner = next(value for kind, value in results if kind == "ok")
        assert Order.objects.get(pk=order_ids[round_index]).accepted_by_id == winner
    assert Order.objects.filter(pk__in=order_ids, status=S.ACCEPTED).count() == ROUNDS
    accepted_events = Counter(
        OrderEvent.objects.filter(order_id__in=order_ids, to_status=S.ACCEPTED).values_list(
            "order_id", flat=True
        )
    )
    assert accepted_events == dict.fromkeys(order_ids, 1)
    assert connection.vendor == "postgresql"


def test_a_decline_racing_an_expiry_has_one_winner(tree, people, menu, helper, settings):
    settings.ORDER_ACCEPT_MINUTES = -1  # every offer is already past its deadline
    rounds = 40
    order_ids = []
    for _n in range(rounds):
        order = place(people, menu, tree.village_a)
        order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
        order_ids.append(order.pk)

    def decline(round_index):
        return order_decline(volunteer=helper, order_id=order_ids[round_index], reason="来不及")

    def expire(round_index):
        return order_expire(order_id=order_ids[round_index])

    outcomes = run_together([decline, expire], rounds)

    for round_index, (declined, expired) in enumerate(outcomes):
        assert declined[0] in ("ok", "409"), declined
        assert expired[0] == "ok", expired
        decline_won = declined[0] == "ok"
        expiry_won = expired[1] is not None
        assert decline_won != expiry_won, (round_index, declined, expired)
        order_id = order_ids[round_index]
        assert Order.objects.get(pk=order_id).status == S.PLACED
        refusal = OrderRefusal.objects.get(order_id=order_id)
        assert (refusal.volunteer_id, refusal.expired) == (helper.pk, expiry_won)
        back = OrderEvent.objects.filter(
            order_id=order_id, from_status=S.DISPATCHED, to_status=S.PLACED
        )
        assert back.count() == 1
        assert back.get().actor_id == (None if expiry_won else people.volunteer.pk)
