"""/api/v1/teams/: teams in scope, rosters with masked phones, adding and removing members."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.services import resident_register
from practice.services import cadre_role_grant
from tests.conftest import PASSWORD, VOLUNTEER_ID_NUMBER
from tests.support.queries import exact_get, exact_queries
from volunteers.identity import compose_id_number
from volunteers.models import Team, TeamMembership, Volunteer
from volunteers.services import team_member_add, team_save, volunteer_create

URL = "/api/v1/teams/"


def team_url(team: Team, rest: str = "") -> str:
    return f"{URL}{team.pk}/{rest}"


def new_volunteer(tree, phone: str, name: str, sequence: int, *, center=None) -> Volunteer:
    user = resident_register(phone=phone, name=name, password=PASSWORD)
    return volunteer_create(
        user=user,
        real_name=name,
        id_number=compose_id_number("430405", datetime.date(1988, 8, 8), sequence),
        home_center=center or tree.village_a,
        status=Volunteer.Status.ACTIVE,
    )


@pytest.fixture
def teams(people, tree) -> SimpleNamespace:
    """County A's brigade, village A's unit with the persona volunteer as leader and a
    second volunteer as member, a lecturer team of county A, and county B's brigade."""
    brigade = team_save(
        actor=None, team=Team(center=tree.county_a, kind="standing", name="珠晖区志愿服务大队")
    )
    unit = team_save(
        actor=None, team=Team(center=tree.village_a, kind="standing", name="王江社区志愿服务小队")
    )
    lecturers = team_save(
        actor=None,
        team=Team(
            center=tree.county_a, kind="specialist", specialty="lecturer", name="珠晖区讲师团"
        ),
    )
    outsider_brigade = team_save(
        actor=None, team=Team(center=tree.county_b, kind="standing", name="雁峰区志愿服务大队")
    )
    leader = Volunteer.objects.get(user=people.volunteer)
    member = new_volunteer(tree, "13700000003", "赵队员", 201)
    leader_membership = team_member_add(
        actor=people.city_cadre,
        team=unit,
        volunteer=leader,
        role="leader",
        joined_on=datetime.date(2025, 3, 1),
    )
    member_membership = team_member_add(
        actor=people.city_cadre,
        team=unit,
        volunteer=member,
        role="member",
        joined_on=datetime.date(2025, 4, 1),
    )
    return SimpleNamespace(
        brigade=brigade,
        unit=unit,
        lecturers=lecturers,
        outsider_brigade=outsider_brigade,
        leader=leader,
        member=member,
        leader_membership=leader_membership,
        member_membership=member_membership,
    )


def listed_names(response) -> list[str]:
    return [item["name"] for item in response.json()["results"]]


# --- the list -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_cannot_list_teams(api_client, teams):
    assert api_client.get(URL).status_code == 401


@pytest.mark.django_db
def test_a_county_cadre_lists_the_countys_teams_in_tree_order(client_for, people, teams):
    response = client_for(people.county_cadre).get(URL)

    assert response.status_code == 200
    body = response.json()
    # The contract's page: no count (the reference lists alone give one).
    assert set(body) == {"next", "previous", "results"}
    assert body["next"] is None
    assert body["previous"] is None
    assert listed_names(response) == ["珠晖区志愿服务大队", "珠晖区讲师团", "王江社区志愿服务小队"]


@pytest.mark.django_db
def test_each_team_has_the_contract_fields(client_for, people, tree, teams):
    response = client_for(people.county_cadre).get(URL)

    rows = {item["id"]: item for item in response.json()["results"]}
    assert rows[teams.unit.pk] == {
        "id": teams.unit.pk,
        "name": "王江社区志愿服务小队",
        "kind": "standing",
        "kind_name": "常设队伍",
        "specialty": "",
        "tier_name": "小队",
        "center": tree.village_a.pk,
        "center_name": "王江社区居委会",
        "description": "",
        "is_active": True,
        "member_count": 2,
    }
    assert rows[teams.lecturers.pk]["tier_name"] == "讲师团"
    assert rows[teams.lecturers.pk]["specialty"] == "lecturer"
    assert rows[teams.lecturers.pk]["member_count"] == 0
    assert rows[teams.brigade.pk]["tier_name"] == "大队"


@pytest.mark.django_db
def test_the_member_count_leaves_out_those_who_left(client_for, people, teams):
    client_for(people.county_cadre).delete(
        team_url(teams.unit, f"members/{teams.member_membership.pk}/")
    )

    response = client_for(people.county_cadre).get(URL, {"center": teams.unit.center_id})

    (row,) = response.json()["results"]
    assert row["member_count"] == 1


