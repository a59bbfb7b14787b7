"""A cadre is also a resident, and may be a volunteer: orders_for lets them read their subtree
and, wherever they are, their own orders and the tasks offered to them. Reading is not
managing: dispatch and reject stay within the subtree (orders_managed_by)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders.models import Order, OrderEvent
from orders.selectors import cadre_roles_and_own, orders_for, own_orders_q
from orders.services import order_accept, order_decline, order_dispatch, wish_claim
from tests.api.conftest import queries_for
from tests.orders.conftest import place
from tests.support.queries import counted_get
from volunteers.identity import compose_id_number
from volunteers.models import Volunteer
from volunteers.services import team_member_add, team_member_remove, volunteer_create

pytestmark = pytest.mark.django_db

S = Order.Status
API = "/api/v1/orders/"


@pytest.fixture
def client_for():
    """An API client signed in with a token, as the mobile app is."""

    def make(user) -> APIClient:
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def own_elsewhere(tree, people, menu) -> Order:
    """County A's cadre's own order, placed where they live: village B, in county B."""
    return place(people, menu, tree.village_b, title="我家买药", resident=people.county_cadre)


@pytest.fixture
def subtree_order(tree, people, menu) -> Order:
    return place(people, menu, tree.village_a, title="辖区买药")


def test_the_cadre_reads_their_own_order_outside_their_subtree(
    client, client_for, people, own_elsewhere, subtree_order
):
    # given
    client.force_login(people.county_cadre)
    api = client_for(people.county_cadre)
    # when
    page = client.get(f"/orders/{own_elsewhere.pk}/")
    detail = api.get(f"{API}{own_elsewhere.pk}/")
    listed = api.get(API)
    # then
    assert page.status_code == 200
    assert "我家买药" in page.content.decode()
    assert detail.status_code == 200
    assert (detail.json()["id"], detail.json()["status"]) == (own_elsewhere.pk, S.PLACED)
    assert [row["id"] for row in listed.json()["results"]] == [subtree_order.pk, own_elsewhere.pk]


def test_another_cadre_of_the_same_subtree_does_not_read_it(client_for, people, own_elsewhere):
    # given: a cadre of county A who did not place it
    api = client_for(people.township_cadre)
    # when
    response = api.get(f"{API}{own_elsewhere.pk}/")
    # then
    assert response.status_code == 404


def test_the_cadre_may_not_dispatch_or_reject_their_own_order_outside_their_subtree(
    client, client_for, people, helper, own_elsewhere
):
    # given: helper is a volunteer of village A, inside the cadre's subtree
    client.force_login(people.county_cadre)
    api = client_for(people.county_cadre)
    # when
    dispatched = api.post(f"{API}{own_elsewhere.pk}/dispatch/", {"volunteer": helper.pk})
    rejected = api.post(f"{API}{own_elsewhere.pk}/reject/", {"reason": "不是本辖区"})
    dispatch_page = client.get(f"/orders/dispatch/{own_elsewhere.pk}/")
    dispatch_post = client.post(f"/orders/dispatch/{own_elsewhere.pk}/", {"volunteer": helper.pk})
    board = client.get("/orders/dispatch/")
    # then
    assert (dispatched.status_code, rejected.status_code) == (404, 404)
    assert (dispatch_page.status_code, dispatch_post.status_code) == (404, 404)
    assert own_elsewhere not in board.context["page"].object_list
    kept = Order.objects.get(pk=own_elsewhere.pk)
    assert (kept.status, kept.dispatched_volunteer_id) == (S.PLACED, None)
    assert OrderEvent.objects.filter(order=own_elsewhere).count() == 1


def test_the_cadre_of_its_subtree_still_manages_it(client_for, people, own_elsewhere):
    # given: county B's cadre
    api = client_for(people.outsider_cadre)
    # when
    response = api.post(f"{API}{own_elsewhere.pk}/reject/", {"reason": "暂不提供"})
    # then
    assert response.status_code == 200
    assert Order.objects.get(pk=own_elsewhere.pk).status == S.REJECTED


def test_a_cadre_who_volunteers_reads_the_task_offered_to_them_outside_their_subtree(
    client_for, tree, people, menu
):
    # given: county B's cadre volunteers in village A, and county A offers them a task
    volunteer = volunteer_create(
        user=people.outsider_cadre,
        real_name="雁峰干部",
        id_number=compose_id_number("430405", datetime.date(1980, 1, 2), 401),
        home_center=tree.village_a,
        status=Volunteer.Status.ACTIVE,
    )
    task = place(people, menu, tree.village_a, title="帮忙修水管")
    order_dispatch(actor=people.county_cadre, order_id=task.pk, volunteer=volunteer)
    api = client_for(people.outsider_cadre)
    # when
    detail = api.get(f"{API}{task.pk}/")
    rejected = api.post(f"{API}{task.pk}/reject/", {"reason": "不想做"})
    # then
    assert detail.status_code == 200
    assert rejected.status_code == 404
    assert set(orders_for(people.outsider_cadre).values_list("pk", flat=True)) == {task.pk}
    assert Order.objects.get(pk=task.pk).status == S.DISPATCHED


def test_the_cadres_lists_cost_the_same_with_orders_of_their_own(
    client, client_for, tree, people, menu
):
    # given: three orders in the subtree; a resident with one order, for the page's baseline
    for n in range(3):
        place(people, menu, tree.village_a, title=f"辖区{n}")
    api = client_for(people.county_cadre)
    without, response = queries_for(api, API)
    assert len(response.json()["results"]) == 3
    place(people, menu, tree.village_b, title="我家买药", resident=people.county_cadre)
    # when
    with_own, response = queries_for(api, API)
    client.force_login(people.resident)
    resident_page = page_queries(client, "/orders/")
    client.force_login(people.county_cadre)
    cadre_page = page_queries(client, "/orders/")
    # then: the API is the token, the roles with "orders of their own?", the page
    assert len(response.json()["results"]) == 4
    assert without == with_own == 3
    # "My orders" costs a cadre no more than a resident: the roles replace the volunteer.
    # The top bar's queue adds its two (the roles again, the capped counts) for a cadre.
    assert cadre_page <= resident_page + 2


def page_queries(client, path: str) -> int:
    count, response = counted_get(client, path)
    assert len(response.context["page"].object_list) >= 1
    return count


def test_whether_a_cadre_has_orders_of_their_own_is_read_from_indexes(
    people, own_elsewhere, tree, menu
):
    # given: a few more orders, so an index is worth using
    for n in range(5):
        place(people, menu, tree.village_a, title=f"辖区{n}")
    with CaptureQueriesContext(connection) as queries:
        list(orders_for(people.county_cadre)[:20])
    check = next(
        q["sql"]
        for q in queries.captured_queries
        if "practice_cadrerole" in q["sql"] and "EXISTS" in q["sql"]
    )
    # when
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + check)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # then
    assert "Seq Scan on orders_order" not in plan, plan


def has_own_both_ways(user) -> tuple[bool, bool]:
    """Whether ``user`` has orders of their own, as orders_for's one SQL text says and as
    own_orders_q (the Q that then reads them) says."""
    rows = cadre_roles_and_own(user.pk)
    assert rows, "the user must be a cadre"
    assert len({row[-1] for row in rows}) == 1
    return rows[0][-1], Order.objects.filter(own_orders_q(user)).exists()


def test_the_roles_query_and_the_own_orders_q_agree_in_every_way_of_owning(
    tree, people, menu, team
):
    cadre = people.outsider_cadre
    answers = []
    # nothing of their own
    answers.append(("nothing", has_own_both_ways(cadre), False))
    # a member of village A's team, and an order is offered to that team
    volunteer = volunteer_create(
        user=cadre,
        real_name="雁峰干部",
        id_number=compose_id_number("430405", datetime.date(1980, 1, 2), 401),
        home_center=tree.village_a,
        status=Volunteer.Status.ACTIVE,
    )
    membership = team_member_add(actor=people.city_cadre, team=team.team, volunteer=volunteer)
    to_team = place(people, menu, tree.village_a, title="队伍单")
    order_dispatch(actor=people.county_cadre, order_id=to_team.pk, team=team.team)
    answers.append(("offered to their team", has_own_both_ways(cadre), True))
    # they leave the team: the offer is no longer theirs
    team_member_remove(actor=people.city_cadre, membership=membership)
    answers.append(("left the team", has_own_both_ways(cadre), False))
    # offered to them by name
    to_them = place(people, menu, tree.village_a, title="点名单")
    order_dispatch(actor=people.county_cadre, order_id=to_them.pk, volunteer=volunteer)
    answers.append(("offered to them", has_own_both_ways(cadre), True))
    # they decline: the order goes back, nothing is theirs
    order_decline(volunteer=volunteer, order_id=to_them.pk, reason="没空")
    answers.append(("declined", has_own_both_ways(cadre), False))
    # another offered and accepted: they hold it
    held = place(people, menu, tree.village_a, title="接下的单")
    order_dispatch(actor=people.county_cadre, order_id=held.pk, volunteer=volunteer)
    order_accept(volunteer=volunteer, order_id=held.pk)
    answers.append(("held", has_own_both_ways(cadre), True))
    Order.objects.filter(pk=held.pk).update(accepted_by=None, status=S.CANCELLED)
    answers.append(("no longer held", has_own_both_ways(cadre), False))
    # a wish they claimed as a donor
    wish = place(people, menu, tree.village_a, title="想要书包", kind=Order.Kind.WISH)
    wish_claim(donor=cadre, order_id=wish.pk)
    answers.append(("donor", has_own_both_ways(cadre), True))
    Order.objects.filter(pk=wish.pk).update(donor=None, status=S.CANCELLED)
    # an order they placed themselves
    place(people, menu, tree.village_b, title="我家买药", resident=cadre)
    answers.append(("resident", has_own_both_ways(cadre), True))
    # then: both ways agree with what each situation means
    assert [(label, raw, orm) for label, (raw, orm), _ in answers] == [
        (label, expected, expected) for label, _, expected in answers
    ]
