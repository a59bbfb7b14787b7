"""Property: whatever sequence of moves the tree goes through (villages to other townships,
townships to other counties), every row of every model copying its center's ancestors
agrees with the tree, and each cadre's scoped list of each is the tree walk's answer."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from accounts.services import resident_register
from orders.services import order_place
from points.services.certificates import certificate_issue
from points.services.honours import honour_nominate
from points.services.leaderboards import team_summaries_rebuild
from points.services.ledger import rating_award, service_award
from points.services.proof import offline_claim_submit
from points.services.stars import recheck_drain, stars_recheck
from points.services.supermarket import redemption_request
from practice.ancestry import models_following_moves
from practice.catalogue import service_menu_install
from practice.models import Center, Kind, Level, Service
from practice.scoping import scope_queryset
from practice.services import center_save
from tests.conftest import PASSWORD
from tests.factories.supermarket import stock_item
from volunteers.identity import compose_id_number
from volunteers.models import Team, Volunteer
from volunteers.services import team_member_add, team_save, volunteer_create

pytestmark = pytest.mark.django_db

VILLAGES = ["village_a", "village_a2", "village_a3", "village_b", "village_b2", "base_a"]
MOVABLE_VILLAGES = [name for name in VILLAGES if name != "base_a"]
TOWNSHIPS = ["township_a", "township_a2", "township_b", "township_b2"]
COUNTIES = ["county_a", "county_b"]
CADRES = ["city_cadre", "county_cadre", "township_cadre", "village_cadre", "outsider_cadre"]

moves = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(MOVABLE_VILLAGES), st.sampled_from(TOWNSHIPS)),
        st.tuples(st.sampled_from(TOWNSHIPS), st.sampled_from(COUNTIES)),
    ),
    min_size=1,
    max_size=5,
)


@pytest.fixture
def world(tree, people, probe_models):
    """The small tree with a second township and village in county B and a base under
    village A; at each village-level center a volunteer with hours, points, a first star
    eligible, a 补录 claim and a service certificate, an order with a 1-star review, a
    love-supermarket redemption, and a row of the unregistered probe ledger; a nomination
    for the year's honours; the teams' leaderboard rows."""
    centers = {name: getattr(tree, name) for name in vars(tree)}
    centers["township_b2"] = center_save(
        actor=None, center=Center(parent=tree.county_b, name="乙镇", code="430406002")
    )
    centers["village_b2"] = center_save(
        actor=None,
        center=Center(parent=centers["township_b2"], name="乙村", code="430406002001"),
    )
    centers["base_a"] = center_save(
        actor=None,
        center=Center(parent=tree.village_a, name="王江基地", code="B430405007", kind=Kind.BASE),
    )
    service_menu_install(city=tree.city)
    errand = Service.objects.get(center=tree.city, name="买菜送药")
    following, _audit = probe_models
    members: dict[str, Volunteer] = {}
    for number, name in enumerate(VILLAGES, start=1):
        place = centers[name]
        user = resident_register(
            phone=f"1360000{number:04d}", name=f"居民{number}", password=PASSWORD
        )
        volunteer = volunteer_create(
            user=user,
            real_name=f"居民{number}",
            id_number=compose_id_number("430405", datetime.date(1988, 1, 1), number),
            home_center=place,
            status=Volunteer.Status.ACTIVE,
        )
        # Hours and the points they earn (both ledgers copy the volunteer's home), enough
        # for the first star, whose certification copies the home too.
        assert service_award(
            volunteer_id=volunteer.pk, source="order", source_id=number, hours=Decimal(100)
        )
        assert stars_recheck(volunteer_ids=[volunteer.pk]) == [(volunteer.pk, 1)]
        # The drain the worker runs after the award writes the year's figures.
        recheck_drain()
        # 补录 waiting for a cadre copies the volunteer's home too.
        offline_claim_submit(
            volunteer=volunteer,
            served_on=timezone.localdate(),
            hours=Decimal(2),
            description="线下服务",
        )
        # A nomination for the year's honours copies the home as well.
        honour_nominate(
            actor=people.city_cadre,
            volunteer_id=volunteer.pk,
            year=timezone.localdate().year,
            reason="服务时长突出",
        )
        # A service certificate copies where the volunteer lives as well.
        today = timezone.localdate()
        certificate_issue(
            actor=people.city_cadre,
            volunteer_id=volunteer.pk,
            start=today - datetime.timedelta(days=30),
            end=today,
            issuing_center_id=volunteer.county_id,
        )
        order = order_place(
            resident=people.resident,
            service=errand,
            center=place,
            title=f"订单{number}",
            address="某处",
            contact_phone="13900000002",
        )
        assert order.township_id is not None
        # A 1-star rating's review copies the order's center, not the volunteer's home.
        assert rating_award(
            volunteer_id=volunteer.pk,
            order_id=order.pk,
            score=1,
            center_id=order.center_id,
            township_id=order.township_id,
            county_id=order.county_id,
        )
        township = (
            place.parent
            if place.level == Level.VILLAGE and place.kind != Kind.BASE
            else place.parent.parent
        )
        following.objects.create(place=place, place_township=township, place_county=township.parent)
        # A love-supermarket redemption copies its item's center and the path above it.
        item = stock_item(place, f"商品{number}")
        redemption_request(volunteer=volunteer, item_id=item.pk, quantity=1)
        members[name] = volunteer
    # And one at a township's own supermarket, whose row names the township itself.
    township_item = stock_item(tree.township_a, "街道商品")
    redemption_request(volunteer=members["village_a"], item_id=township_item.pk, quantity=1)
    # Memberships copy their team's center, which may be of any tier.
    for team_at, member_of in (
        ("village_a", "village_a"),
        ("township_a", "village_a2"),
        ("township_b", "village_b"),
        ("county_b", "village_b2"),
        ("city", "village_a3"),
    ):
        team = team_save(
            actor=None, team=Team(center=centers[team_at], kind="standing", name=f"{team_at}队")
        )
        team_member_add(actor=people.city_cadre, team=team, volunteer=members[member_of])
    # The team leaderboards copy their teams' memberships' places (from the hours summaries
    # the drains above wrote).
    assert team_summaries_rebuild() == 2 * 5
    return {name: center.pk for name, center in centers.items()}


def path_in_tree(center_id: int) -> tuple[int | None, int | None, int | None]:
    """The nearest township, county and city at or above the center."""
    chain = Center.objects.get(pk=center_id).get_ancestors(include_self=True)
    above = {c.level: c.pk for c in chain}
    return above.get(Level.TOWNSHIP), above.get(Level.COUNTY), above.get(Level.CITY)


def tree_walk_scope(user: User) -> set[int]:
    """The village-level centers under the user's roles, by walking the tree itself."""
    under: set[int] = set()
    for role in user.cadre_roles.all():
        center = Center.objects.get(pk=role.center_id)
        under |= set(center.get_descendants(include_self=True).values_list("pk", flat=True))
    return under


