"""The county → township → village choice shared by the apply and order pages."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string

from practice.area_choice import area_choice
from practice.models import Center, Kind
from practice.services import center_save


def names(centers) -> list[str]:
    return [center.name for center in centers]


def query(**ids: object) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in ids.items():
        data[name] = str(value)
    return data


def deactivate(center: Center) -> None:
    center.is_active = False
    center_save(actor=None, center=center)


def base_under(village: Center) -> Center:
    return center_save(
        actor=None,
        center=Center(parent=village, name="王江劳动教育基地", code="JD0001", kind=Kind.BASE),
    )


def test_nothing_chosen_offers_the_active_counties_and_nothing_below(
    tree, django_assert_num_queries
):
    # given a county that has been retired
    deactivate(tree.county_b)

    # when nothing is chosen yet
    with django_assert_num_queries(0):
        area = area_choice(QueryDict())

    # then only the active counties are offered, by code, and nothing under them yet
    assert names(area.counties) == ["珠晖区"]
    assert (area.county, area.township) == (None, None)
    assert list(area.townships) == []
    assert list(area.villages) == []
    assert area.chosen_query() == ""


def test_a_county_then_a_township_narrow_the_choices(tree, django_assert_num_queries):
    # given
    base = base_under(tree.village_a)
    deactivate(tree.village_a2)

    # when
    with django_assert_num_queries(1):
        county_only = area_choice(query(county=tree.county_a.pk))
    with django_assert_num_queries(2):
        area = area_choice(query(county=tree.county_a.pk, township=tree.township_a.pk))

    # then each step offers only the active centers inside the one before
    assert county_only.county == tree.county_a
    assert county_only.township is None
    assert names(county_only.townships) == ["衡州路街道", "广东路街道"]
    assert list(county_only.villages) == []
    assert area.township == tree.township_a
    # a base under a village counts as a village; the retired village does not
    assert list(area.villages) == [tree.village_a, base]
    assert area.as_context() == {
        "counties": area.counties,
        "county": tree.county_a,
        "townships": area.townships,
        "township": tree.township_a,
        "villages": area.villages,
    }


def test_a_township_of_another_county_is_not_taken(tree):
    area = area_choice(query(county=tree.county_b.pk, township=tree.township_a.pk))

    assert area.county == tree.county_b
    assert area.township is None
    assert names(area.townships) == ["天马山街道"]
    assert list(area.villages) == []


def test_a_retired_township_is_not_taken(tree):
    deactivate(tree.township_a)

    area = area_choice(query(county=tree.county_a.pk, township=tree.township_a.pk))

    assert area.county == tree.county_a
    assert area.township is None
    assert names(area.townships) == ["广东路街道"]


@pytest.mark.parametrize("raw", ["abc", "", "0", "-1", "1.5", "²", "٣", "99999999999999999999"])
def test_nonsense_ids_are_ignored(tree, raw):
    area = area_choice(query(county=raw, township=raw))

    assert (area.county, area.township) == (None, None)
    assert list(area.villages) == []


@pytest.mark.parametrize("where", ["village_a2", "base"])
def test_the_previous_village_starts_the_cascade_at_its_township(
    tree, where, django_assert_num_queries
):
    # given the person's last village (or a base under a village)
    previous = base_under(tree.village_a) if where == "base" else tree.village_a2

    # when they come back with nothing chosen
    with django_assert_num_queries(3):
        area = area_choice(QueryDict(), previous=previous)

    # then the county and township above it are chosen, and its village is offered
    assert (area.county, area.township) == (tree.county_a, tree.township_a)
    assert previous in list(area.villages)
    assert area.chosen_query() == f"county={tree.county_a.pk}&township={tree.township_a.pk}"


def test_the_query_overrides_the_previous_village(tree):
    # a step the person took themselves wins, even one that clears the county
    moved = area_choice(query(county=tree.county_b.pk), previous=tree.village_a)
    cleared = area_choice(query(county=""), previous=tree.village_a)

    assert (moved.county, moved.township) == (tree.county_b, None)
    assert (cleared.county, cleared.township) == (None, None)


def test_a_previous_village_under_a_retired_township_starts_at_its_county(tree):
    deactivate(tree.township_a)

    area = area_choice(QueryDict(), previous=tree.village_a)

    assert (area.county, area.township) == (tree.county_a, None)


def test_the_chosen_query_puts_the_leading_fields_first(tree):
    area = area_choice(query(county=tree.county_a.pk, township=tree.township_a2.pk))

    assert area.chosen_query(service=7) == (
        f"service=7&county={tree.county_a.pk}&township={tree.township_a2.pk}"
    )


def test_the_include_is_a_get_form_carrying_the_page_field(tree):
    area = area_choice(query(county=tree.county_a.pk, township=tree.township_a.pk))

    html = render_to_string(
        "practice/_area_choice.html",
        {**area.as_context(), "action": "/orders/new/", "carry_name": "service", "carry_value": 7},
    )

    assert '<form method="get" action="/orders/new/" class="area-steps">' in html
    assert '<input type="hidden" name="service" value="7">' in html
    assert f'<option value="{tree.county_a.pk}" selected>珠晖区</option>' in html
    assert f'<option value="{tree.township_a.pk}" selected>衡州路街道</option>' in html
    assert "更改地区" in html
    assert "<script" not in html


def test_the_include_without_a_carried_field_asks_for_the_county_first(tree):
    html = render_to_string(
        "practice/_area_choice.html",
        {**area_choice(QueryDict()).as_context(), "action": "/volunteer/apply/"},
    )

    assert 'type="hidden"' not in html
    assert 'id="id_township"' not in html
    assert "下一步" in html
