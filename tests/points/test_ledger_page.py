"""The volunteer's ledgers on a phone (issue 11 item 9): their own entries only, newest
first by keyset pages, the balance above; bad parameters a Chinese 400."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from points.services.ledger import service_award
from tests.factories.volunteers import make_volunteer
from tests.support.queries import exact_get
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

URL = reverse("points:my_ledger")


def award(volunteer: Volunteer, source_id: int, hours: str) -> None:
    assert service_award(
        volunteer_id=volunteer.pk, source="order", source_id=source_id, hours=Decimal(hours)
    )


@pytest.fixture
def volunteer(people) -> Volunteer:
    return Volunteer.objects.get(user=people.volunteer)


def test_the_page_lists_the_volunteers_own_hours_newest_first(client, people, tree, volunteer):
    award(volunteer, 1, "1.25")
    award(volunteer, 2, "2.75")
    award(make_volunteer(5, tree.village_b), 3, "9.50")
    client.force_login(people.volunteer)

    # session, account, volunteer, the entries, the top bar's badges
    page = exact_get(client, URL, 5).content.decode()

    assert page.index("2.75 小时") < page.index("1.25 小时")
    assert "9.50" not in page
    assert "4.00 小时" in page


def test_the_points_ledger_and_its_pages(client, people, volunteer, settings):
    for n in range(1, 23):
        award(volunteer, n, "1.00")
    client.force_login(people.volunteer)

    first = client.get(URL, {"ledger": "points"})
    assert first.status_code == 200
    assert first.context["rows"][0].source_id == 22
    assert len(first.context["rows"]) == 20
    before = first.context["next_before"]

    second = client.get(URL, {"ledger": "points", "before": before})
    assert [row.source_id for row in second.context["rows"]] == [2, 1]
    assert second.context["next_before"] is None


@pytest.mark.parametrize("params", [{"ledger": "stars"}, {"before": "abc"}, {"before": "1e9"}])
def test_bad_parameters_are_a_chinese_400(client, people, volunteer, params):
    client.force_login(people.volunteer)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert "参数无效。" in response.content.decode()


def test_someone_without_a_volunteer_profile_is_sent_to_their_page(client, people):
    client.force_login(people.resident)
    assert client.get(URL)["Location"] == reverse("volunteers:home")


def test_anonymous_is_asked_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
