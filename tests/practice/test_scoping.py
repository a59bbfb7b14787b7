from __future__ import annotations

import pytest

from practice.scoping import visible_centers


@pytest.mark.django_db
def test_each_cadre_sees_exactly_their_subtree(people, tree):
    # given the personas of the small tree
    # when each asks for their visible centers
    seen = {
        name: set(visible_centers(getattr(people, name)).values_list("code", flat=True))
        for name in [
            "city_cadre",
            "county_cadre",
            "township_cadre",
            "village_cadre",
            "outsider_cadre",
        ]
    }
    # then
    assert len(seen["city_cadre"]) == 10
    assert seen["county_cadre"] == {
        "430405",
        "430405007",
        "430405007006",
        "430405007007",
        "430405009",
        "430405009007",
    }
    assert seen["township_cadre"] == {"430405007", "430405007006", "430405007007"}
    assert seen["village_cadre"] == {"430405007006"}
    assert seen["outsider_cadre"] == {"430406", "430406001", "430406001001"}


@pytest.mark.django_db
def test_residents_and_volunteers_manage_nothing(people):
    assert not visible_centers(people.resident).exists()
    assert not visible_centers(people.volunteer).exists()