@pytest.mark.django_db
def test_a_cadre_of_another_county_sees_only_their_teams(client_for, people, teams):
    response = client_for(people.outsider_cadre).get(URL)

    assert listed_names(response) == ["雁峰区志愿服务大队"]


@pytest.mark.django_db
def test_a_volunteer_sees_the_teams_they_belong_to(client_for, people, teams):
    response = client_for(people.volunteer).get(URL)

    assert response.status_code == 200
    assert listed_names(response) == ["王江社区志愿服务小队"]


@pytest.mark.django_db
def test_a_plain_resident_sees_no_team(client_for, people, teams):
    response = client_for(people.resident).get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "specialist"}, ["珠晖区讲师团"]),
        ({"kind": "standing"}, ["珠晖区志愿服务大队", "王江社区志愿服务小队"]),
        ({"center": "county_a"}, ["珠晖区志愿服务大队", "珠晖区讲师团"]),
        ({"center": "village_a"}, ["王江社区志愿服务小队"]),
        ({"center": "county_a", "kind": "standing"}, ["珠晖区志愿服务大队"]),
        ({"center": "county_b"}, []),
        ({"specialty": "lecturer"}, ["珠晖区讲师团"]),
    ],
)
def test_filters(client_for, people, tree, teams, params, expected):
    if "center" in params:
        params = {**params, "center": getattr(tree, params["center"]).pk}

    response = client_for(people.county_cadre).get(URL, params)

    assert response.status_code == 200
    assert listed_names(response) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [({"kind": "club"}, "kind"), ({"center": "abc"}, "center"), ({"center": "999999"}, "center")],
)
def test_bad_filters_are_400(client_for, people, teams, params, field):
    response = client_for(people.county_cadre).get(URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def add_teams_with_members(people, tree, count: int, *, first_sequence: int) -> None:
    volunteer = new_volunteer(
        tree, f"1350000{first_sequence:04d}", f"队员{first_sequence}", first_sequence % 1000
    )
    for n in range(count):
        team = team_save(
            actor=None,
            team=Team(
                center=tree.township_a,
                kind="specialist",
                specialty="elders",
                name=f"五老队{first_sequence}-{n}",
            ),
        )
        team_member_add(actor=people.city_cadre, team=team, volunteer=volunteer)


# Whatever the number of rows (a +1 query fails): the token and its user, the reader's
# roles, their own teams outside the scope, the page, its rows' member counts.
TEAM_LIST_QUERIES = 5


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_5_and_25_teams(client_for, people, tree, teams):
    client = client_for(people.county_cadre)
    add_teams_with_members(people, tree, 2, first_sequence=500)
    response = exact_get(client, URL, TEAM_LIST_QUERIES)
    assert len(response.json()["results"]) == 5

    add_teams_with_members(people, tree, 20, first_sequence=600)
    response = exact_get(client, URL, TEAM_LIST_QUERIES)

    assert len(response.json()["results"]) == 25
    counts = {item["name"]: item["member_count"] for item in response.json()["results"]}
    assert counts["王江社区志愿服务小队"] == 2
    assert counts["珠晖区讲师团"] == 0
    assert counts["五老队600-19"] == 1


@pytest.mark.django_db
def test_pages_link_to_each_other_without_counting(client_for, people, tree, teams):
    client = client_for(people.county_cadre)
    add_teams_with_members(people, tree, 2, first_sequence=700)  # five teams in all

    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    last = client.get(second["next"]).json()

    assert [len(page["results"]) for page in (first, second, last)] == [2, 2, 1]
    assert first["previous"] is None
    assert second["previous"].endswith("/api/v1/teams/?page_size=2")
    assert "page=3" in second["next"]
    assert last["next"] is None
    names = [item["name"] for page in (first, second, last) for item in page["results"]]
    assert names == [
        "珠晖区志愿服务大队",
        "珠晖区讲师团",
        "五老队700-0",
        "五老队700-1",
        "王江社区志愿服务小队",
    ]
    assert {item["name"]: item["member_count"] for item in last["results"]} == {
        "王江社区志愿服务小队": 2
    }


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["4", "0", "x"])
def test_a_page_past_the_end_or_not_a_number_is_not_found(client_for, people, teams, page):
    response = client_for(people.county_cadre).get(URL, {"page": page, "page_size": 1})

    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        # The token and its user, the reader's roles, their own teams outside the scope,
        # the page, its rows' member counts.
        ("city_cadre", 5),
        ("county_cadre", 5),
        ("village_cadre", 5),
        ("volunteer", 5),
        # No role and no team: the scope is empty before any page is read.
        ("resident", 3),
    ],
)
def test_the_list_costs_exact_queries(client_for, people, teams, persona, expected):
    client = client_for(getattr(people, persona))

    with exact_queries(expected):
        response = client.get(URL)

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_cadre_in_a_team_outside_their_scope_sees_it_too(client_for, people, tree, teams):
    # The township cadre of county B is also a member of village A's unit.
    cadre_volunteer = new_volunteer(tree, "13700000004", "跨区干部", 301, center=tree.village_a)
    cadre_role_grant(actor=None, user=cadre_volunteer.user, center=tree.township_b)
    team_member_add(actor=people.city_cadre, team=teams.unit, volunteer=cadre_volunteer)

    response = client_for(cadre_volunteer.user).get(URL)

    assert listed_names(response) == ["王江社区志愿服务小队"]
    outsider_unit = team_save(
        actor=None, team=Team(center=tree.township_b, kind="standing", name="天马山街道分队")
    )
    response = client_for(cadre_volunteer.user).get(URL)
    assert listed_names(response) == ["王江社区志愿服务小队", outsider_unit.name]


