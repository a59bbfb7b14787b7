"""The annual honours (评选表彰): a county's or the city's cadre nominates a volunteer of
their subtree from the year's figures, with a reason; only the city confirms; the confirmed
are published, masked, on /honours/."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from core.errors import ConflictError, DomainError, NotInScope
from points.models import Honour, Source
from points.services.honours import honour_decide, honour_nominate
from points.services.ledger import service_award
from points.services.stars import TierRefused, recheck_drain
from tests.factories.volunteers import make_team, make_volunteer
from tests.support.queries import exact_get
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year
H = Honour.Status


@pytest.fixture
def figures(tree, people) -> SimpleNamespace:
    """李志愿 (village A, 30 h, in 王江小队) and 天马山志愿 (county B, 40 h)."""
    a = Volunteer.objects.get(user=people.volunteer)
    b = make_volunteer(4, tree.village_b, name="天马山志愿")
    for number, (volunteer, hours) in enumerate(((a, "30"), (b, "40"))):
        assert service_award(
            volunteer_id=volunteer.pk, source=Source.ORDER, source_id=number, hours=Decimal(hours)
        )
    make_team(tree.village_a, people.city_cadre, [a], name="王江小队")
    # The year's figures come to the boards with the drain the worker runs after the awards.
    recheck_drain()
    return SimpleNamespace(a=a, b=b)


def nominate(actor, volunteer, year=THIS_YEAR, reason="服务时长全区第一"):
    return honour_nominate(actor=actor, volunteer_id=volunteer.pk, year=year, reason=reason)


def test_a_county_cadre_nominates_a_volunteer_of_the_county_with_the_years_hours(people, figures):
    honour = nominate(people.county_cadre, figures.a)
    assert (honour.status, honour.hours, honour.year) == (H.NOMINATED, Decimal("30.00"), THIS_YEAR)
    assert honour.county_id == figures.a.county_id


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("township_cadre", TierRefused),
        ("village_cadre", TierRefused),
        ("outsider_cadre", NotInScope),
    ],
)
def test_only_a_county_or_city_cadre_in_scope_nominates(people, figures, persona, error):
    with pytest.raises(error):
        nominate(getattr(people, persona), figures.a)
    assert not Honour.objects.exists()


def test_a_nomination_needs_a_reason_hours_in_the_year_and_happens_once(people, figures):
    with pytest.raises(DomainError, match="推荐理由"):
        nominate(people.city_cadre, figures.a, reason="  ")
    with pytest.raises(DomainError, match="没有认证服务时长"):
        nominate(people.city_cadre, figures.a, year=THIS_YEAR - 1)
    nominate(people.city_cadre, figures.a)
    with pytest.raises(ConflictError):
        nominate(people.county_cadre, figures.a)
    assert Honour.objects.count() == 1


def test_only_a_city_cadre_confirms_and_once(people, figures):
    honour = nominate(people.county_cadre, figures.a)
    with pytest.raises(TierRefused):
        honour_decide(actor=people.county_cadre, honour_id=honour.pk, confirm=True)
    assert honour_decide(actor=people.city_cadre, honour_id=honour.pk, confirm=True).status == (
        H.CONFIRMED
    )
    with pytest.raises(ConflictError):
        honour_decide(actor=people.city_cadre, honour_id=honour.pk, confirm=False)


def test_the_public_list_shows_only_the_confirmed_masked(client, people, figures):
    # given a confirmed honour in county A and a nomination still open in county B
    confirmed = nominate(people.county_cadre, figures.a)
    honour_decide(actor=people.city_cadre, honour_id=confirmed.pk, confirm=True)
    nominate(people.city_cadre, figures.b)
    # when anyone reads the year's list
    response = exact_get(client, reverse("points:honours"), 2, {"year": str(THIS_YEAR)})
    # then only the confirmed one, as the city publishes it
    rows = [(r.name, r.team, r.center, r.year) for r in response.context["rows"]]
    assert rows == [("李**", "王江小队", "王江社区居委会", THIS_YEAR)]
    page = response.content.decode()
    assert "李志愿" not in page
    assert "天**" not in page
    assert "13700000001" not in page


@pytest.mark.parametrize("params", [{"year": "all"}, {"year": "20２6"}, {"before": "x"}])
def test_a_bad_public_parameter_answers_a_chinese_400(client, params):
    response = client.get(reverse("points:honours"), params)
    assert response.status_code == 400
    assert "年度或页码无效" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "seen"),
    [
        ("city_cadre", {"a", "b"}),
        ("county_cadre", {"a"}),
        ("township_cadre", {"a"}),
        ("outsider_cadre", {"b"}),
    ],
)
def test_each_cadre_lists_their_subtrees_nominations(client, people, figures, persona, seen):
    made = {
        "a": nominate(people.county_cadre, figures.a),
        "b": nominate(people.city_cadre, figures.b),
    }
    client.force_login(getattr(people, persona))
    response = client.get(reverse("admin:points_honour_changelist"))
    assert {row.pk for row in response.context["cl"].result_list} == {made[n].pk for n in seen}


def test_a_county_cadre_nominates_from_the_board_and_the_city_confirms_in_the_admin(
    client, people, figures
):
    # given the county cadre on the board, whose rows link to the nomination
    client.force_login(people.county_cadre)
    board = client.get(reverse("admin:points_hourssummary_changelist")).content.decode()
    link = reverse("admin:points_honour_nominate", args=[figures.a.pk]) + f"?year={THIS_YEAR}"
    assert link in board
    # when they nominate with a reason
    refused = client.post(link, {"reason": ""})
    assert refused.status_code == 400
    assert "请填写推荐理由" in refused.content.decode()
    assert client.post(link, {"reason": "全年服务 30 小时"}).status_code == 302
    honour = Honour.objects.get()
    # then the city cadre confirms it with the admin action
    client.force_login(people.city_cadre)
    client.post(
        reverse("admin:points_honour_changelist"),
        {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [honour.pk]},
    )
    honour.refresh_from_db()
    assert honour.status == H.CONFIRMED
    assert honour.decided_by == people.city_cadre


def test_a_township_cadre_has_no_nomination_page(client, people, figures):
    client.force_login(people.township_cadre)
    board = client.get(reverse("admin:points_hourssummary_changelist")).content.decode()
    assert "提名表彰" not in board
    url = reverse("admin:points_honour_nominate", args=[figures.a.pk])
    assert client.get(url).status_code == 403


def test_an_outsider_finds_no_volunteer_to_nominate(client, people, figures):
    client.force_login(people.outsider_cadre)
    assert (
        client.get(reverse("admin:points_honour_nominate", args=[figures.a.pk])).status_code == 404
    )


def test_the_nomination_page_costs_a_fixed_number_of_queries(client, people, figures):
    client.force_login(people.county_cadre)
    url = reverse("admin:points_honour_nominate", args=[figures.a.pk])
    page = exact_get(client, url, 10, {"year": str(THIS_YEAR)})
    assert "30.00" in page.content.decode()
