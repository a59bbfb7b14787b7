"""Star certifications and objections in the cadre admin: each cadre lists their subtree's,
the rows are read-only, and the actions go through points.services.stars, refused with the
rule to a cadre whose tier may not certify the level."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from points.models import Source, StarCertification, StarObjection
from points.services.ledger import hours_credit
from points.services.stars import certification_confirm, certification_object, recheck_drain
from tests.factories.volunteers import make_volunteer
from tests.support.queries import exact_get
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

S = StarCertification.Status


def url(model: str, action: str, obj: Any = None) -> str:
    args = [] if obj is None else [obj.pk]
    return reverse(f"admin:points_{model}_{action}", args=args)


def eligible(volunteer: Volunteer, hours: str = "100.00") -> StarCertification:
    assert hours_credit(
        volunteer_id=volunteer.pk, source=Source.ORDER, source_id=volunteer.pk, hours=Decimal(hours)
    )
    recheck_drain()
    return StarCertification.objects.filter(volunteer=volunteer).order_by("-level").first()


@pytest.fixture
def stars(tree, people) -> SimpleNamespace:
    return SimpleNamespace(
        a=eligible(Volunteer.objects.get(user=people.volunteer)),
        a2=eligible(make_volunteer(2, tree.village_a2, name="新园志愿")),
        a3=eligible(make_volunteer(3, tree.village_a3, name="湖北路志愿")),
        b=eligible(make_volunteer(4, tree.village_b, name="天马山志愿")),
    )


SCOPES = [
    ("city_cadre", {"a", "a2", "a3", "b"}),
    ("county_cadre", {"a", "a2", "a3"}),
    ("township_cadre", {"a", "a2"}),
    ("village_cadre", {"a"}),
    ("outsider_cadre", {"b"}),
]


@pytest.mark.parametrize(("persona", "seen"), SCOPES)
def test_each_cadre_lists_exactly_their_subtrees_certifications(
    client, people, stars, persona, seen
):
    client.force_login(getattr(people, persona))
    response = client.get(url("starcertification", "changelist"))
    assert response.status_code == 200
    listed = {row.pk for row in response.context["cl"].result_list}
    assert listed == {getattr(stars, name).pk for name in seen}


@pytest.mark.parametrize("view", ["change", "history"])
def test_an_outsider_gets_404_on_another_countys_certification(client, people, stars, view):
    client.force_login(people.outsider_cadre)
    assert client.get(url("starcertification", view, stars.a)).status_code == 404


def test_a_certification_cannot_be_edited_by_hand(client, people, stars):
    client.force_login(people.city_cadre)
    page = client.get(url("starcertification", "change", stars.a))
    changed = client.post(
        url("starcertification", "change", stars.a), {"status": "certified", "_save": "保存"}
    )
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields) == []
    assert changed.status_code == 403
    assert StarCertification.objects.get(pk=stars.a.pk).status == S.ELIGIBLE


def act(client, action: str, rows: list[StarCertification]):
    data = {"action": action, ACTION_CHECKBOX_NAME: [r.pk for r in rows], "index": "0"}
    return client.post(url("starcertification", "changelist"), data, follow=True)


def test_the_county_cadre_confirms_from_the_list(client, people, stars):
    client.force_login(people.county_cadre)
    response = act(client, "confirm_selected", [stars.a, stars.a3])
    assert "已认定 2 项。" in response.content.decode()
    assert set(
        StarCertification.objects.filter(pk__in=[stars.a.pk, stars.a3.pk]).values_list(
            "status", flat=True
        )
    ) == {S.CONFIRMED}


def test_the_township_cadre_is_told_the_rule_and_nothing_changes(client, people, stars):
    client.force_login(people.township_cadre)
    response = act(client, "confirm_selected", [stars.a])
    assert "一星、二星由县级或市级干部认定。" in response.content.decode()
    assert StarCertification.objects.get(pk=stars.a.pk).status == S.ELIGIBLE


def test_a_posted_id_outside_the_scope_changes_nothing(client, people, stars):
    client.force_login(people.outsider_cadre)
    act(client, "confirm_selected", [stars.a])
    assert StarCertification.objects.get(pk=stars.a.pk).status == S.ELIGIBLE


def test_a_selection_that_is_no_number_is_404(client, people, stars):
    client.force_login(people.county_cadre)
    response = client.post(
        url("starcertification", "changelist"),
        {"action": "confirm_selected", ACTION_CHECKBOX_NAME: ["abc"], "index": "0"},
    )
    assert response.status_code == 404
    assert StarCertification.objects.get(pk=stars.a.pk).status == S.ELIGIBLE


def test_objections_list_their_subtree_and_a_decision_goes_through_the_service(
    client, people, stars
):
    # given an objection to the star of 王江社区, in its notice
    certification_confirm(actor=people.county_cadre, certification_id=stars.a.pk)
    objection = certification_object(
        user=people.resident, certification_id=stars.a.pk, reason="未见其服务"
    )
    # then the outsider does not see it, the county cadre does
    client.force_login(people.outsider_cadre)
    assert list(client.get(url("starobjection", "changelist")).context["cl"].result_list) == []
    client.force_login(people.county_cadre)
    assert list(client.get(url("starobjection", "changelist")).context["cl"].result_list) == [
        objection
    ]
    # when the county cadre dismisses it
    client.post(
        url("starobjection", "changelist"),
        {"action": "dismiss_selected", ACTION_CHECKBOX_NAME: [objection.pk], "index": "0"},
    )
    # then
    assert StarObjection.objects.get(pk=objection.pk).decision == "dismiss"
    assert StarCertification.objects.get(pk=stars.a.pk).status == S.CONFIRMED


@pytest.mark.parametrize("persona", ["resident", "volunteer"])
def test_residents_and_volunteers_do_not_get_into_the_star_admin(client, people, persona):
    client.force_login(getattr(people, persona))
    for model in ("starcertification", "starobjection"):
        assert client.get(url(model, "changelist")).status_code == 302


# The county cadre's certification changelist, whatever the number of rows on the page.
STAR_CHANGELIST_QUERIES = 9


def test_the_changelist_queries_do_not_grow_with_rows(client, people, tree):
    client.force_login(people.county_cadre)
    eligible(make_volunteer(10, tree.village_a))
    exact_get(client, url("starcertification", "changelist"), STAR_CHANGELIST_QUERIES)
    for number in range(11, 16):
        eligible(make_volunteer(number, tree.village_a2))
    exact_get(client, url("starcertification", "changelist"), STAR_CHANGELIST_QUERIES)