# --- one team -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_cannot_read_a_team(api_client, teams):
    assert api_client.get(team_url(teams.unit)).status_code == 401


@pytest.mark.django_db
def test_a_cadre_in_scope_reads_the_roster_with_phones(client_for, people, tree, teams):
    response = client_for(people.township_cadre).get(team_url(teams.unit))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == teams.unit.pk
    assert body["member_count"] == 2
    assert body["members"] == [
        {
            "id": teams.leader_membership.pk,
            "volunteer": teams.leader.pk,
            "real_name": "李志愿",
            "role": "leader",
            "role_name": "队长",
            "joined_on": "2025-03-01",
            "left_on": None,
            "phone": "13700000001",
        },
        {
            "id": teams.member_membership.pk,
            "volunteer": teams.member.pk,
            "real_name": "赵队员",
            "role": "member",
            "role_name": "队员",
            "joined_on": "2025-04-01",
            "left_on": None,
            "phone": "13700000003",
        },
    ]
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()


@pytest.mark.django_db
def test_a_member_sees_their_own_phone_and_the_others_masked(client_for, people, teams):
    response = client_for(people.volunteer).get(team_url(teams.unit))

    assert response.status_code == 200
    phones = {m["real_name"]: m["phone"] for m in response.json()["members"]}
    assert phones == {"李志愿": "13700000001", "赵队员": "137****0003"}
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()


@pytest.mark.django_db
def test_a_cadre_sees_in_clear_only_the_members_in_their_own_scope(client_for, people, tree, teams):
    # given: a member of county A's lecturer team who has since moved to county B (a team
    # takes only volunteers living under its center, but people move)
    guest = new_volunteer(tree, "13700000004", "钱讲师", 202, center=tree.village_a)
    team_member_add(actor=people.city_cadre, team=teams.lecturers, volunteer=guest)
    township_b = tree.village_b.parent
    Volunteer.objects.filter(pk=guest.pk).update(
        home_center=tree.village_b, township=township_b, county=township_b.parent
    )

    # when
    response = client_for(people.county_cadre).get(team_url(teams.lecturers))

    # then
    (member,) = response.json()["members"]
    assert member["phone"] == "137****0004"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider_cadre", "resident"])
def test_others_get_404_for_a_team(client_for, people, teams, persona):
    response = client_for(getattr(people, persona)).get(team_url(teams.unit))

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_volunteer_gets_404_for_a_team_they_are_not_in(client_for, people, teams):
    assert client_for(people.volunteer).get(team_url(teams.brigade)).status_code == 404


@pytest.mark.django_db
def test_teams_are_read_only_here(client_for, people, teams):
    client = client_for(people.county_cadre)

    assert client.post(URL, {"name": "新队"}, format="json").status_code == 405
    assert client.delete(team_url(teams.unit)).status_code == 405
    assert Team.objects.count() == 4


# --- adding members ---------------------------------------------------------------------------


def open_memberships(team: Team) -> set[tuple[int, str]]:
    return set(
        TeamMembership.objects.filter(team=team, left_on__isnull=True).values_list(
            "volunteer_id", "role"
        )
    )


