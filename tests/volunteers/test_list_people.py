"""The lists of volunteers, teams, memberships, rosters, invitations, skills and the
personal-data log, in the admin and the API, at every tier: the statements one page costs
(pinned: one more must fail) and that none of them has to read a large table whole (see
tests/support/list_plans.py for why that is checked with sequential scans switched off).
Which rows each cadre sees is tested beside each list (test_admin.py, tests/api/)."""

from __future__ import annotations

import datetime

import pytest

from accounts.services import resident_register
from tests.api.conftest import client_for  # noqa: F401  # the API's token client fixture
from tests.conftest import PASSWORD
from tests.support.list_plans import get_with_queries, scanned_whole
from volunteers.identity import compose_id_number
from volunteers.models import Skill, Team, Volunteer
from volunteers.services import team_member_add, team_save, volunteer_apply, volunteer_create

pytestmark = pytest.mark.django_db

TIERS = ("city_cadre", "county_cadre", "township_cadre", "village_cadre")

# The volunteer picker of the membership form (Django's autocomplete over VolunteerAdmin).
AUTOCOMPLETE = {
    "app_label": "volunteers",
    "model_name": "teammembership",
    "field_name": "volunteer",
    "term": "李",
}

# (label, path, params) of each admin page, with each filter, search and sort it offers.
ADMIN_PAGES = [
    ("volunteers", "/admin/volunteers/volunteer/", {}),
    ("volunteers by surname", "/admin/volunteers/volunteer/", {"q": "李"}),
    ("volunteers by 尾号", "/admin/volunteers/volunteer/", {"q": "0001"}),
    ("volunteers by number", "/admin/volunteers/volunteer/", {"q": "13700000001"}),
    ("volunteers pending", "/admin/volunteers/volunteer/", {"status__exact": "pending"}),
    ("volunteers by full name", "/admin/volunteers/volunteer/", {"q": "李队员"}),
    ("volunteers party", "/admin/volunteers/volunteer/", {"is_party_member__exact": "1"}),
    ("volunteers skill", "/admin/volunteers/volunteer/", {"skill": "SKILL"}),
    ("roster", "/admin/volunteers/volunteerroster/", {}),
    ("roster by surname", "/admin/volunteers/volunteerroster/", {"q": "李"}),
    ("roster pending", "/admin/volunteers/volunteerroster/", {"status__exact": "pending"}),
    ("roster party", "/admin/volunteers/volunteerroster/", {"is_party_member__exact": "1"}),
    ("invitations", "/admin/volunteers/rosterinvitation/", {}),
    ("teams", "/admin/volunteers/team/", {}),
    ("teams specialist", "/admin/volunteers/team/", {"kind__exact": "specialist"}),
    ("teams by name", "/admin/volunteers/team/", {"o": "1"}),
    ("memberships", "/admin/volunteers/teammembership/", {}),
    ("memberships leaders", "/admin/volunteers/teammembership/", {"role__exact": "leader"}),
    ("memberships open", "/admin/volunteers/teammembership/", {"left_on__isempty": "1"}),
    ("memberships by surname", "/admin/volunteers/teammembership/", {"q": "李"}),
    ("memberships of a team", "/admin/volunteers/teammembership/", {"team__id__exact": "TEAM"}),
    ("reveals", "/admin/volunteers/personaldatareveal/", {}),
    ("skills", "/admin/volunteers/skill/", {}),
    ("autocomplete volunteer", "/admin/autocomplete/", AUTOCOMPLETE),
]

API_PAGES = [
    ("api volunteers", "/api/v1/volunteers/", {}),
    ("api volunteers by surname", "/api/v1/volunteers/", {"search": "李"}),
    ("api volunteers by 尾号", "/api/v1/volunteers/", {"search": "0001"}),
    ("api volunteers pending", "/api/v1/volunteers/", {"status": "pending"}),
    ("api teams", "/api/v1/teams/", {}),
    ("api teams specialist", "/api/v1/teams/", {"kind": "specialist"}),
]

# Statements of one admin page at every tier: the session and its user, the admin's
# permission test, the top bar's, the scope's roles, the capped count, the page; the
# volunteer lists two more (the skill filter's choices, the roles test of the review
# buttons' column); the memberships one more (the permission reads of its action), and
# they are scoped on their copied columns from the roles, like the volunteers. The picker
# has no top bar, no count beyond its capped one and no filters: the session and its user,
# the permission test, the scope's roles, the capped count, the page.
ADMIN_STATEMENTS = {"volunteers": 10, "roster": 10, "memberships": 9, "autocomplete": 6}
EXPECTED: dict[tuple[str, str], int] = {
    (label, persona): ADMIN_STATEMENTS.get(label.split()[0], 8)
    for label, _path, _params in ADMIN_PAGES
    for persona in TIERS
}


