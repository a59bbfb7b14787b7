"""GET /api/v1/me/: who is signed in, and in which roles."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.services import cadre_create
from volunteers.models import Volunteer

URL = "/api/v1/me/"


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
    Volunteer.objects.filter(user=people.volunteer).update(
        hours=Decimal("12.50"), points=125, stars=2
    )

    response = client_for(people.volunteer).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ["resident", "volunteer"]
    assert body["phone"] == "137****0001"
    assert body["name"] == "李志愿"
    assert body["hours"] == "12.50"
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