@pytest.mark.django_db
def test_a_cadre_in_scope_adds_a_member(client_for, people, teams):
    response = client_for(people.county_cadre).post(
        team_url(teams.brigade, "members/"),
        {"volunteer": teams.member.pk, "role": "deputy"},
        format="json",
    )

    assert response.status_code == 201
    membership = TeamMembership.objects.get(team=teams.brigade)
    assert response.json() == {
        "id": membership.pk,
        "volunteer": teams.member.pk,
        "real_name": "赵队员",
        "role": "deputy",
        "role_name": "副队长",
        "joined_on": timezone.localdate().isoformat(),
        "left_on": None,
        "phone": "13700000003",
    }
    assert open_memberships(teams.brigade) == {(teams.member.pk, "deputy")}


@pytest.mark.django_db
def test_the_role_defaults_to_member(client_for, people, teams):
    response = client_for(people.county_cadre).post(
        team_url(teams.lecturers, "members/"), {"volunteer": teams.leader.pk}, format="json"
    )

    assert response.status_code == 201
    assert open_memberships(teams.lecturers) == {(teams.leader.pk, "member")}


@pytest.mark.django_db
def test_the_team_leader_adds_a_member_living_under_the_team(client_for, people, tree, teams):
    newcomer = new_volunteer(tree, "13700000005", "孙新人", 203)

    response = client_for(people.volunteer).post(
        team_url(teams.unit, "members/"), {"volunteer": newcomer.pk}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["phone"] == "137****0005"
    assert (newcomer.pk, "member") in open_memberships(teams.unit)


@pytest.mark.django_db
def test_the_leader_cannot_add_someone_from_elsewhere(client_for, people, tree, teams):
    stranger = new_volunteer(tree, "13700000006", "周外人", 204, center=tree.village_a2)

    response = client_for(people.volunteer).post(
        team_url(teams.unit, "members/"), {"volunteer": stranger.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"volunteer": ["志愿者不存在，或不在您和本队伍的范围内。"]}
    assert stranger.pk not in {v for v, _role in open_memberships(teams.unit)}


@pytest.mark.django_db
def test_a_plain_member_may_not_add(client_for, people, tree, teams):
    newcomer = new_volunteer(tree, "13700000005", "孙新人", 203)
    before = open_memberships(teams.unit)

    response = client_for(teams.member.user).post(
        team_url(teams.unit, "members/"), {"volunteer": newcomer.pk}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "只有管辖该队伍的管理人员或队长、副队长可以管理队员。"}
    assert open_memberships(teams.unit) == before


@pytest.mark.django_db
def test_anonymous_cannot_add(api_client, teams):
    response = api_client.post(
        team_url(teams.brigade, "members/"), {"volunteer": teams.member.pk}, format="json"
    )

    assert response.status_code == 401
    assert open_memberships(teams.brigade) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider_cadre", "resident"])
def test_others_get_404_when_adding(client_for, people, teams, persona):
    response = client_for(getattr(people, persona)).post(
        team_url(teams.brigade, "members/"), {"volunteer": teams.member.pk}, format="json"
    )

    assert response.status_code == 404
    assert open_memberships(teams.brigade) == set()


@pytest.mark.django_db
def test_the_outsider_cannot_add_county_a_volunteers_to_their_own_team(client_for, people, teams):
    response = client_for(people.outsider_cadre).post(
        team_url(teams.outsider_brigade, "members/"), {"volunteer": teams.member.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["volunteer"]
    assert open_memberships(teams.outsider_brigade) == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, {"volunteer": ["该字段是必填项。"]}),
        ({"volunteer": "abc"}, {"volunteer": ["请选择志愿者。"]}),
        ({"volunteer": 999999}, {"volunteer": ["志愿者不存在，或不在您和本队伍的范围内。"]}),
        (
            {"volunteer": "MEMBER", "role": "boss"},
            {"volunteer": ["请选择志愿者。"], "role": ["“boss” 不是合法选项。"]},
        ),
    ],
)
def test_bad_member_input_is_400_in_chinese(client_for, people, teams, payload, expected):
    response = client_for(people.county_cadre).post(
        team_url(teams.brigade, "members/"), payload, format="json"
    )

    assert response.status_code == 400
    assert response.json() == expected
    assert open_memberships(teams.brigade) == set()


@pytest.mark.django_db
def test_a_bad_role_is_400(client_for, people, teams):
    response = client_for(people.county_cadre).post(
        team_url(teams.brigade, "members/"),
        {"volunteer": teams.member.pk, "role": "boss"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["role"]
    assert open_memberships(teams.brigade) == set()


@pytest.mark.django_db
def test_a_pending_volunteer_cannot_join(client_for, people, teams):
    Volunteer.objects.filter(pk=teams.member.pk).update(status=Volunteer.Status.PENDING)

    response = client_for(people.county_cadre).post(
        team_url(teams.brigade, "members/"), {"volunteer": teams.member.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"volunteer": ["只有在册志愿者可以入队。"]}
    assert open_memberships(teams.brigade) == set()


@pytest.mark.django_db
def test_adding_someone_already_in_the_team_is_refused(client_for, people, teams):
    response = client_for(people.county_cadre).post(
        team_url(teams.unit, "members/"), {"volunteer": teams.member.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"volunteer": ["该志愿者已在此队伍中。"]}
    assert TeamMembership.objects.filter(team=teams.unit, volunteer=teams.member).count() == 1


# --- removing members ---------------------------------------------------------------------------


def remove_by_post(client, team, membership):
    return client.post(team_url(team, f"members/{membership.pk}/remove/"))


def remove_by_delete(client, team, membership):
    return client.delete(team_url(team, f"members/{membership.pk}/"))


@pytest.mark.django_db
@pytest.mark.parametrize("remove", [remove_by_post, remove_by_delete])
def test_a_cadre_in_scope_removes_a_member(client_for, people, teams, remove):
    response = remove(client_for(people.township_cadre), teams.unit, teams.member_membership)

    assert response.status_code == 200
    today = timezone.localdate()
    assert response.json()["left_on"] == today.isoformat()
    assert TeamMembership.objects.get(pk=teams.member_membership.pk).left_on == today
    assert open_memberships(teams.unit) == {(teams.leader.pk, "leader")}


@pytest.mark.django_db
def test_the_leader_removes_a_member(client_for, people, teams):
    response = remove_by_post(client_for(people.volunteer), teams.unit, teams.member_membership)

    assert response.status_code == 200
    assert open_memberships(teams.unit) == {(teams.leader.pk, "leader")}


@pytest.mark.django_db
def test_removing_twice_is_409(client_for, people, teams):
    client = client_for(people.township_cadre)
    assert remove_by_post(client, teams.unit, teams.member_membership).status_code == 200

    response = remove_by_delete(client, teams.unit, teams.member_membership)

    assert response.status_code == 409
    assert response.json() == {"detail": "该队员已离队。", "code": "already_left"}


@pytest.mark.django_db
@pytest.mark.parametrize("remove", [remove_by_post, remove_by_delete])
@pytest.mark.parametrize("persona", ["outsider_cadre", "resident"])
def test_others_get_404_when_removing(client_for, people, teams, remove, persona):
    response = remove(client_for(getattr(people, persona)), teams.unit, teams.member_membership)

    assert response.status_code == 404
    assert TeamMembership.objects.get(pk=teams.member_membership.pk).left_on is None


@pytest.mark.django_db
@pytest.mark.parametrize("remove", [remove_by_post, remove_by_delete])
def test_anonymous_cannot_remove(api_client, teams, remove):
    response = remove(api_client, teams.unit, teams.member_membership)

    assert response.status_code == 401
    assert TeamMembership.objects.get(pk=teams.member_membership.pk).left_on is None


@pytest.mark.django_db
def test_a_plain_member_may_not_remove(client_for, teams):
    response = remove_by_post(client_for(teams.member.user), teams.unit, teams.leader_membership)

    assert response.status_code == 403
    assert TeamMembership.objects.get(pk=teams.leader_membership.pk).left_on is None


@pytest.mark.django_db
def test_a_membership_of_another_team_is_404(client_for, people, teams):
    # The county cadre manages both teams, but the membership is not the brigade's.
    response = remove_by_post(
        client_for(people.county_cadre), teams.brigade, teams.member_membership
    )

    assert response.status_code == 404
    assert TeamMembership.objects.get(pk=teams.member_membership.pk).left_on is None


# --- the schema -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_describes_the_team_paths(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()

    paths = schema["paths"]
    assert set(paths[URL]) == {"get"}
    assert set(paths["/api/v1/teams/{id}/"]) == {"get"}
    assert set(paths["/api/v1/teams/{id}/members/"]) == {"post"}
    assert set(paths["/api/v1/teams/{id}/members/{membership_id}/"]) == {"delete"}
    assert set(paths["/api/v1/teams/{id}/members/{membership_id}/remove/"]) == {"post"}
    list_parameters = {p["name"] for p in paths[URL]["get"]["parameters"]}
    assert {"page", "center", "kind"} <= list_parameters
    page = paths[URL]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    shape = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[-1]]
    assert set(shape["properties"]) == {"next", "previous", "results"}
