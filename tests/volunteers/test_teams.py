"""Teams and memberships: volunteers.services team_* and the team selectors."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import ConflictError, DomainError, NotInScope
from practice.models import Center
from tests.factories.volunteers import make_member as make_volunteer
from volunteers.models import Team, TeamMembership, Volunteer
from volunteers.selectors import can_manage_members, current_members, teams_visible_to
from volunteers.services import (
    team_member_add,
    team_member_remove,
    team_member_set_role,
    team_save,
)

pytestmark = pytest.mark.django_db


def refused(exception_type, call, **kwargs) -> DomainError:
    with pytest.raises(exception_type) as caught:
        call(**kwargs)
    assert type(caught.value) is exception_type
    return caught.value


def standing(center: Center, name: str) -> Team:
    return team_save(actor=None, team=Team(center=center, kind=Team.Kind.STANDING, name=name))


@pytest.fixture
def teams(tree, people) -> SimpleNamespace:
    """A village unit (小队) in county A with the persona volunteer as its leader, a plain
    member, and a squad in county B."""
    unit = standing(tree.village_a, "王江社区志愿服务小队")
    leader = Volunteer.objects.get(user=people.volunteer)
    member = make_volunteer(1, tree.village_a)
    team_member_add(
        actor=people.township_cadre, team=unit, volunteer=leader, role=TeamMembership.Role.LEADER
    )
    team_member_add(actor=people.township_cadre, team=unit, volunteer=member)
    return SimpleNamespace(
        unit=unit,
        leader=leader,
        member=member,
        newcomer=make_volunteer(2, tree.village_a),
        neighbour=make_volunteer(7, tree.village_a2),
        squad_b=standing(tree.township_b, "天马山街道志愿服务分队"),
    )


# --- team_save ---------------------------------------------------------------------------


def test_a_cadre_creates_the_standing_team_of_a_center_in_scope(tree, people):
    team = team_save(
        actor=people.county_cadre,
        team=Team(
            center=tree.township_a,
            kind=Team.Kind.STANDING,
            name="  衡州路街道分队 ",
            specialty=Team.Specialty.ELDERS,
        ),
    )

    saved = Team.objects.get(pk=team.pk)
    assert saved.name == "衡州路街道分队"
    assert saved.specialty == ""
    assert saved.center == tree.township_a
    assert saved.tier_name == "分队"


def test_one_standing_team_per_center(tree, people):
    standing(tree.county_a, "珠晖区志愿服务大队")

    error = refused(
        DomainError,
        team_save,
        actor=people.county_cadre,
        team=Team(center=tree.county_a, kind=Team.Kind.STANDING, name="第二大队"),
    )

    assert error.message == "该阵地已有常设志愿服务队。"
    assert error.field is None
    assert Team.objects.filter(center=tree.county_a).count() == 1


def test_specialist_teams_sit_beside_the_standing_team(tree, people):
    standing(tree.county_a, "珠晖区志愿服务大队")

    lecturers = team_save(
        actor=people.county_cadre,
        team=Team(
            center=tree.county_a,
            kind=Team.Kind.SPECIALIST,
            name="珠晖区讲师团",
            specialty=Team.Specialty.LECTURER,
        ),
    )
    elders = team_save(
        actor=people.county_cadre,
        team=Team(
            center=tree.county_a,
            kind=Team.Kind.SPECIALIST,
            name="珠晖区五老队",
            specialty=Team.Specialty.ELDERS,
        ),
    )

    assert Team.objects.filter(center=tree.county_a).count() == 3
    assert lecturers.tier_name == "讲师团"
    assert elders.tier_name == "五老志愿服务队"


def test_a_specialist_team_requires_a_specialty(tree, people):
    error = refused(
        DomainError,
        team_save,
        actor=people.county_cadre,
        team=Team(center=tree.county_a, kind=Team.Kind.SPECIALIST, name="讲师团"),
    )

    assert error.message == "专业队伍须选择专业方向，常设队伍不填。"
    assert not Team.objects.exists()


def test_a_team_needs_a_name(tree, people):
    error = refused(
        DomainError,
        team_save,
        actor=people.county_cadre,
        team=Team(center=tree.county_a, kind=Team.Kind.STANDING, name="   "),
    )

    assert error.field == "name"
    assert not Team.objects.exists()


@pytest.mark.parametrize(
    ("cadre", "center"),
    [
        ("outsider_cadre", "county_a"),
        ("township_cadre", "county_a"),
        ("township_cadre", "township_a2"),
        ("village_cadre", "village_a2"),
    ],
)
def test_a_cadre_cannot_create_a_team_out_of_scope(tree, people, cadre, center):
    error = refused(
        NotInScope,
        team_save,
        actor=getattr(people, cadre),
        team=Team(center=getattr(tree, center), kind=Team.Kind.STANDING, name="越界队伍"),
    )

    assert error.code == "center_not_in_scope"
    assert not Team.objects.exists()


def test_a_cadre_cannot_move_a_team_out_of_their_scope(tree, people, teams):
    team = Team.objects.get(pk=teams.unit.pk)
    team.center = tree.village_a2

    refused(NotInScope, team_save, actor=people.outsider_cadre, team=team)
    team.center = tree.village_b
    refused(NotInScope, team_save, actor=people.county_cadre, team=team)

    assert Team.objects.get(pk=teams.unit.pk).center == tree.village_a


# --- team_member_add ---------------------------------------------------------------------


def test_a_cadre_in_scope_adds_a_member(tree, people, teams):
    membership = team_member_add(
        actor=people.county_cadre,
        team=teams.unit,
        volunteer=teams.newcomer,
        role=TeamMembership.Role.DEPUTY,
    )

    saved = TeamMembership.objects.get(team=teams.unit, volunteer=teams.newcomer)
    assert saved.pk == membership.pk
    assert saved.role == TeamMembership.Role.DEPUTY
    assert saved.joined_on == timezone.localdate()
    assert saved.left_on is None


def test_the_leader_adds_a_member(tree, people, teams):
    team_member_add(
        actor=people.volunteer,
        team=teams.unit,
        volunteer=teams.newcomer,
        joined_on=datetime.date(2026, 1, 1),
    )

    saved = TeamMembership.objects.get(team=teams.unit, volunteer=teams.newcomer)
    assert saved.role == TeamMembership.Role.MEMBER
    assert saved.joined_on == datetime.date(2026, 1, 1)


def test_a_plain_member_cannot_add(tree, people, teams):
    error = refused(
        NotInScope,
        team_member_add,
        actor=teams.member.user,
        team=teams.unit,
        volunteer=teams.newcomer,
    )

    assert error.code == "team_not_managed"
    assert not TeamMembership.objects.filter(volunteer=teams.newcomer).exists()


@pytest.mark.parametrize("actor", ["outsider_cadre", "resident"])
def test_an_outsider_cannot_add(tree, people, teams, actor):
    error = refused(
        NotInScope,
        team_member_add,
        actor=getattr(people, actor),
        team=teams.unit,
        volunteer=teams.newcomer,
    )

    assert error.code == "team_not_managed"
    assert error.message == "队伍不存在或您无权管理。"
    assert not TeamMembership.objects.filter(volunteer=teams.newcomer).exists()


def test_the_leader_of_one_team_cannot_manage_another(tree, people, teams):
    other = standing(tree.village_a2, "新园社区小队")

    refused(
        NotInScope, team_member_add, actor=people.volunteer, team=other, volunteer=teams.newcomer
    )

    assert not other.memberships.exists()


@pytest.mark.parametrize(
    "status", [Volunteer.Status.PENDING, Volunteer.Status.SUSPENDED, Volunteer.Status.LEFT]
)
def test_only_active_volunteers_join(tree, people, teams, status):
    applicant = make_volunteer(3, tree.village_a, status=status)

    error = refused(
        DomainError,
        team_member_add,
        actor=people.township_cadre,
        team=teams.unit,
        volunteer=applicant,
    )

    assert error.code == "volunteer_not_active"
    assert error.message == "只有在册志愿者可以入队。"
    assert not TeamMembership.objects.filter(volunteer=applicant).exists()


def test_adding_twice_is_refused(tree, people, teams):
    error = refused(
        DomainError,
        team_member_add,
        actor=people.township_cadre,
        team=teams.unit,
        volunteer=teams.member,
    )

    assert error.code == "already_member"
    assert error.message == "该志愿者已在此队伍中。"
    assert TeamMembership.objects.filter(team=teams.unit, volunteer=teams.member).count() == 1


def test_an_unknown_role_is_refused(tree, people, teams):
    error = refused(
        DomainError,
        team_member_add,
        actor=people.township_cadre,
        team=teams.unit,
        volunteer=teams.newcomer,
        role="captain",
    )

    assert (error.code, error.field) == ("role_invalid", "role")
    assert not TeamMembership.objects.filter(volunteer=teams.newcomer).exists()


def test_a_volunteer_may_be_in_several_teams(tree, people, teams):
    lecturers = team_save(
        actor=None,
        team=Team(
            center=tree.county_a,
            kind=Team.Kind.SPECIALIST,
            name="讲师团",
            specialty=Team.Specialty.LECTURER,
        ),
    )

    team_member_add(actor=people.county_cadre, team=lecturers, volunteer=teams.member)

    assert TeamMembership.objects.filter(volunteer=teams.member, left_on=None).count() == 2


# --- where a team recruits ---------------------------------------------------------------

OUTSIDE_AREA = "只能添加家住本队所在阵地（含下级村、社区）的志愿者。"


@pytest.mark.parametrize("actor", ["county_cadre", "township_cadre", "city_cadre", "leader"])
def test_a_village_unit_takes_no_one_from_another_village(tree, people, teams, actor):
    # given: the neighbour lives in village A2, in every cadre's scope but not the unit's
    user = people.volunteer if actor == "leader" else getattr(people, actor)

    # when
    error = refused(
        DomainError, team_member_add, actor=user, team=teams.unit, volunteer=teams.neighbour
    )

    # then
    assert (error.code, error.field, error.message) == (
        "volunteer_outside_team_area",
        "volunteer",
        OUTSIDE_AREA,
    )
    assert not TeamMembership.objects.filter(volunteer=teams.neighbour).exists()


def test_a_cadre_cannot_pull_in_a_volunteer_from_outside_their_subtree(tree, people, teams):
    # given: a volunteer of county B, and county A's brigade
    stranger = make_volunteer(8, tree.village_b)
    brigade = standing(tree.county_a, "珠晖区志愿服务大队")

    # when: county A's cadre, and county B's cadre for their own squad with a county A volunteer
    into_a = refused(
        DomainError, team_member_add, actor=people.county_cadre, team=brigade, volunteer=stranger
    )
    into_b = refused(
        DomainError,
        team_member_add,
        actor=people.outsider_cadre,
        team=teams.squad_b,
        volunteer=teams.newcomer,
    )

    # then
    assert into_a.code == into_b.code == "volunteer_outside_team_area"
    assert not TeamMembership.objects.filter(team__in=[brigade, teams.squad_b]).exists()


def test_a_team_recruits_from_its_whole_subtree(tree, people, teams):
    # given: teams at the township, the county and the city
    township = standing(tree.township_a, "衡州路街道分队")
    county = standing(tree.county_a, "珠晖区大队")
    city = standing(tree.city, "衡阳市总队")
    far = make_volunteer(8, tree.village_a3)
    stranger = make_volunteer(9, tree.village_b)

    # when
    team_member_add(actor=people.township_cadre, team=township, volunteer=teams.neighbour)
    team_member_add(actor=people.county_cadre, team=county, volunteer=far)
    team_member_add(actor=people.city_cadre, team=city, volunteer=stranger)

    # then
    assert set(TeamMembership.objects.values_list("team", "volunteer")) >= {
        (township.pk, teams.neighbour.pk),
        (county.pk, far.pk),
        (city.pk, stranger.pk),
    }
    # and the township team still refuses the next township's volunteer
    refused(DomainError, team_member_add, actor=people.county_cadre, team=township, volunteer=far)


def test_the_area_is_checked_before_anything_about_the_volunteer(tree, people, teams):
    # A leader has no scope: "not active" would tell them about someone living elsewhere.
    pending = make_volunteer(8, tree.village_a2, status=Volunteer.Status.PENDING)

    error = refused(
        DomainError, team_member_add, actor=people.volunteer, team=teams.unit, volunteer=pending
    )

    assert error.code == "volunteer_outside_team_area"


def test_the_area_is_judged_on_the_stored_home_not_the_callers_instance(tree, people, teams):
    # given: an instance that claims the neighbour lives in village A
    neighbour = Volunteer.objects.get(pk=teams.neighbour.pk)
    neighbour.home_center = tree.village_a

    refused(
        DomainError,
        team_member_add,
        actor=people.county_cadre,
        team=teams.unit,
        volunteer=neighbour,
    )

    assert not TeamMembership.objects.filter(volunteer=teams.neighbour).exists()


# --- remove and set_role -----------------------------------------------------------------


def test_remove_closes_the_membership_and_allows_rejoining(tree, people, teams):
    membership = TeamMembership.objects.get(team=teams.unit, volunteer=teams.member)

    # when
    team_member_remove(actor=people.volunteer, membership=membership)

    # then: the row stays, closed today
    closed = TeamMembership.objects.get(pk=membership.pk)
    assert closed.left_on == timezone.localdate()
    # and the volunteer can join again, on a new row
    again = team_member_add(actor=people.township_cadre, team=teams.unit, volunteer=teams.member)
    assert again.pk != membership.pk
    assert list(
        TeamMembership.objects.filter(team=teams.unit, volunteer=teams.member)
        .order_by("pk")
        .values_list("left_on", flat=True)
    ) == [timezone.localdate(), None]


def test_removing_twice_is_a_conflict(tree, people, teams):
    membership = TeamMembership.objects.get(team=teams.unit, volunteer=teams.member)
    team_member_remove(actor=people.township_cadre, membership=membership)

    error = refused(
        ConflictError, team_member_remove, actor=people.township_cadre, membership=membership
    )

    assert error.code == "already_left"
    assert error.message == "该队员已离队。"


@pytest.mark.parametrize("actor", ["outsider_cadre", "resident"])
def test_an_outsider_cannot_remove_or_change_roles(tree, people, teams, actor):
    membership = TeamMembership.objects.get(team=teams.unit, volunteer=teams.member)

    refused(NotInScope, team_member_remove, actor=getattr(people, actor), membership=membership)
    refused(
        NotInScope,
        team_member_set_role,
        actor=getattr(people, actor),
        membership=membership,
        role=TeamMembership.Role.DEPUTY,
    )

    unchanged = TeamMembership.objects.get(pk=membership.pk)
    assert (unchanged.left_on, unchanged.role) == (None, TeamMembership.Role.MEMBER)


def test_a_plain_member_cannot_remove_anyone(tree, people, teams):
    leadership = TeamMembership.objects.get(team=teams.unit, volunteer=teams.leader)

    refused(NotInScope, team_member_remove, actor=teams.member.user, membership=leadership)

    assert TeamMembership.objects.get(pk=leadership.pk).left_on is None


def test_set_role_promotes_a_member_who_then_manages(tree, people, teams):
    membership = TeamMembership.objects.get(team=teams.unit, volunteer=teams.member)
    assert not can_manage_members(teams.member.user, teams.unit)

    team_member_set_role(
        actor=people.volunteer, membership=membership, role=TeamMembership.Role.DEPUTY
    )

    assert TeamMembership.objects.get(pk=membership.pk).role == TeamMembership.Role.DEPUTY
    assert can_manage_members(teams.member.user, teams.unit)


def test_set_role_refuses_an_unknown_role(tree, people, teams):
    membership = TeamMembership.objects.get(team=teams.unit, volunteer=teams.member)

    error = refused(
        DomainError,
        team_member_set_role,
        actor=people.township_cadre,
        membership=membership,
        role="captain",
    )

    assert (error.code, error.field) == ("role_invalid", "role")
    assert TeamMembership.objects.get(pk=membership.pk).role == TeamMembership.Role.MEMBER


# --- selectors ---------------------------------------------------------------------------


def team_names(user) -> set[str]:
    return set(teams_visible_to(user).values_list("name", flat=True))


def test_cadres_see_the_teams_of_their_subtree(tree, people, teams):
    standing(tree.township_a2, "广东路街道分队")
    standing(tree.city, "衡阳市志愿服务总队")

    assert team_names(people.city_cadre) == {
        "王江社区志愿服务小队",
        "天马山街道志愿服务分队",
        "广东路街道分队",
        "衡阳市志愿服务总队",
    }
    assert team_names(people.county_cadre) == {"王江社区志愿服务小队", "广东路街道分队"}
    assert team_names(people.township_cadre) == {"王江社区志愿服务小队"}
    assert team_names(people.village_cadre) == {"王江社区志愿服务小队"}
    assert team_names(people.outsider_cadre) == {"天马山街道志愿服务分队"}


def test_volunteers_see_only_their_own_teams(tree, people, teams):
    standing(tree.village_a2, "新园社区小队")

    assert team_names(people.volunteer) == {"王江社区志愿服务小队"}
    assert team_names(teams.member.user) == {"王江社区志愿服务小队"}
    assert team_names(teams.newcomer.user) == set()
    assert team_names(people.resident) == set()


def test_a_volunteer_who_left_no_longer_sees_the_team(tree, people, teams):
    membership = TeamMembership.objects.get(team=teams.unit, volunteer=teams.member)
    team_member_remove(actor=people.township_cadre, membership=membership)

    assert team_names(teams.member.user) == set()
    # and a closed row plus a new open one do not list the team twice
    team_member_add(actor=people.township_cadre, team=teams.unit, volunteer=teams.member)
    assert list(teams_visible_to(teams.member.user)) == [teams.unit]


def test_can_manage_members(tree, people, teams):
    assert can_manage_members(people.city_cadre, teams.unit)
    assert can_manage_members(people.village_cadre, teams.unit)
    assert can_manage_members(people.volunteer, teams.unit)
    assert not can_manage_members(teams.member.user, teams.unit)
    assert not can_manage_members(people.outsider_cadre, teams.unit)
    assert not can_manage_members(people.resident, teams.unit)
    assert not can_manage_members(people.volunteer, teams.squad_b)
    assert can_manage_members(people.outsider_cadre, teams.squad_b)


def test_a_leader_who_left_no_longer_manages(tree, people, teams):
    leadership = TeamMembership.objects.get(team=teams.unit, volunteer=teams.leader)

    team_member_remove(actor=people.township_cadre, membership=leadership)

    assert not can_manage_members(people.volunteer, teams.unit)


def test_a_suspended_leader_no_longer_manages(tree, people, teams):
    Volunteer.objects.filter(pk=teams.leader.pk).update(status=Volunteer.Status.SUSPENDED)

    assert not can_manage_members(people.volunteer, teams.unit)


def test_set_role_refuses_a_membership_that_ended(tree, people, teams):
    membership = TeamMembership.objects.get(team=teams.unit, volunteer=teams.member)
    team_member_remove(actor=people.township_cadre, membership=membership)

    error = refused(
        ConflictError,
        team_member_set_role,
        actor=people.township_cadre,
        membership=TeamMembership.objects.get(pk=membership.pk),
        role=TeamMembership.Role.DEPUTY,
    )

    assert error.code == "already_left"
    assert TeamMembership.objects.get(pk=membership.pk).role == TeamMembership.Role.MEMBER


def test_current_members_leave_out_those_who_left(tree, people, teams):
    membership = TeamMembership.objects.get(team=teams.unit, volunteer=teams.member)
    team_member_add(actor=people.township_cadre, team=teams.unit, volunteer=teams.newcomer)
    team_member_remove(actor=people.township_cadre, membership=membership)

    members = list(current_members(teams.unit))

    assert [(m.volunteer, m.role) for m in members] == [
        (teams.leader, TeamMembership.Role.LEADER),
        (teams.newcomer, TeamMembership.Role.MEMBER),
    ]


def read_roster(team: Team) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        names = [m.volunteer.user.name for m in current_members(team)]
    return len(captured.captured_queries), names


def test_current_members_cost_one_query_however_many(tree, people, teams):
    queries_small, names_small = read_roster(teams.unit)
    for number in range(10, 20):
        team_member_add(
            actor=people.township_cadre,
            team=teams.unit,
            volunteer=make_volunteer(number, tree.village_a),
        )

    queries_large, names_large = read_roster(teams.unit)

    assert len(names_small) == 2
    assert len(names_large) == 12
    assert queries_small == queries_large == 1


def test_a_concurrent_add_is_decided_by_the_unique_constraint(tree, people, teams, monkeypatch):
    # given: the other add lands between the check and the insert, so the check passes
    monkeypatch.setattr("volunteers.services.teams.team_member_validate", lambda **kwargs: None)

    # when
    error = refused(
        DomainError,
        team_member_add,
        actor=people.township_cadre,
        team=teams.unit,
        volunteer=teams.member,
    )

    # then
    assert error.code == "already_member"
    assert TeamMembership.objects.filter(team=teams.unit, volunteer=teams.member).count() == 1
