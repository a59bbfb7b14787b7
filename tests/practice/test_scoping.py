from __future__ import annotations

import datetime

import pytest

from accounts.services import resident_register
from practice.models import Center
from practice.scoping import _covering_roles, scope_queryset, visible_centers
from practice.services import cadre_role_grant, center_save
from tests.conftest import PASSWORD
from volunteers.identity import compose_id_number
from volunteers.models import Volunteer
from volunteers.services import volunteer_create


@pytest.mark.django_db
def test_each_cadre_sees_exactly_their_subtree(people, tree):
    # given the personas of the small tree
    # when each asks for their visible centers
    seen = {
        name: set(visible_centers(getattr(people, name)).values_list("code", flat=True))
        for name in [
            "city_cadre",
            "county_cadre",
            "township_cadre",
            "village_cadre",
            "outsider_cadre",
        ]
    }
    # then
    assert len(seen["city_cadre"]) == 10
    assert seen["county_cadre"] == {
        "430405",
        "430405007",
        "430405007006",
        "430405007007",
        "430405009",
        "430405009007",
    }
    assert seen["township_cadre"] == {"430405007", "430405007006", "430405007007"}
    assert seen["village_cadre"] == {"430405007006"}
    assert seen["outsider_cadre"] == {"430406", "430406001", "430406001001"}


@pytest.mark.django_db
def test_residents_and_volunteers_manage_nothing(people):
    assert not visible_centers(people.resident).exists()
    assert not visible_centers(people.volunteer).exists()


@pytest.mark.django_db
def test_the_copied_column_scope_agrees_with_the_tree_for_every_persona(people, tree):
    """Volunteers are scoped on their copied county/township/village columns; the answer must
    be the tree's answer, for every tier of role, several roles at once, and a base."""
    # given a volunteer in every village and one at a base under a village; a county B
    # cadre who also holds a township role in county A; a cadre of the base's village
    base = center_save(
        actor=None,
        center=Center(parent=tree.village_a2, name="版画基地", code="430405007007B1", kind="base"),
    )
    homes = [tree.village_a, tree.village_a2, tree.village_a3, tree.village_b, base]
    for number, home in enumerate(homes):
        user = resident_register(
            phone=f"1330000{number:04d}", name=f"甲{number}", password=PASSWORD
        )
        volunteer_create(
            user=user,
            real_name=f"甲{number}",
            id_number=compose_id_number("430405", datetime.date(1985, 5, 5), 300 + number),
            home_center=home,
        )
    two_roles = people.outsider_cadre
    cadre_role_grant(actor=None, user=two_roles, center=tree.township_a2)
    village_base_cadre = resident_register(phone="13300009999", name="基地", password=PASSWORD)
    cadre_role_grant(actor=None, user=village_base_cadre, center=tree.village_a2)
    personas = [
        people.city_cadre,
        people.county_cadre,
        people.township_cadre,
        people.village_cadre,
        two_roles,
        village_base_cadre,
        people.resident,
    ]
    for user in personas:
        # when
        by_columns = set(scope_queryset(Volunteer.objects.all(), user, via="home_center"))
        by_tree = set(Volunteer.objects.filter(_covering_roles(user, "home_center")))
        # then
        assert by_columns == by_tree, user.name
    assert (
        len(set(scope_queryset(Volunteer.objects.all(), village_base_cadre, via="home_center")))
        == 2
    )
    assert {
        v.home_center for v in scope_queryset(Volunteer.objects.all(), two_roles, via="home_center")
    } == {
        tree.village_a3,
        tree.village_b,
    }


def _sql(queryset) -> str:
    return str(queryset.query)


@pytest.mark.django_db
def test_a_village_with_nothing_under_it_is_an_equality_and_one_with_a_base_its_subtree(
    people, tree
):
    from orders.models import Order

    # given the village cadre of 王江社区, a village with no base under it
    # when its orders and volunteers are scoped
    orders = _sql(scope_queryset(Order.objects.all(), people.village_cadre, via="center"))
    volunteers = _sql(
        scope_queryset(Volunteer.objects.all(), people.village_cadre, via="home_center")
    )
    # then each is one equality on the row's own column: the (center, -id) index yields
    # the page in order
    assert f'WHERE "orders_order"."center_id" = {tree.village_a.pk} ' in orders + " "
    assert f'WHERE "volunteers_volunteer"."home_center_id" = {tree.village_a.pk} ' in (
        volunteers + " "
    )
    # given a base under the village, the scope is the village's subtree again
    center_save(
        actor=None,
        center=Center(parent=tree.village_a, name="王江基地", code="430405007006B1", kind="base"),
    )
    orders = _sql(scope_queryset(Order.objects.all(), people.village_cadre, via="center"))
    assert '"orders_order"."center_id" IN (SELECT' in orders


@pytest.mark.django_db
def test_the_literal_ranges_of_given_roles_are_the_trees_answer(people, tree):
    from practice.models import CadreRole
    from practice.scoping import ROLE_COLUMNS

    # given a base under village A2 and a cadre of it, and a cadre holding two roles
    base = center_save(
        actor=None,
        center=Center(parent=tree.village_a2, name="版画基地", code="430405007007B1", kind="base"),
    )
    base_cadre = resident_register(phone="13300009998", name="基地干部", password=PASSWORD)
    cadre_role_grant(actor=None, user=base_cadre, center=tree.village_a2)
    cadre_role_grant(actor=None, user=people.outsider_cadre, center=tree.township_a2)
    personas = [
        people.city_cadre,
        people.county_cadre,
        people.township_cadre,
        people.village_cadre,
        people.outsider_cadre,
        base_cadre,
        people.resident,
    ]
    for user in personas:
        roles = list(CadreRole.objects.filter(user=user).values_list(*ROLE_COLUMNS))
        # when
        by_ranges = set(scope_queryset(Center.objects.all(), user, via="", roles=roles))
        by_tree = set(Center.objects.filter(_covering_roles(user, "")))
        # then
        assert by_ranges == by_tree, user.name
    village_cadre_roles = list(
        CadreRole.objects.filter(user=people.village_cadre).values_list(*ROLE_COLUMNS)
    )
    leaf = scope_queryset(
        Center.objects.all(), people.village_cadre, via="", roles=village_cadre_roles
    )
    assert f'WHERE "practice_center"."id" = {tree.village_a.pk}' in _sql(leaf)
    assert base in set(
        scope_queryset(
            Center.objects.all(),
            base_cadre,
            via="",
            roles=list(CadreRole.objects.filter(user=base_cadre).values_list(*ROLE_COLUMNS)),
        )
    )
