"""The hours ledger in the cadre admin: scoped to the volunteers' home centers, and read-only
(entries come from points.services.ledger.hours_credit alone)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from points.models import HoursEntry
from tests.factories.points import credit
from tests.factories.volunteers import make_volunteer
from tests.support.queries import exact_get
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def url(action: str, obj: Any = None) -> str:
    args = [] if obj is None else [obj.pk]
    return reverse(f"admin:points_hoursentry_{action}", args=args)


@pytest.fixture
def ledger(tree, people) -> SimpleNamespace:
    """One credited order for a volunteer of villages A, A2, A3 and B."""
    return SimpleNamespace(
        a=credit(Volunteer.objects.get(user=people.volunteer), 1, "2.50"),
        a2=credit(make_volunteer(2, tree.village_a2, name="新园志愿"), 2, "1.00"),
        a3=credit(make_volunteer(3, tree.village_a3, name="湖北路志愿"), 3, "3.25"),
        b=credit(make_volunteer(4, tree.village_b, name="天马山志愿"), 4, "0.75"),
    )


def listed(response) -> set[tuple[str, int, Decimal]]:
    return {
        (str(entry.volunteer), entry.source_id, entry.hours)
        for entry in response.context["cl"].result_list
    }


@pytest.mark.parametrize(
    ("persona", "rows"),
    [
        (
            "city_cadre",
            {
                ("李志愿", 1, Decimal("2.50")),
                ("新园志愿", 2, Decimal("1.00")),
                ("湖北路志愿", 3, Decimal("3.25")),
                ("天马山志愿", 4, Decimal("0.75")),
            },
        ),
        (
            "county_cadre",
            {
                ("李志愿", 1, Decimal("2.50")),
                ("新园志愿", 2, Decimal("1.00")),
                ("湖北路志愿", 3, Decimal("3.25")),
            },
        ),
        ("township_cadre", {("李志愿", 1, Decimal("2.50")), ("新园志愿", 2, Decimal("1.00"))}),
        ("village_cadre", {("李志愿", 1, Decimal("2.50"))}),
        ("outsider_cadre", {("天马山志愿", 4, Decimal("0.75"))}),
    ],
)
def test_the_ledger_lists_exactly_the_subtrees_volunteers(client, people, ledger, persona, rows):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(url("changelist"))
    # then
    assert response.status_code == 200
    assert listed(response) == rows


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_outsider_gets_404_on_another_countys_entry(client, people, ledger, view):
    # given
    client.force_login(people.outsider_cadre)
    # when
    response = client.get(url(view, ledger.a))
    # then
    assert response.status_code == 404


def test_the_ledger_is_read_only(client, people, ledger):
    # given
    client.force_login(people.county_cadre)
    # when
    page = client.get(url("change", ledger.a3))
    changed = client.post(
        url("change", ledger.a3), {"hours": "99.00", "source_id": "77", "_save": "保存"}
    )
    deleted = client.post(url("delete", ledger.a3), {"post": "yes"})
    added = client.get(url("add"))
    changelist = client.get(url("changelist"))
    # then
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields) == []
    assert 'name="_save"' not in page.content.decode()
    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert added.status_code == 403
    kept = HoursEntry.objects.get(pk=ledger.a3.pk)
    assert (kept.source_id, kept.hours) == (3, Decimal("3.25"))
    assert HoursEntry.objects.count() == 4
    actions = changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request)
    assert list(actions) == []


@pytest.mark.parametrize("persona", ["resident", "volunteer"])
def test_residents_and_volunteers_do_not_get_into_the_ledger(client, people, ledger, persona):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(url("changelist"))
    # then
    assert response.status_code == 302


# The county cadre's ledger changelist, whatever the number of rows on the page.
LEDGER_CHANGELIST_QUERIES = 9


def ledger_rows(client) -> int:
    response = exact_get(client, url("changelist"), LEDGER_CHANGELIST_QUERIES)
    return len(response.context["cl"].result_list)


def test_the_ledger_list_queries_do_not_grow_with_rows(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    for number in range(10, 15):
        credit(make_volunteer(number, tree.village_a2, name=f"志愿者{number}"), number, "1.00")
    small = ledger_rows(client)
    for number in range(15, 35):
        credit(make_volunteer(number, tree.village_a3, name=f"志愿者{number}"), number, "1.00")
    # when
    large = ledger_rows(client)
    # then: both cost LEDGER_CHANGELIST_QUERIES
    assert (small, large) == (5, 25)
