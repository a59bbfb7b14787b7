"""Which menu items post micro-wishes (Service.is_wish): set by the cadres in the service
admin, as a plain checkbox, within their scope like every other field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from practice.models import Platform, Service
from practice.services import service_save

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def form(center, **overrides) -> dict:
    return {
        "center": center.pk,
        "platform": Platform.EDUCATION,
        "name": "珠晖区微心愿",
        "description": "",
        "sort_order": "100",
        "is_active": "on",
        **overrides,
    }


def test_a_county_cadre_marks_a_service_of_the_county_as_a_wish_item(client, people, tree):
    # given
    client.force_login(people.county_cadre)

    # when
    page = client.get(reverse("admin:practice_service_add"))
    created = client.post(reverse("admin:practice_service_add"), form(tree.county_a, is_wish="on"))
    plain = client.post(reverse("admin:practice_service_add"), form(tree.county_a, name="书法课"))

    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert '<input type="checkbox" name="is_wish"' in html
    assert "微心愿项目" in html
    assert (created.status_code, plain.status_code) == (302, 302)
    assert dict(Service.objects.values_list("name", "is_wish")) == {
        "珠晖区微心愿": True,
        "书法课": False,
    }


def test_the_changelist_shows_and_filters_by_the_flag(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    for name, is_wish in (("珠晖区微心愿", "on"), ("书法课", "")):
        client.post(
            reverse("admin:practice_service_add"), form(tree.county_a, name=name, is_wish=is_wish)
        )

    # when
    wishes = client.get(reverse("admin:practice_service_changelist"), {"is_wish__exact": "1"})

    # then
    assert wishes.status_code == 200
    assert [service.name for service in wishes.context["cl"].result_list] == ["珠晖区微心愿"]


def test_an_outsider_cannot_flag_another_countys_service(client, people, tree):
    # given
    target = service_save(
        actor=None,
        service=Service(center=tree.county_a, platform=Platform.EDUCATION, name="书法课"),
    )
    client.force_login(people.outsider_cadre)

    # when
    response = client.post(
        reverse("admin:practice_service_change", args=[target.pk]),
        form(tree.county_a, name="书法课", is_wish="on"),
    )

    # then
    assert response.status_code == 404
    assert Service.objects.get(pk=target.pk).is_wish is False
