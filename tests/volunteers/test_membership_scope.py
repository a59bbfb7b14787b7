"""Memberships copy their team's center and the township, county and city above it
(TeamMembership.center, township, county, city), and every cadre's memberships are narrowed
on those columns: the answer must be the tree's for every persona and every tier of team,
the copies must follow a center's move and a team's, and the migration's fill must write
what team_member_add writes."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from practice.models import Center
from practice.scoping import _covering_roles, scope_queryset
from practice.services import center_save
from tests.factories.volunteers import make_member
from volunteers.models import Team, TeamMembership
from volunteers.services import team_member_add, team_save

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:volunteers_teammembership_changelist")


def _team(center: Center, name: str, kind: str = Team.Kind.STANDING) -> Team:
    specialty = "" if kind == Team.Kind.STANDING else "elders"
    return team_save(
        actor=None, team=Team(center=center, kind=kind, specialty=specialty, name=name)
    )


@pytest.fixture
def teams(people, tree) -> SimpleNamespace:
    """A team at every tier above village A, each with village A's member; village B's
    unit with village B's member."""
    member_a = make_member(1, tree.village_a)
    member_b = make_member(2, tree.village_b)
    found = SimpleNamespace(
        city=_team(tree.city, "衡阳市总队"),
        county=_team(tree.county_a, "珠晖区大队"),
        township=_team(tree.township_a, "衡州路分队"),
        elders=_team(tree.township_a, "衡州路五老队", kind=Team.Kind.SPECIALIST),
        village=_team(tree.village_a, "王江社区小队"),
        village_b=_team(tree.village_b, "雁峰小队"),
    )
    for team in (found.city, found.county, found.township, found.elders, found.village):
        team_member_add(actor=people.city_cadre, team=team, volunteer=member_a)
    team_member_add(actor=people.city_cadre, team=found.village_b, volunteer=member_b)
    return found


def _path(membership: TeamMembership) -> tuple[int | None, ...]:
    membership.refresh_from_db()
    return (
        membership.center_id,
        membership.township_id,
        membership.county_id,
        membership.city_id,
    )


def test_team_member_add_copies_the_teams_center_and_the_path_above_it(tree, teams):
    def path_in(team: Team) -> tuple[int | None, ...]:
        return _path(TeamMembership.objects.get(team=team))

    city, county, township = tree.city.pk, tree.county_a.pk, tree.township_a.pk
    assert path_in(teams.city) == (city, None, None, city)
    assert path_in(teams.county) == (county, None, county, city)
    assert path_in(teams.township) == (township, township, county, city)
    assert path_in(teams.village) == (tree.village_a.pk, township, county, city)


PERSONAS = ["city_cadre", "county_cadre", "township_cadre", "village_cadre", "outsider_cadre"]
SEEN = {
    "city_cadre": {
        "衡阳市总队",
        "珠晖区大队",
        "衡州路分队",
        "衡州路五老队",
        "王江社区小队",
        "雁峰小队",
    },
    "county_cadre": {"珠晖区大队", "衡州路分队", "衡州路五老队", "王江社区小队"},
    "township_cadre": {"衡州路分队", "衡州路五老队", "王江社区小队"},
    "village_cadre": {"王江社区小队"},
    "outsider_cadre": {"雁峰小队"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_copied_column_scope_is_the_trees_answer(people, teams, persona):
    user = getattr(people, persona)

    by_columns = scope_queryset(TeamMembership.objects.all(), user, via="center")
    by_tree = TeamMembership.objects.filter(_covering_roles(user, "team__center"))

    assert set(by_columns) == set(by_tree)
    assert {m.team.name for m in by_columns} == SEEN[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_cadre_lists_the_memberships_of_their_subtree_only(client, people, teams, persona):
    client.force_login(getattr(people, persona))

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert {m.team.name for m in response.context["cl"].result_list} == SEEN[persona]


def test_a_membership_outside_the_subtree_is_absent_from_the_admin(client, people, teams):
    outside = TeamMembership.objects.get(team=teams.village_b)
    client.force_login(people.county_cadre)

    response = client.get(reverse("admin:volunteers_teammembership_change", args=[outside.pk]))

    assert response.status_code == 404


def test_a_township_moved_to_another_county_takes_its_memberships_there(people, tree, teams):
    moving = Center.objects.get(pk=tree.township_a.pk)
    moving.parent = Center.objects.get(pk=tree.county_b.pk)

    center_save(actor=None, center=moving)

    village = TeamMembership.objects.get(team=teams.village)
    assert _path(village) == (tree.village_a.pk, tree.township_a.pk, tree.county_b.pk, tree.city.pk)
    township = TeamMembership.objects.get(team=teams.township)
    assert _path(township)[1:] == (tree.township_a.pk, tree.county_b.pk, tree.city.pk)
    assert _path(TeamMembership.objects.get(team=teams.county))[2] == tree.county_a.pk
    seen_by_b = scope_queryset(TeamMembership.objects.all(), people.outsider_cadre, via="center")
    assert {m.team.name for m in seen_by_b} == {
        "衡州路分队",
        "衡州路五老队",
        "王江社区小队",
        "雁峰小队",
    }
    seen_by_a = scope_queryset(TeamMembership.objects.all(), people.county_cadre, via="center")
    assert {m.team.name for m in seen_by_a} == {"珠晖区大队"}


def test_a_team_moved_to_another_center_takes_its_memberships_along(people, tree, teams):
    elders = Team.objects.get(pk=teams.elders.pk)
    elders.center = Center.objects.get(pk=tree.county_a.pk)

    team_save(actor=people.county_cadre, team=elders)

    membership = TeamMembership.objects.get(team=elders)
    assert _path(membership) == (tree.county_a.pk, None, tree.county_a.pk, tree.city.pk)
    seen = scope_queryset(TeamMembership.objects.all(), people.township_cadre, via="center")
    assert "衡州路五老队" not in {m.team.name for m in seen}


def test_the_migrations_fill_writes_what_team_member_add_writes(teams):
    written = {m.pk: _path(m) for m in TeamMembership.objects.all()}
    TeamMembership.objects.update(center=None, township=None, county=None, city=None)
    fill = importlib.import_module("volunteers.migrations.0012_membership_copied_ancestors")

    with connection.schema_editor() as schema_editor:
        fill.fill_center(apps, schema_editor)
        fill.fill_paths(apps, schema_editor)

    assert {m.pk: _path(m) for m in TeamMembership.objects.all()} == written