@pytest.fixture
def teams_and_members(people, tree):
    """Village A's unit led by the persona volunteer with a second member, a pending
    applicant of village A, and county A's brigade: no list page is empty."""
    unit = team_save(
        actor=None, team=Team(center=tree.village_a, kind="standing", name="王江社区志愿服务小队")
    )
    team_save(actor=None, team=Team(center=tree.county_a, kind="standing", name="珠晖区大队"))
    member = volunteer_create(
        user=resident_register(phone="13700000002", name="李队员", password=PASSWORD),
        real_name="李队员",
        id_number=compose_id_number("430405", datetime.date(1985, 5, 5), 211),
        home_center=tree.village_a,
        status=Volunteer.Status.ACTIVE,
    )
    volunteer_create(
        user=resident_register(phone="13700000003", name="李申请", password=PASSWORD),
        real_name="李申请",
        id_number=compose_id_number("430405", datetime.date(1986, 6, 6), 213),
        home_center=tree.village_a,
    )
    leader = Volunteer.objects.get(user=people.volunteer)
    joined = datetime.date(2025, 3, 1)
    for volunteer, role in ((leader, "leader"), (member, "member")):
        team_member_add(
            actor=people.city_cadre, team=unit, volunteer=volunteer, role=role, joined_on=joined
        )


def _params(params: dict[str, str]) -> dict[str, str]:
    if params.get("skill") == "SKILL":
        return {"skill": str(Skill.objects.order_by("pk").values_list("pk", flat=True)[0])}
    if params.get("team__id__exact") == "TEAM":
        return {"team__id__exact": str(Team.objects.get(name="王江社区志愿服务小队").pk)}
    return params


@pytest.mark.parametrize("persona", TIERS)
@pytest.mark.parametrize(("label", "path", "params"), ADMIN_PAGES)
def test_each_admin_page_costs_its_statements_and_reads_no_table_whole(
    client, people, teams_and_members, persona, label, path, params
):
    client.force_login(getattr(people, persona))

    response, statements = get_with_queries(client, path, **_params(params))

    assert response.status_code == 200
    assert (len(statements), scanned_whole(statements)) == (EXPECTED[(label, persona)], {})


# The token and its user, the cadre test, the scope's roles, the page, the skills of its
# volunteers (prefetch); the team list: the token and its user, the roles, the reader's
# own teams outside the scope, the page, the member counts of its rows (none to read when
# the page is empty: no specialist team here). No count.
API_STATEMENTS = {"api volunteers": 5, "api teams": 5, "api teams specialist": 4}
API_EXPECTED: dict[tuple[str, str], int] = {
    (label, persona): API_STATEMENTS.get(label, API_STATEMENTS[" ".join(label.split()[:2])])
    for label, _path, _params in API_PAGES
    for persona in TIERS
}


@pytest.mark.parametrize("persona", TIERS)
@pytest.mark.parametrize(("label", "path", "params"), API_PAGES)
def test_each_api_list_costs_its_statements_and_reads_no_table_whole(
    client_for,  # noqa: F811
    people,
    teams_and_members,
    persona,
    label,
    path,
    params,
):
    response, statements = get_with_queries(
        client_for(getattr(people, persona)), path, **_params(params)
    )

    assert response.status_code == 200
    assert (len(statements), scanned_whole(statements)) == (API_EXPECTED[(label, persona)], {})


@pytest.mark.parametrize("persona", ["city_cadre", "county_cadre", "township_cadre"])
def test_the_api_volunteers_of_one_township_cost_their_statements_and_read_no_table_whole(
    client_for,  # noqa: F811
    people,
    tree,
    teams_and_members,
    persona,
):
    client = client_for(getattr(people, persona))

    response, statements = get_with_queries(
        client, "/api/v1/volunteers/", center=str(tree.township_a.pk)
    )

    assert response.status_code == 200
    assert [row["real_name"] for row in response.json()["results"]] == [
        "李申请",
        "李队员",
        "李志愿",
    ]
    # As the list above, and the center read to check it is in scope.
    assert (len(statements), scanned_whole(statements)) == (6, {})


def test_the_citys_scope_names_its_counties_in_a_form_the_planner_can_estimate(
    client_for,  # noqa: F811
    people,
    tree,
    teams_and_members,
):
    # A join to the centers was estimated at 0.5% of the rows and sorted the township's
    # every volunteer before the page; ANY(ARRAY(...)) is estimated as the whole table.
    _response, statements = get_with_queries(
        client_for(people.city_cadre), "/api/v1/volunteers/", center=str(tree.township_a.pk)
    )

    (page,) = [sql for sql in statements if 'FROM "volunteers_volunteer"' in sql and "LIMIT" in sql]
    assert "= ANY(ARRAY(SELECT" in page


