"""Dispatch candidates and task pools are scoped to the actor: the dispatch page ranks only
volunteers inside the acting cadre's subtree (automatic dispatch, with no actor, still
escalates to the county), and a cadre who also volunteers finds in their task pool only
what is offered to them or their teams, not every team order of their subtree."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders.models import Order
from orders.selectors import dispatch_candidates
from orders.services import order_dispatch
from tests.conftest import make_cadre
from tests.support.queries import exact_get
from volunteers.identity import compose_id_number
from volunteers.models import Volunteer
from volunteers.services import volunteer_create

from .conftest import AT, make_team, make_volunteer, place

pytestmark = pytest.mark.django_db


def monday_morning() -> datetime.datetime:
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    return timezone.make_aware(datetime.datetime.combine(monday, datetime.time(10, 0)))


def wanted_order(people, menu, tree) -> Order:
    start = monday_morning()
    return place(
        people,
        menu,
        tree.village_a,
        preferred_start=start,
        preferred_end=start + datetime.timedelta(hours=2),
    )


def ranked_names(client, user, order: Order) -> tuple[int, str]:
    client.force_login(user)
    response = client.get(f"/orders/dispatch/{order.pk}/")
    return response.status_code, response.content.decode()


def test_a_township_cadre_never_sees_the_countys_other_volunteers(client, people, menu, tree):
    # given: nobody free in village A or its township; one in the neighbouring township
    elsewhere = make_volunteer(301, tree.village_a3, cadre=people.city_cadre)
    order = wanted_order(people, menu, tree)

    status, township_page = ranked_names(client, people.township_cadre, order)
    _status, county_page = ranked_names(client, people.county_cadre, order)

    assert status == 200
    assert elsewhere.real_name not in township_page
    assert elsewhere.real_name in county_page
    # Automatic dispatch has no actor: it still escalates to the county.
    assert dispatch_candidates(order, at=AT) == [elsewhere]
    assert dispatch_candidates(order, at=AT, actor=people.township_cadre) == []
    assert dispatch_candidates(order, at=AT, actor=people.county_cadre) == [elsewhere]


def test_a_village_cadre_never_sees_the_townships_other_villages(client, people, menu, tree):
    neighbour = make_volunteer(302, tree.village_a2, cadre=people.city_cadre)
    order = wanted_order(people, menu, tree)

    _status, village_page = ranked_names(client, people.village_cadre, order)
    _status, township_page = ranked_names(client, people.township_cadre, order)

    assert neighbour.real_name not in village_page
    assert neighbour.real_name in township_page
    assert dispatch_candidates(order, at=AT, actor=people.village_cadre) == []


def test_the_village_cadre_still_sees_their_own_village(client, people, menu, tree):
    own = make_volunteer(303, tree.village_a, cadre=people.city_cadre)
    make_volunteer(304, tree.village_a2, cadre=people.city_cadre)
    order = wanted_order(people, menu, tree)

    assert dispatch_candidates(order, at=AT, actor=people.village_cadre) == [own]


def test_the_city_cadre_and_a_superuser_rank_as_automatic_dispatch_does(people, menu, tree):
    from accounts.models import User

    elsewhere = make_volunteer(305, tree.village_a3, cadre=people.city_cadre)
    order = wanted_order(people, menu, tree)
    root = User.objects.create_superuser(phone="13800000077", name="超管", password="x" * 12)

    assert dispatch_candidates(order, at=AT, actor=people.city_cadre) == [elsewhere]
    assert dispatch_candidates(order, at=AT, actor=root) == [elsewhere]


@pytest.fixture
def cadre_volunteer(tree, people):
    """A township cadre of township A who is also an active volunteer of village A."""
    user = make_cadre("13800000031", "兼职志愿者干部", tree.township_a)
    volunteer = volunteer_create(
        user=user,
        real_name="兼职志愿者干部",
        id_number=compose_id_number("430405", datetime.date(1980, 1, 1), 931),
        home_center=tree.village_a,
        status=Volunteer.Status.ACTIVE,
    )
    return volunteer


def test_a_cadre_who_volunteers_sees_only_their_own_teams_in_the_pool(
    client, people, menu, tree, cadre_volunteer
):
    # given: two team orders in the cadre's township; the cadre is in one team only
    mate = make_volunteer(311, tree.village_a, cadre=people.city_cadre)
    neighbour = make_volunteer(312, tree.village_a2, cadre=people.city_cadre)
    theirs = make_team(tree.village_a, people.city_cadre, [mate, cadre_volunteer], "甲队")
    other = make_team(tree.village_a2, people.city_cadre, [neighbour], "乙队")
    for_them = place(people, menu, tree.village_a, title="给甲队的单")
    not_for_them = place(people, menu, tree.village_a, title="给乙队的单")
    order_dispatch(actor=people.township_cadre, order_id=for_them.pk, team=theirs)
    order_dispatch(actor=people.township_cadre, order_id=not_for_them.pk, team=other)
    client.force_login(cadre_volunteer.user)

    page = client.get("/volunteer/tasks/").content.decode()

    assert f'id="task-{for_them.pk}"' in page
    assert f'id="task-{not_for_them.pk}"' not in page
    # As a cadre they still read (and manage) both, on the cadre's surfaces.
    token, _created = Token.objects.get_or_create(user=cadre_volunteer.user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    listed = {row["id"] for row in api.get("/api/v1/orders/").json()["results"]}
    assert {for_them.pk, not_for_them.pk} <= listed


TEAM_TASK_PAGE_QUERIES = 8


def test_the_task_page_costs_a_fixed_number_of_queries(client, people, menu, tree):
    volunteer = make_volunteer(321, tree.village_a, cadre=people.city_cadre)
    team = make_team(tree.village_a, people.city_cadre, [volunteer], "丙队")
    client.force_login(volunteer.user)

    order_dispatch(
        actor=people.village_cadre,
        order_id=place(people, menu, tree.village_a).pk,
        team=team,
    )
    # Pinned, one team order or five (a +1 query fails).
    exact_get(client, "/volunteer/tasks/", TEAM_TASK_PAGE_QUERIES)
    for _n in range(4):
        order_dispatch(
            actor=people.village_cadre,
            order_id=place(people, menu, tree.village_a).pk,
            team=team,
        )
    exact_get(client, "/volunteer/tasks/", TEAM_TASK_PAGE_QUERIES)
