"""GET /api/v1/me/: who is signed in, and in which roles."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest

from points.models import StarCertification
from practice.services import cadre_create
from tests.conftest import VOLUNTEER_ID_NUMBER
from tests.factories.points import with_stars
from volunteers.identity import compose_id_number
from volunteers.models import Team, TeamMembership, Volunteer
from volunteers.services import (
    team_member_add,
    team_member_remove,
    team_save,
    volunteer_apply,
    volunteer_reject,
)

URL = "/api/v1/me/"
APPLICANT_ID_NUMBER = compose_id_number("430405", datetime.date(1995, 6, 15), 246)


@pytest.mark.django_db
def test_anonymous_is_401(api_client, people):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json() == {"detail": "身份认证信息未提供。"}
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_a_resident_is_only_a_resident(client_for, people):
    response = client_for(people.resident).get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": people.resident.pk,
        "phone": "139****0001",
        "name": "张群众",
        "roles": ["resident"],
        "cadre_centers": [],
    }
    assert "hours" not in response.json()


@pytest.mark.django_db
def test_an_active_volunteer_gets_hours_points_and_stars(client_for, people):
    volunteer = Volunteer.objects.get(user=people.volunteer)
    # Two levels in force (300 certified hours), a third eligible but not yet confirmed.
    with_stars(volunteer, 2)
    StarCertification.objects.create(
        volunteer=volunteer,
        level=3,
        policy_version=1,
        threshold_hours=Decimal(600),
        certifying_tier="city",
        home_center_id=volunteer.home_center_id,
        township_id=volunteer.township_id,
        county_id=volunteer.county_id,
    )
    Volunteer.objects.filter(pk=volunteer.pk).update(hours=Decimal("312.50"), points=125)

    response = client_for(people.volunteer).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ["resident", "volunteer"]
    assert body["phone"] == "137****0001"
    assert body["name"] == "李志愿"
    assert body["hours"] == "312.50"
    assert body["points"] == 125
    assert body["stars"] == 2
    assert body["cadre_centers"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [Volunteer.Status.PENDING, Volunteer.Status.SUSPENDED, Volunteer.Status.LEFT]
)
def test_a_volunteer_not_in_good_standing_is_only_a_resident(client_for, people, status):
    Volunteer.objects.filter(user=people.volunteer).update(status=status)

    body = client_for(people.volunteer).get(URL).json()

    assert body["roles"] == ["resident"]
    assert "hours" not in body
    assert "points" not in body
    assert "stars" not in body


@pytest.mark.django_db
def test_a_cadre_gets_their_centers(client_for, people, tree):
    response = client_for(people.county_cadre).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ["resident", "cadre"]
    assert body["phone"] == "138****0002"
    assert body["cadre_centers"] == [
        {"id": tree.county_a.pk, "code": "430405", "name": "珠晖区", "level": "county"}
    ]
    assert "hours" not in body


@pytest.mark.django_db
def test_a_village_cadre_gets_their_village(client_for, people, tree):
    body = client_for(people.village_cadre).get(URL).json()

    assert body["cadre_centers"] == [
        {
            "id": tree.village_a.pk,
            "code": "430405007006",
            "name": "王江社区居委会",
            "level": "village",
        }
    ]


@pytest.mark.django_db
def test_a_volunteer_who_is_also_a_cadre_has_both_roles(client_for, people, tree):
    cadre_create(phone="13700000001", center=tree.township_a)

    body = client_for(people.volunteer).get(URL).json()

    assert body["roles"] == ["resident", "volunteer", "cadre"]
    assert [c["code"] for c in body["cadre_centers"]] == ["430405007"]
    assert body["hours"] == "0.00"


@pytest.mark.django_db
def test_the_browser_session_also_works(api_client, people):
    api_client.force_login(people.resident)

    response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json()["id"] == people.resident.pk


@pytest.mark.django_db
def test_me_is_read_only(client_for, people):
    response = client_for(people.resident).post(URL, {"name": "别人"}, format="json")

    assert response.status_code == 405


@pytest.mark.django_db
def test_a_volunteer_gets_their_profile_and_current_teams(client_for, people, tree):
    # given: in two teams, and out of a third
    volunteer = Volunteer.objects.get(user=people.volunteer)
    unit = team_save(
        actor=None, team=Team(center=tree.village_a, kind="standing", name="王江社区志愿服务小队")
    )
    lecturers = team_save(
        actor=None,
        team=Team(center=tree.county_a, kind="specialist", specialty="lecturer", name="讲师团"),
    )
    former = team_save(
        actor=None, team=Team(center=tree.township_a, kind="standing", name="衡州路分队")
    )
    for team in (unit, lecturers, former):
        team_member_add(actor=people.city_cadre, team=team, volunteer=volunteer)
    team_member_remove(actor=people.city_cadre, membership=TeamMembership.objects.get(team=former))

    # when
    body = client_for(people.volunteer).get(URL).json()

    # then
    assert body["volunteer"] == {
        "id": volunteer.pk,
        "status": "active",
        "home_center": tree.village_a.pk,
        "review_reason": "",
        "teams": [
            {"id": unit.pk, "name": "王江社区志愿服务小队"},
            {"id": lecturers.pk, "name": "讲师团"},
        ],
    }
    assert body["hours"] == "0.00"
    assert VOLUNTEER_ID_NUMBER not in json.dumps(body)


@pytest.mark.django_db
def test_an_applicant_sees_the_pending_application(client_for, people, tree):
    volunteer = volunteer_apply(
        user=people.resident, real_name="张群众", id_number=APPLICANT_ID_NUMBER,
        home_center=tree.village_a2,
    )  # fmt: skip

    body = client_for(people.resident).get(URL).json()

    assert body["roles"] == ["resident"]
    assert body["volunteer"] == {
        "id": volunteer.pk,
        "status": "pending",
        "home_center": tree.village_a2.pk,
        "review_reason": "",
        "teams": [],
    }
    assert "hours" not in body


@pytest.mark.django_db
def test_a_rejected_applicant_sees_why(client_for, people, tree):
    volunteer = volunteer_apply(
        user=people.resident, real_name="张群众", id_number=APPLICANT_ID_NUMBER,
        home_center=tree.village_a,
    )  # fmt: skip
    volunteer_reject(actor=people.township_cadre, volunteer_id=volunteer.pk, reason="资料不全")

    body = client_for(people.resident).get(URL).json()

    assert body["volunteer"]["status"] == "rejected"
    assert body["volunteer"]["review_reason"] == "资料不全"
    assert "points" not in body