def test_the_plan_check_sees_a_substring_search_read_the_whole_table(people):
    # The check itself: a search no index can serve is reported. (Its limit: under an
    # ORDER BY id the planner walks the primary key with the substring as a filter, which
    # is no sequential scan; the medians of bench/lists_people.py catch that case.)
    statement = "SELECT id FROM volunteers_volunteer WHERE real_name LIKE '%李%'"
    assert scanned_whole([statement]) == {statement: {"volunteers_volunteer"}}


# --- what the name search, the party and the skill filters find, tier by tier --------------


@pytest.fixture
def applicants(tree):
    """A party member with the first skill in every village of the tree, all named 李…, and
    one more in village A whose name sorts before the others (李一, newer than 李乙)."""
    skill = Skill.objects.order_by("pk")[0]
    homes = [
        ("李乙王江", tree.village_a, "430405"),
        ("李乙新园", tree.village_a2, "430405"),
        ("李乙湖北路", tree.village_a3, "430405"),
        ("李乙天马山", tree.village_b, "430406"),
        ("李一王江", tree.village_a, "430405"),
    ]
    for number, (name, home, region) in enumerate(homes, start=1):
        volunteer_apply(
            user=resident_register(phone=f"1370000{number + 10:04d}", name=name, password=PASSWORD),
            real_name=name,
            id_number=compose_id_number(region, datetime.date(1990, 1, number), 300 + number),
            home_center=home,
            skills=[skill],
            is_party_member=True,
        )
    return skill


SUBTREES = {
    "city_cadre": {"李乙王江", "李一王江", "李乙新园", "李乙湖北路", "李乙天马山"},
    "county_cadre": {"李乙王江", "李一王江", "李乙新园", "李乙湖北路"},
    "township_cadre": {"李乙王江", "李一王江", "李乙新园"},
    "village_cadre": {"李乙王江", "李一王江"},
    "outsider_cadre": {"李乙天马山"},
}


@pytest.mark.parametrize("persona", list(SUBTREES))
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/admin/volunteers/volunteer/", {"q": "李"}),
        ("/admin/volunteers/volunteerroster/", {"q": "李"}),
        ("/admin/volunteers/volunteer/", {"is_party_member__exact": "1"}),
        ("/admin/volunteers/volunteer/", {"skill": "SKILL"}),
        ("/admin/volunteers/volunteerroster/", {"is_party_member__exact": "1"}),
        ("/admin/autocomplete/", AUTOCOMPLETE),
    ],
)
def test_a_search_or_filter_finds_the_cadres_subtree_only(
    client, people, applicants, persona, path, params
):
    client.force_login(getattr(people, persona))
    if params.get("skill") == "SKILL":
        params = {"skill": str(applicants.pk)}

    response = client.get(path, params)

    assert response.status_code == 200
    found = (
        [row["text"] for row in response.json()["results"]]
        if path == "/admin/autocomplete/"
        else [volunteer.real_name for volunteer in response.context["cl"].result_list]
    )
    # The persona volunteer (李志愿) is no party member and holds no skill.
    assert set(found) - {"李志愿"} == SUBTREES[persona]


@pytest.mark.parametrize(
    "path", ["/admin/volunteers/volunteer/", "/admin/volunteers/volunteerroster/"]
)
def test_a_name_search_lists_by_the_name_then_newest_first(client, people, applicants, path):
    client.force_login(people.county_cadre)

    response, statements = get_with_queries(client, path, q="李")

    # By the code points of the names (一 U+4E00 before 乙 U+4E59 before 志 U+5FD7), where
    # the newest-first list would begin with 李一王江.
    assert [volunteer.real_name for volunteer in response.context["cl"].result_list] == [
        "李一王江",
        "李乙新园",
        "李乙湖北路",
        "李乙王江",
        "李志愿",
    ]
    # In the order of the name index, spelt with its own operator (accounts.search).
    order = (
        'ORDER BY "volunteers_volunteer"."real_name" USING ~<~, "volunteers_volunteer"."id" DESC'
    )
    assert [sql for sql in statements if order in sql] != []


def test_the_autocomplete_lists_by_the_name(client, people, applicants):
    client.force_login(people.township_cadre)

    response = client.get("/admin/autocomplete/", AUTOCOMPLETE)

    assert [row["text"] for row in response.json()["results"]] == [
        "李一王江",
        "李乙新园",
        "李乙王江",
        "李志愿",
    ]


def test_the_volunteer_list_refuses_the_gender_filter_it_does_not_offer(client, people):
    # Half the volunteers are women: no index narrows that, so the list does not filter by
    # it, not even from a hand-written address.
    client.force_login(people.city_cadre)

    response = client.get("/admin/volunteers/volunteer/", {"gender__exact": "female"})

    assert response.status_code == 400
