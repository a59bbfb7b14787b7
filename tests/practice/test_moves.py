"""A center that moves takes its rows along: every model copying its center's ancestors
(``scope_ancestors``) is rewritten by practice.ancestry, found among the installed models
rather than listed, so that the new area's cadres list, dispatch, reject and are told of
what now lies in their subtree, and the old area's no longer."""

from __future__ import annotations

import ast
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from core.errors import NotInScope
from core.models import Notification
from orders.models import Order
from orders.notifications import notify_flagged
from orders.selectors import dispatch_candidates, orders_managed_by
from orders.services import order_dispatch, order_flag_undispatchable, order_place, order_reject
from points.models import HoursEntry
from points.services.ledger import hours_credit
from practice.ancestry import models_following_moves, refresh_copied_ancestors
from practice.catalogue import service_menu_install
from practice.models import Center, Service
from practice.scoping import scope_queryset
from practice.services import center_save
from tests.orders.conftest import AT, make_volunteer
from volunteers.identity import compose_id_number
from volunteers.models import Volunteer
from volunteers.services import volunteer_create

pytestmark = pytest.mark.django_db

PRACTICE = Path(__file__).resolve().parents[2] / "practice"


def move(center: Center, under: Center, actor: User | None = None) -> Center:
    moving = Center.objects.get(pk=center.pk)
    moving.parent = Center.objects.get(pk=under.pk)
    return center_save(actor=actor, center=moving)


def api_for(user: User) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def placed(tree, people) -> Order:
    """An order at village A2 (township A, county A)."""
    service_menu_install(city=tree.city)
    return order_place(
        resident=people.resident,
        service=Service.objects.get(center=tree.city, name="买菜送药"),
        center=tree.village_a2,
        title="新园社区买药",
        address="新园社区5栋",
        contact_phone="13900000002",
    )


def test_every_model_declaring_the_columns_is_found():
    assert {Volunteer, Order, HoursEntry} <= set(models_following_moves())


def test_a_model_nobody_registered_follows_a_move_and_one_opting_out_does_not(tree, probe_models):
    # given: a row of each at village A2 (township A, county A)
    following, audit = probe_models
    assert following in models_following_moves()
    assert audit not in models_following_moves()
    for model in probe_models:
        model.objects.create(
            place=tree.village_a2, place_township=tree.township_a, place_county=tree.county_a
        )
    # when: township A moves to county B
    move(tree.township_a, tree.county_b)
    # then
    row = following.objects.get()
    assert (row.place_township_id, row.place_county_id) == (tree.township_a.pk, tree.county_b.pk)
    kept = audit.objects.get()
    assert (kept.place_township_id, kept.place_county_id) == (tree.township_a.pk, tree.county_a.pk)


def test_a_moved_villages_order_is_the_new_areas_to_handle_and_not_the_old_ones(
    tree, people, placed
):
    # when: village A2 moves from township A to township A2 (same county)
    move(tree.village_a2, tree.township_a2, actor=people.county_cadre)
    # then: the columns follow
    order = Order.objects.get(pk=placed.pk)
    assert (order.center_id, order.township_id, order.county_id) == (
        tree.village_a2.pk,
        tree.township_a2.pk,
        tree.county_a.pk,
    )
    # and township A's cadre no longer lists it or acts on it
    assert not orders_managed_by(people.township_cadre).filter(pk=placed.pk).exists()
    with pytest.raises(NotInScope):
        order_reject(actor=people.township_cadre, order_id=placed.pk, reason="不归我们")
    with pytest.raises(NotInScope):
        order_dispatch(
            actor=people.township_cadre,
            order_id=placed.pk,
            volunteer=Volunteer.objects.get(user=people.volunteer),
        )
    # and a cadre of township A2 does
    township_a2_cadre = User.objects.create_user(phone="13800000031", password="x", name="广东路")
    township_a2_cadre.cadre_roles.create(center=tree.township_a2)
    assert orders_managed_by(township_a2_cadre).filter(pk=placed.pk).exists()
    assert (
        order_reject(actor=township_a2_cadre, order_id=placed.pk, reason="不是本中心的服务").status
        == Order.Status.REJECTED
    )


def test_a_township_moved_to_another_county_takes_its_orders_there(tree, people, placed):
    # given: a dispatchable volunteer in each county, neither in the order's village or
    # township, so the county tier decides
    old_county = make_volunteer(401, tree.village_a3, cadre=people.city_cadre)
    new_county = make_volunteer(402, tree.village_b, cadre=people.city_cadre)
    assert dispatch_candidates(placed, at=AT) == [old_county]
    # when
    move(tree.township_a, tree.county_b, actor=people.city_cadre)
    order = Order.objects.get(pk=placed.pk)
    # then: the county tier is county B's, and county B's cadre manages it, A's does not
    assert order.county_id == tree.county_b.pk
    assert dispatch_candidates(order, at=AT) == [new_county]
    assert orders_managed_by(people.outsider_cadre).filter(pk=placed.pk).exists()
    assert not orders_managed_by(people.county_cadre).filter(pk=placed.pk).exists()
    with pytest.raises(NotInScope):
        order_reject(actor=people.county_cadre, order_id=placed.pk, reason="不归我们")
    dispatched = order_dispatch(
        actor=people.outsider_cadre, order_id=placed.pk, volunteer=new_county
    )
    assert dispatched.status == Order.Status.DISPATCHED


