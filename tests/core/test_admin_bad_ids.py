"""A related row posted as something that is not an id (a name typed into a hand-made
request, a script's garbage) is a form error in Chinese on every admin form with an
autocomplete field, never a server error, and nothing is saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from points.models import Benefit
from practice.models import CadreRole, Service
from volunteers.models import Team, TeamMembership

pytestmark = pytest.mark.django_db

FORMS = [
    ("admin:practice_service_add", {"center": "衡阳市", "name": "义剪"}, Service),
    ("admin:practice_cadrerole_add", {"center": "abc", "user": "1"}, CadreRole),
    ("admin:volunteers_team_add", {"center": "1 OR 1=1", "name": "新队", "kind": "standing"}, Team),
    ("admin:volunteers_teammembership_add", {"team": "x", "volunteer": "y"}, TeamMembership),
    (
        "admin:points_benefit_add",
        {
            "center": "１",
            "title": "景区",
            "category": "scenic",
            "provider": "南岳",
            "min_stars": "1",
        },
        Benefit,
    ),
]


@pytest.mark.parametrize(("name", "data", "model"), FORMS)
def test_a_related_row_that_is_no_id_is_a_form_error(client, people, name, data, model):
    # given
    before = model.objects.count()
    client.force_login(people.city_cadre)
    # when
    response = client.post(reverse(name), data)
    # then the form again, with its error, and nothing saved
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors
    assert any("选择" in str(message) or "必填" in str(message) for message in errors.values())
    assert model.objects.count() == before