def assert_rows_agree_with_the_tree(people, probe) -> None:
    following = models_following_moves()
    assert probe in following
    paths: dict[int, tuple[int | None, int | None, int | None]] = {}
    for model in following:
        columns = model.scope_ancestors
        rows = model._base_manager.values_list(
            f"{columns.village}_id",
            f"{columns.township}_id",
            f"{columns.county}_id",
            f"{columns.city}_id" if columns.city else f"{columns.village}_id",
        )
        assert rows
        for village_id, township_id, county_id, city_id in rows:
            if village_id not in paths:
                paths[village_id] = path_in_tree(village_id)
            township, county, city = paths[village_id]
            assert (township_id, county_id) == (township, county), model
            if columns.city:
                assert city_id == city, model
    for persona in CADRES:
        cadre = getattr(people, persona)
        under = tree_walk_scope(cadre)
        for model in following:
            columns = model.scope_ancestors
            everything = model._base_manager.all()
            scoped = scope_queryset(everything, cadre, via=columns.village)
            walked = everything.filter(**{f"{columns.village}_id__in": under})
            assert set(scoped.values_list("pk", flat=True)) == set(
                walked.values_list("pk", flat=True)
            ), (persona, model)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=moves)
def test_every_copy_follows_every_sequence_of_moves(world, people, probe_models, sequence):
    # Each example starts from the same world: its moves are rolled back at its end.
    with transaction.atomic():
        for moving, under in sequence:
            center = Center.objects.get(pk=world[moving])
            center.parent = Center.objects.get(pk=world[under])
            center_save(actor=None, center=center)
            assert_rows_agree_with_the_tree(people, probe_models[0])
        transaction.set_rollback(True)