def test_nobody_available_is_told_to_the_new_county(tree, people, placed):
    move(tree.township_a, tree.county_b, actor=people.city_cadre)
    assert order_flag_undispatchable(order_id=placed.pk)
    notify_flagged(order_id=placed.pk)
    told = set(Notification.objects.values_list("user_id", flat=True))
    # township A's cadre (still its township) and county B's; not county A's
    assert told == {people.township_cadre.pk, people.outsider_cadre.pk}


def test_the_api_list_follows_the_move(tree, people, placed):
    move(tree.township_a, tree.county_b, actor=people.city_cadre)
    new_area = api_for(people.outsider_cadre).get("/api/v1/orders/").json()["results"]
    old_area = api_for(people.county_cadre).get("/api/v1/orders/").json()["results"]
    assert [row["id"] for row in new_area] == [placed.pk]
    assert old_area == []


def test_the_dispatch_board_follows_the_move(client, tree, people, placed):
    move(tree.township_a, tree.county_b, actor=people.city_cadre)
    client.force_login(people.outsider_cadre)
    assert list(client.get("/orders/dispatch/").context["page"].object_list) == [placed]
    assert client.get(f"/orders/dispatch/{placed.pk}/").status_code == 200
    client.force_login(people.county_cadre)
    assert list(client.get("/orders/dispatch/").context["page"].object_list) == []
    assert client.get(f"/orders/dispatch/{placed.pk}/").status_code == 404


def test_volunteers_and_their_hours_follow_too(tree, people):
    # given: the persona volunteer of village A, with hours
    volunteer = Volunteer.objects.get(user=people.volunteer)
    assert hours_credit(volunteer_id=volunteer.pk, source="order", source_id=1, hours=Decimal(2))
    # when: township A moves to county B
    move(tree.township_a, tree.county_b, actor=people.city_cadre)
    # then
    volunteer.refresh_from_db()
    entry = HoursEntry.objects.get()
    for row in (volunteer, entry):
        assert (row.township_id, row.county_id) == (tree.township_a.pk, tree.county_b.pk)
    assert scope_queryset(Volunteer.objects.all(), people.outsider_cadre, via="home_center")
    assert not scope_queryset(Volunteer.objects.all(), people.county_cadre, via="home_center")
    entries = HoursEntry.objects.all()
    assert scope_queryset(entries, people.outsider_cadre, via="home_center").get() == entry


def test_a_base_under_a_village_moves_with_it(tree, people):
    # given: a base hanging under village A2, a volunteer living at it
    base = center_save(
        actor=None,
        center=Center(parent=tree.village_a2, name="新园基地", code="B4304050071", kind="base"),
    )
    user = User.objects.create_user(phone="13500009999", password="x", name="基地志愿者")
    at_base = volunteer_create(
        user=user,
        real_name="基地志愿者",
        id_number=compose_id_number("430405", datetime.date(1980, 1, 1), 77),
        home_center=base,
        status=Volunteer.Status.ACTIVE,
    )
    # when
    move(tree.village_a2, tree.township_a2)
    # then
    at_base.refresh_from_db()
    assert (at_base.township_id, at_base.county_id) == (tree.township_a2.pk, tree.county_a.pk)


def test_a_move_costs_one_update_per_model_whatever_the_rows(tree, people, placed):
    # given: rows of every following model under township A, in two villages
    make_volunteer(403, tree.village_a2, cadre=people.city_cadre)
    following = models_following_moves()
    township = Center.objects.get(pk=tree.township_a.pk)
    township.parent = Center.objects.get(pk=tree.county_b.pk)
    township.save()
    # when
    with CaptureQueriesContext(connection) as queries:
        refresh_copied_ancestors(township)
    # then: its villages share the new path, so one statement per model, and no row read
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements.count("UPDATE") == len(following)
    assert len(statements) == len(following) + 3  # the center, the chain above, the subtree


# ---------------------------------------------------------------------------------------------
# practice builds on nothing above it


BUILT_ON_PRACTICE = ("volunteers", "orders", "points")


def _imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def _lazy_references_of(path: Path) -> set[str]:
    """String constants that name a module or model of the apps above ("volunteers.Skill",
    import_module("orders.services")): a dependency all the same."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.split(".")[0] in BUILT_ON_PRACTICE and "." in node.value:
                found.add(node.value)
    return found


def test_practice_imports_nothing_of_the_apps_built_on_it():
    modules = sorted(PRACTICE.rglob("*.py"))
    assert len(modules) > 10
    offending = {
        str(path.relative_to(PRACTICE)): sorted(
            name for name in _imports_of(path) if name.split(".")[0] in BUILT_ON_PRACTICE
        )
        for path in modules
    }
    assert {path: names for path, names in offending.items() if names} == {}
    # Past migrations keep their historic references (0003 made the skills table with a
    # foreign key to volunteers.Skill); the code does not.
    code = [path for path in modules if "migrations" not in path.parts]
    lazy = {str(path.relative_to(PRACTICE)): _lazy_references_of(path) for path in code}
    assert {path: names for path, names in lazy.items() if names} == {}


def test_the_import_check_can_fail(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from volunteers.models import Skill\nimport orders.services\n"
        "x = models.ManyToManyField('volunteers.Skill')\n",
        encoding="utf-8",
    )
    assert _imports_of(planted) == {"volunteers.models", "orders.services"}
    assert _lazy_references_of(planted) == {"volunteers.Skill"}
