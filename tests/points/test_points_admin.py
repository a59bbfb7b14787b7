"""The points ledger, the 1-star reviews and the points rules in the cadre admin: each
cadre sees their subtree only, the ledger is read-only, reviews are decided through the
service, and only the city's cadres publish rules (bad input refused on its field)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from points.models import HoursEntry, OrderReview, PointsEntry, PointsRules, Source
from points.services.ledger import rating_award, service_award
from points.services.rules import rules_current
from tests.factories.volunteers import make_volunteer
from tests.support.queries import exact_get
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def url(model: str, action: str, obj: Any = None) -> str:
    args = [] if obj is None else [obj.pk]
    return reverse(f"admin:points_{model}_{action}", args=args)


def awarded(volunteer: Volunteer, order_id: int, hours: str = "1.00") -> PointsEntry:
    assert service_award(
        volunteer_id=volunteer.pk, source=Source.ORDER, source_id=order_id, hours=Decimal(hours)
    )
    return PointsEntry.objects.get(volunteer=volunteer, source_id=order_id)


def one_star(volunteer: Volunteer, order_id: int, center) -> OrderReview:
    township = center.parent
    assert rating_award(
        volunteer_id=volunteer.pk,
        order_id=order_id,
        score=1,
        comment="差",
        center_id=center.pk,
        township_id=township.pk,
        county_id=township.parent_id,
    )
    return OrderReview.objects.get(order_id=order_id)


@pytest.fixture
def homes(tree, people) -> SimpleNamespace:
    return SimpleNamespace(
        a=Volunteer.objects.get(user=people.volunteer),
        a2=make_volunteer(2, tree.village_a2, name="新园志愿"),
        a3=make_volunteer(3, tree.village_a3, name="湖北路志愿"),
        b=make_volunteer(4, tree.village_b, name="天马山志愿"),
    )


SCOPES = [
    ("city_cadre", {"a", "a2", "a3", "b"}),
    ("county_cadre", {"a", "a2", "a3"}),
    ("township_cadre", {"a", "a2"}),
    ("village_cadre", {"a"}),
    ("outsider_cadre", {"b"}),
]


# --- the points ledger -----------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "seen"), SCOPES)
def test_the_points_ledger_lists_exactly_the_subtrees_volunteers(
    client, people, homes, persona, seen
):
    # given
    for number, name in enumerate(["a", "a2", "a3", "b"], start=1):
        awarded(getattr(homes, name), number)
    client.force_login(getattr(people, persona))
    # when
    response = client.get(url("pointsentry", "changelist"))
    # then
    assert response.status_code == 200
    names = {
        name
        for name in ["a", "a2", "a3", "b"]
        if getattr(homes, name).pk
        in {entry.volunteer_id for entry in response.context["cl"].result_list}
    }
    assert names == seen


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_an_outsider_gets_404_on_another_countys_points_entry(client, people, homes, view):
    entry = awarded(homes.a, 1)
    client.force_login(people.outsider_cadre)
    assert client.get(url("pointsentry", view, entry)).status_code == 404


def test_the_points_ledger_is_read_only(client, people, homes):
    # given
    entry = awarded(homes.a3, 1)
    client.force_login(people.county_cadre)
    # when
    page = client.get(url("pointsentry", "change", entry))
    changed = client.post(url("pointsentry", "change", entry), {"points": "999", "_save": "保存"})
    deleted = client.post(url("pointsentry", "delete", entry), {"post": "yes"})
    added = client.get(url("pointsentry", "add"))
    # then
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields) == []
    assert (changed.status_code, deleted.status_code, added.status_code) == (403, 403, 403)
    assert PointsEntry.objects.get(pk=entry.pk).points == 10


@pytest.mark.parametrize("persona", ["resident", "volunteer"])
def test_residents_and_volunteers_do_not_get_into_the_points_admin(client, people, persona):
    client.force_login(getattr(people, persona))
    for model in ("pointsentry", "orderreview", "pointsrules"):
        assert client.get(url(model, "changelist")).status_code == 302


# The county cadre's points changelist, whatever the number of rows on the page.
POINTS_CHANGELIST_QUERIES = 9


def test_the_points_list_queries_do_not_grow_with_rows(client, people, tree):
    client.force_login(people.county_cadre)
    for number in range(10, 13):
        awarded(make_volunteer(number, tree.village_a2, name=f"志愿者{number}"), number)
    small = exact_get(client, url("pointsentry", "changelist"), POINTS_CHANGELIST_QUERIES)
    for number in range(13, 25):
        awarded(make_volunteer(number, tree.village_a3, name=f"志愿者{number}"), number)
    large = exact_get(client, url("pointsentry", "changelist"), POINTS_CHANGELIST_QUERIES)
    assert (len(small.context["cl"].result_list), len(large.context["cl"].result_list)) == (3, 15)


def test_the_hours_list_shows_reversals_too(client, people, homes):
    awarded(homes.a, 1, "2.00")
    HoursEntry.objects.get()  # one earned entry
    client.force_login(people.village_cadre)
    response = client.get(url("hoursentry", "changelist"))
    assert "获得" in response.content.decode()


# --- reviews -------------------------------------------------------------------------------


@pytest.fixture
def reviews(tree, homes) -> SimpleNamespace:
    """A 1-star review of an order served in villages A, A2, A3 and B."""
    for number, name in enumerate(["a", "a2", "a3", "b"], start=1):
        awarded(getattr(homes, name), number, "2.00")
    return SimpleNamespace(
        a=one_star(homes.a, 1, tree.village_a),
        a2=one_star(homes.a2, 2, tree.village_a2),
        a3=one_star(homes.a3, 3, tree.village_a3),
        b=one_star(homes.b, 4, tree.village_b),
    )


def act(client, action: str, rows: list[OrderReview], **extra: Any):
    data = {"action": action, ACTION_CHECKBOX_NAME: [r.pk for r in rows], "index": "0"}
    data.update(extra)
    return client.post(url("orderreview", "changelist"), data, follow=True)


@pytest.mark.parametrize(("persona", "seen"), SCOPES)
def test_the_reviews_list_exactly_the_subtrees_orders(client, people, reviews, persona, seen):
    client.force_login(getattr(people, persona))
    response = client.get(url("orderreview", "changelist"))
    assert response.status_code == 200
    listed = {review.pk for review in response.context["cl"].result_list}
    assert listed == {getattr(reviews, name).pk for name in seen}


def test_a_cadre_upholds_a_review_and_the_hours_stand(client, people, reviews, homes):
    client.force_login(people.township_cadre)
    response = act(client, "uphold_reviews", [reviews.a2])
    assert response.status_code == 200
    review = OrderReview.objects.get(pk=reviews.a2.pk)
    assert (review.status, review.decided_by) == ("upheld", people.township_cadre)
    assert Volunteer.objects.get(pk=homes.a2.pk).hours == Decimal("2.00")
    assert not HoursEntry.objects.filter(kind="reversed").exists()


def test_a_cadre_reverses_a_review_with_a_reason(client, people, reviews, homes):
    # given
    client.force_login(people.county_cadre)
    # when: first the page asking for the reason, then the reversal
    asked = act(client, "reverse_reviews", [reviews.a3])
    done = act(client, "reverse_reviews", [reviews.a3], reason="服务未开展", confirm="yes")
    # then
    assert 'name="reason"' in asked.content.decode()
    assert done.status_code == 200
    review = OrderReview.objects.get(pk=reviews.a3.pk)
    assert (review.status, review.reason) == ("reversed", "服务未开展")
    fresh = Volunteer.objects.get(pk=homes.a3.pk)
    assert (fresh.hours, fresh.points) == (Decimal("0.00"), 0)
    assert HoursEntry.objects.get(kind="reversed").actor == people.county_cadre


def test_a_reversal_without_a_reason_asks_again_and_changes_nothing(client, people, reviews):
    client.force_login(people.county_cadre)
    response = act(client, "reverse_reviews", [reviews.a3], reason="  ", confirm="yes")
    assert "请填写驳回原因" in response.content.decode()
    assert OrderReview.objects.get(pk=reviews.a3.pk).status == "open"
    assert not HoursEntry.objects.filter(kind="reversed").exists()


def test_a_decided_review_is_refused_by_message(client, people, reviews):
    client.force_login(people.county_cadre)
    act(client, "uphold_reviews", [reviews.a3])
    response = act(client, "uphold_reviews", [reviews.a3])
    messages = [m.message for m in response.context["messages"]]
    assert any("该差评已复核。" in message for message in messages)


def test_an_outsider_cannot_decide_a_review_out_of_scope(client, people, reviews):
    client.force_login(people.outsider_cadre)
    response = act(client, "uphold_reviews", [reviews.a])
    assert response.status_code == 404
    assert OrderReview.objects.get(pk=reviews.a.pk).status == "open"


def test_a_review_id_that_is_no_number_is_404(client, people, reviews):
    client.force_login(people.county_cadre)
    response = client.post(
        url("orderreview", "changelist"),
        {"action": "uphold_reviews", ACTION_CHECKBOX_NAME: ["abc"], "index": "0"},
    )
    assert response.status_code == 404


# --- rules ---------------------------------------------------------------------------------


def rules_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "points_per_hour": "12",
        "rating_bonus": "6",
        "order_cap": "",
        "note": "提高每小时积分",
        "coefficients-TOTAL_FORMS": "1",
        "coefficients-INITIAL_FORMS": "0",
        "coefficients-MIN_NUM_FORMS": "0",
        "coefficients-MAX_NUM_FORMS": "1000",
        "coefficients-0-service": "",
        "coefficients-0-coefficient": "",
        "_save": "保存",
    }
    data.update(changes)
    return data


def test_a_city_cadre_publishes_a_new_version(client, people, menu):
    # given
    first = rules_current()
    client.force_login(people.city_cadre)
    # when
    page = client.get(url("pointsrules", "add"))
    response = client.post(
        url("pointsrules", "add"),
        rules_form(
            **{"coefficients-0-service": str(menu.clinic.pk), "coefficients-0-coefficient": "1.5"}
        ),
    )
    # then
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["points_per_hour"] == Decimal(10)
    assert response.status_code == 302
    newest = PointsRules.objects.order_by("-id").first()
    assert newest.pk > first.pk
    assert (newest.points_per_hour, newest.rating_bonus, newest.order_cap, newest.created_by) == (
        Decimal(12),
        6,
        None,
        people.city_cadre,
    )
    assert list(newest.coefficients.values_list("service", "coefficient")) == [
        (menu.clinic.pk, Decimal("1.50"))
    ]
    # and the first version is unchanged
    assert PointsRules.objects.get(pk=first.pk).points_per_hour == Decimal(10)


def test_the_new_version_starts_from_the_one_in_force(client, people, menu):
    client.force_login(people.city_cadre)
    client.post(
        url("pointsrules", "add"),
        rules_form(
            **{"coefficients-0-service": str(menu.clinic.pk), "coefficients-0-coefficient": "2"}
        ),
    )
    page = client.get(url("pointsrules", "add"))
    formset = page.context["inline_admin_formsets"][0].formset
    assert formset.initial_extra == [{"service": menu.clinic.pk, "coefficient": Decimal("2.00")}]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"points_per_hour": "-1"}, "points_per_hour"),
        ({"points_per_hour": "5000"}, "points_per_hour"),
        ({"points_per_hour": "abc"}, "points_per_hour"),
        ({"rating_bonus": "-3"}, "rating_bonus"),
        ({"order_cap": "1.5"}, "order_cap"),
        ({"note": "长" * 201}, "note"),
    ],
)
def test_bad_rules_are_refused_on_their_field(client, people, changes, field):
    client.force_login(people.city_cadre)
    before = PointsRules.objects.count()
    response = client.post(url("pointsrules", "add"), rules_form(**changes))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert PointsRules.objects.count() == before


@pytest.mark.parametrize("coefficient", ["-0.5", "11", "x"])
def test_a_bad_coefficient_is_refused(client, people, menu, coefficient):
    client.force_login(people.city_cadre)
    before = PointsRules.objects.count()
    response = client.post(
        url("pointsrules", "add"),
        rules_form(
            **{
                "coefficients-0-service": str(menu.clinic.pk),
                "coefficients-0-coefficient": coefficient,
            }
        ),
    )
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "coefficient" in formset.forms[0].errors
    assert PointsRules.objects.count() == before


def test_a_service_named_twice_is_refused(client, people, menu):
    client.force_login(people.city_cadre)
    rules_current()
    before = PointsRules.objects.count()
    data = rules_form(
        **{
            "coefficients-TOTAL_FORMS": "2",
            "coefficients-0-service": str(menu.clinic.pk),
            "coefficients-0-coefficient": "1.5",
            "coefficients-1-service": str(menu.clinic.pk),
            "coefficients-1-coefficient": "2",
        }
    )
    response = client.post(url("pointsrules", "add"), data)
    assert response.status_code == 200
    assert PointsRules.objects.count() == before


@pytest.mark.parametrize("persona", ["county_cadre", "township_cadre", "village_cadre"])
def test_other_cadres_read_the_rules_and_change_nothing(client, people, persona):
    # given
    rules = rules_current()
    client.force_login(getattr(people, persona))
    # when
    listed = client.get(url("pointsrules", "changelist"))
    page = client.get(url("pointsrules", "change", rules))
    added = client.post(url("pointsrules", "add"), rules_form())
    # then
    assert listed.status_code == 200
    assert [row.pk for row in listed.context["cl"].result_list] == [rules.pk]
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields) == []
    assert added.status_code == 403
    assert PointsRules.objects.count() == 1


def test_no_version_is_ever_changed_or_deleted(client, people):
    rules = rules_current()
    client.force_login(people.city_cadre)
    changed = client.post(url("pointsrules", "change", rules), rules_form(points_per_hour="99"))
    deleted = client.post(url("pointsrules", "delete", rules), {"post": "yes"})
    assert (changed.status_code, deleted.status_code) == (403, 403)
    assert PointsRules.objects.get(pk=rules.pk).points_per_hour == Decimal(10)
