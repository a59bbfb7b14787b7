"""GET /api/v1/points/ledger/: a volunteer's own hours or points entries, newest first, by
cursor; nobody else's; 401 for anonymous, 403 for whoever is no volunteer. And /me/ shows
the cached balances the ledgers move."""

from __future__ import annotations

from decimal import Decimal

import pytest

from points.models import Kind, Source
from points.services.ledger import points_credit, service_award, source_reverse
from tests.factories.volunteers import make_volunteer
from tests.support.queries import exact_get
from volunteers.models import Volunteer

URL = "/api/v1/points/ledger/"
pytestmark = pytest.mark.django_db

# Token, the volunteer profile, the page (a cursor page reads one row more than it shows).
LEDGER_QUERIES = 3


def award(volunteer: Volunteer, order_id: int, hours: str = "1.00") -> None:
    assert service_award(
        volunteer_id=volunteer.pk, source=Source.ORDER, source_id=order_id, hours=Decimal(hours)
    )


@pytest.fixture
def volunteer(people) -> Volunteer:
    return Volunteer.objects.get(user=people.volunteer)


def test_anonymous_is_401(api_client, people):
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize("persona", ["resident", "county_cadre", "city_cadre"])
def test_whoever_is_no_volunteer_is_403(client_for, people, persona):
    response = client_for(getattr(people, persona)).get(URL)
    assert response.status_code == 403
    assert response.json() == {"detail": "只有志愿者可以查看时长与积分记录。"}


def test_a_volunteer_reads_their_hours_entries_newest_first(client_for, people, volunteer):
    # given
    award(volunteer, 1, "2.00")
    award(volunteer, 2, "1.50")
    source_reverse(
        actor=people.city_cadre,
        volunteer_id=volunteer.pk,
        source="order",
        source_id=1,
        reason="复核冲销",
    )
    # when
    response = exact_get(client_for(people.volunteer), URL, LEDGER_QUERIES)
    # then
    body = response.json()
    assert (body["next"], body["previous"]) == (None, None)
    assert [
        (row["ledger"], row["kind"], row["source"], row["source_id"], row["hours"])
        for row in body["results"]
    ] == [
        ("hours", "reversed", "order", 1, "-2.00"),
        ("hours", "earned", "order", 2, "1.50"),
        ("hours", "earned", "order", 1, "2.00"),
    ]
    assert body["results"][0]["reason"] == "复核冲销"


def test_a_volunteer_reads_their_points_entries(client_for, people, volunteer):
    award(volunteer, 1, "2.00")
    points_credit(
        volunteer_id=volunteer.pk,
        source=Source.REDEMPTION,
        source_id=5,
        points=-7,
        kind=Kind.REDEEMED,
    )
    response = exact_get(client_for(people.volunteer), URL, LEDGER_QUERIES, {"ledger": "points"})
    rows = response.json()["results"]
    assert [(row["ledger"], row["kind"], row["points"]) for row in rows] == [
        ("points", "redeemed", -7),
        ("points", "earned", 20),
    ]
    assert rows[1]["rules"] is not None


def test_one_volunteer_never_sees_anothers_entries(client_for, people, tree, volunteer):
    # given
    other = make_volunteer(2, tree.village_a)
    award(other, 1)
    award(volunteer, 2)
    # when
    for ledger in ("hours", "points"):
        rows = client_for(people.volunteer).get(URL, {"ledger": ledger}).json()["results"]
        # then
        assert [row["source_id"] for row in rows] == [2]
    assert client_for(other.user).get(URL).json()["results"][0]["source_id"] == 1


def test_the_ledger_pages_by_cursor_at_the_same_cost(client_for, people, volunteer):
    # given: 25 entries, a page of 20
    for order_id in range(1, 26):
        award(volunteer, order_id)
    client = client_for(people.volunteer)
    # when
    first = exact_get(client, URL, LEDGER_QUERIES).json()
    second = exact_get(client, first["next"], LEDGER_QUERIES).json()
    # then
    assert "count" not in first
    assert [row["source_id"] for row in first["results"]] == list(range(25, 5, -1))
    assert [row["source_id"] for row in second["results"]] == list(range(5, 0, -1))
    assert second["next"] is None


@pytest.mark.parametrize("ledger", ["stars", "", "HOURS"])
def test_an_unknown_ledger_is_400(client_for, people, ledger):
    response = client_for(people.volunteer).get(URL, {"ledger": ledger})
    assert response.status_code == 400
    assert response.json() == {"ledger": ["应为 hours 或 points。"]}


def test_a_forged_cursor_is_404_not_500(client_for, people, volunteer):
    response = client_for(people.volunteer).get(URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 404


def test_me_shows_the_balances_the_ledgers_moved(client_for, people, volunteer):
    # given
    award(volunteer, 1, "2.50")
    award(volunteer, 2, "1.00")
    source_reverse(
        actor=people.city_cadre,
        volunteer_id=volunteer.pk,
        source="order",
        source_id=2,
        reason="复核冲销",
    )
    # when
    body = client_for(people.volunteer).get("/api/v1/me/").json()
    # then
    assert (body["hours"], body["points"], body["stars"]) == ("2.50", 25, 0)
