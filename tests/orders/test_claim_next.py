"""抢单: a team member takes the oldest order still free in their teams' pool, in one
statement. Sixteen members at once over a pool of orders: each order taken once, none left,
nobody handed an order another holds."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connections

from core.errors import DomainError
from orders.models import Order, OrderEvent
from orders.services import order_accept_next, order_dispatch
from orders.workflow import _claim_next_portable
from tests.orders.conftest import make_team, make_volunteer, place
from volunteers.models import TeamMembership, Volunteer

S = Order.Status
CLAIMERS = 16
ORDERS = 160


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """What committed claims would publish (notifications, dispatch) is not what these
    tests are about; it goes nowhere."""
    monkeypatch.setattr("orders.enqueue.enqueue_on_commit", lambda task, *args: None)
    monkeypatch.setattr("orders.enqueue.wake_on_commit", lambda task: None)


def _pool(tree, people, menu, team, count):
    ids = []
    for _ in range(count):
        order = place(people, menu, tree.village_a)
        order_dispatch(actor=people.county_cadre, order_id=order.pk, team=team)
        ids.append(order.pk)
    return ids


@pytest.mark.django_db
def test_takes_the_oldest_free_order_of_my_teams_and_writes_its_event(tree, people, menu):
    member = make_volunteer(500, tree.village_a, cadre=people.city_cadre)
    team = make_team(tree.village_a, people.city_cadre, [member], "王江社区抢单小队")
    first, second = _pool(tree, people, menu, team, 2)

    assert order_accept_next(volunteer=member) == first
    order = Order.objects.get(pk=first)
    assert (order.status, order.accepted_by_id) == (S.ACCEPTED, member.pk)
    event = OrderEvent.objects.filter(order=order).latest("id")
    assert (event.from_status, event.to_status, event.actor_id) == (
        S.DISPATCHED,
        S.ACCEPTED,
        member.user_id,
    )
    assert Order.objects.get(pk=second).status == S.DISPATCHED


@pytest.mark.django_db
def test_an_empty_pool_and_other_teams_orders_give_nothing(tree, people, menu):
    member = make_volunteer(501, tree.village_a, cadre=people.city_cadre)
    stranger = make_volunteer(502, tree.village_a2, cadre=people.city_cadre)
    make_team(tree.village_a, people.city_cadre, [member], "甲队")
    other = make_team(tree.village_a2, people.city_cadre, [stranger], "乙队")
    (theirs,) = _pool(tree, people, menu, other, 1)

    assert order_accept_next(volunteer=member) is None
    assert Order.objects.get(pk=theirs).status == S.DISPATCHED


@pytest.mark.django_db
def test_a_member_who_left_the_team_no_longer_takes_its_orders(tree, people, menu):
    member = make_volunteer(503, tree.village_a, cadre=people.city_cadre)
    team = make_team(tree.village_a, people.city_cadre, [member], "丙队")
    (order_id,) = _pool(tree, people, menu, team, 1)
    TeamMembership.objects.filter(team=team, volunteer=member).update(left_on="2026-01-01")

    assert order_accept_next(volunteer=member) is None
    assert Order.objects.get(pk=order_id).status == S.DISPATCHED


@pytest.mark.django_db
def test_a_suspended_volunteer_is_refused_and_nothing_changes(tree, people, menu):
    member = make_volunteer(504, tree.village_a, cadre=people.city_cadre)
    team = make_team(tree.village_a, people.city_cadre, [member], "丁队")
    (order_id,) = _pool(tree, people, menu, team, 1)
    Volunteer.objects.filter(pk=member.pk).update(status=Volunteer.Status.SUSPENDED)
    member.refresh_from_db()

    with pytest.raises(DomainError, match="只有在册志愿者可以接单"):
        order_accept_next(volunteer=member)
    assert Order.objects.get(pk=order_id).status == S.DISPATCHED


@pytest.mark.django_db
def test_the_portable_path_takes_the_same_order(tree, people, menu):
    # The demo's SQLite has no data-modifying CTE; its path must agree with PostgreSQL's.
    member = make_volunteer(505, tree.village_a, cadre=people.city_cadre)
    team = make_team(tree.village_a, people.city_cadre, [member], "戊队")
    first, _second = _pool(tree, people, menu, team, 2)

    assert _claim_next_portable(volunteer_id=member.pk, actor_id=member.user_id) == first
    order = Order.objects.get(pk=first)
    assert (order.status, order.accepted_by_id) == (S.ACCEPTED, member.pk)


@pytest.mark.django_db(transaction=True)
def test_sixteen_members_drain_a_pool_each_order_taken_exactly_once(tree, people, menu):
    members = [
        make_volunteer(600 + number, tree.village_a, cadre=people.city_cadre)
        for number in range(CLAIMERS)
    ]
    team = make_team(tree.village_a, people.city_cadre, members, "王江社区志愿服务大队")
    order_ids = _pool(tree, people, menu, team, ORDERS)
    barrier = threading.Barrier(CLAIMERS)
    taken: dict[int, list[int]] = {member.pk: [] for member in members}
    errors: list[str] = []

    def claim(member):
        try:
            barrier.wait(timeout=30)
            while (order_id := order_accept_next(volunteer=member)) is not None:
                taken[member.pk].append(order_id)
        except Exception as exc:  # noqa: BLE001 - asserted on below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    claims = [order_id for ids in taken.values() for order_id in ids]
    assert sorted(claims) == sorted(order_ids)  # every order once, none twice
    holders = dict(Order.objects.filter(pk__in=order_ids).values_list("pk", "accepted_by_id"))
    assert all(
        holders[order_id] == member_id for member_id, ids in taken.items() for order_id in ids
    )
    accepted_events = Counter(
        OrderEvent.objects.filter(order__in=order_ids, to_status=S.ACCEPTED).values_list(
            "order_id", flat=True
        )
    )
    assert set(accepted_events.values()) == {1}
    assert len(accepted_events) == ORDERS
    # More than one member got work: the claims were spread, not serialised behind one lock.
    assert sum(1 for ids in taken.values() if ids) > 1


@pytest.mark.django_db
def test_the_tasks_page_offers_take_the_next_and_the_post_takes_it(client, tree, people, menu):
    member = make_volunteer(506, tree.village_a, cadre=people.city_cadre)
    team = make_team(tree.village_a, people.city_cadre, [member], "己队")
    first, second = _pool(tree, people, menu, team, 2)
    client.force_login(member.user)

    page = client.get("/volunteer/tasks/").content.decode()
    assert "/volunteer/tasks/next/" in page
    assert "接下一单" in page
    response = client.post("/volunteer/tasks/next/", follow=True)

    assert response.redirect_chain[-1][0] == "/volunteer/tasks/"
    assert "接单成功" in response.content.decode()
    assert Order.objects.get(pk=first).accepted_by_id == member.pk
    assert Order.objects.get(pk=second).status == S.DISPATCHED


@pytest.mark.django_db
def test_take_the_next_with_an_empty_pool_says_so_and_changes_nothing(client, tree, people, menu):
    member = make_volunteer(507, tree.village_a, cadre=people.city_cadre)
    make_team(tree.village_a, people.city_cadre, [member], "庚队")
    client.force_login(member.user)

    response = client.post("/volunteer/tasks/next/", follow=True)

    assert "暂无可接的任务" in response.content.decode()
    assert not Order.objects.filter(status=S.ACCEPTED).exists()


@pytest.mark.django_db
def test_take_the_next_is_for_volunteers_by_post_only(client, tree, people, menu):
    member = make_volunteer(508, tree.village_a, cadre=people.city_cadre)
    team = make_team(tree.village_a, people.city_cadre, [member], "辛队")
    (order_id,) = _pool(tree, people, menu, team, 1)

    client.force_login(people.resident)
    assert client.post("/volunteer/tasks/next/").status_code == 404
    client.force_login(people.county_cadre)
    assert client.post("/volunteer/tasks/next/").status_code == 404
    client.force_login(member.user)
    assert client.get("/volunteer/tasks/next/").status_code == 405
    client.logout()
    assert client.post("/volunteer/tasks/next/").status_code == 302  # to sign in
    assert Order.objects.get(pk=order_id).status == S.DISPATCHED
