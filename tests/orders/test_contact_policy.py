"""The contact policy (orders.selectors.with_contact_visibility) on every surface: the
persona matrix of tests/persona_matrix.py run against the HTML order page, the API's
detail and list, and the admin's change page, so that no surface shows more than another."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders.selectors import order_contact_visible
from tests.persona_matrix import (
    ABSENT,
    ADDRESS,
    CADRES,
    CLEAR,
    MASKED,
    PERSONAS,
    PHONE,
    SIGN_IN,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(tree, people, menu) -> SimpleNamespace:
    return SimpleNamespace(tree=tree, people=people, menu=menu)


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def shown(text: str) -> tuple[bool, bool]:
    return PHONE in text, ADDRESS in text


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_order_page_follows_the_matrix(client, ctx, persona):
    build, expected = PERSONAS[persona]
    case = build(ctx)
    if case.user is not None:
        client.force_login(case.user)

    response = client.get(f"/orders/{case.order.pk}/")

    if expected == SIGN_IN:
        assert response.status_code == 302
        return
    if expected == ABSENT:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert shown(page) == ((True, True) if expected == CLEAR else (False, False))
    if expected == MASKED:
        assert "已隐藏" in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_api_detail_follows_the_matrix(ctx, persona):
    build, expected = PERSONAS[persona]
    case = build(ctx)

    response = api_as(case.user).get(f"/api/v1/orders/{case.order.pk}/")

    if expected == SIGN_IN:
        assert response.status_code == 401
        return
    if expected == ABSENT:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    body = response.json()
    assert body["contact_visible"] is (expected == CLEAR)
    assert shown(response.content.decode()) == (
        (True, True) if expected == CLEAR else (False, False)
    )
    if expected == MASKED:
        assert (body["contact_phone"], body["address"]) == ("139****0002", "***")
        assert body["resident_name"] == "张**"
        # The timeline names the resident no more than the fields do.
        assert "张群众" not in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_api_list_never_shows_the_contact_and_lists_what_the_detail_reads(ctx, persona):
    build, expected = PERSONAS[persona]
    case = build(ctx)

    response = api_as(case.user).get("/api/v1/orders/")

    if expected == SIGN_IN:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    assert shown(response.content.decode()) == (False, False)
    listed = {row["id"] for row in response.json()["results"]}
    # A team's pool and a completed task leave the API list as they leave the task page;
    # what is listed is always readable in detail, and never with more than the matrix says.
    if expected == ABSENT:
        assert case.order.pk not in listed


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_selector_for_one_order_agrees_with_the_matrix(ctx, persona):
    build, expected = PERSONAS[persona]
    case = build(ctx)

    assert order_contact_visible(case.user, case.order) is (expected == CLEAR)


@pytest.mark.parametrize("persona", CADRES)
def test_the_admin_change_page_follows_the_matrix_for_cadres(client, ctx, persona):
    build, expected = PERSONAS[persona]
    case = build(ctx)
    client.force_login(case.user)

    response = client.get(f"/admin/orders/order/{case.order.pk}/change/")

    if expected == ABSENT:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert shown(response.content.decode()) == (True, True)


def test_the_window_after_completion_follows_the_setting(client, ctx, settings):
    build, _expected = PERSONAS["volunteer_completed_4_days_ago"]
    case = build(ctx)
    client.force_login(case.user)
    assert PHONE not in client.get(f"/orders/{case.order.pk}/").content.decode()

    settings.ORDER_CONTACT_DAYS_AFTER_COMPLETION = 5

    assert PHONE in client.get(f"/orders/{case.order.pk}/").content.decode()


def test_the_task_list_shows_the_address_to_the_holder_only(client, ctx):
    offered_build, _ = PERSONAS["volunteer_offered_by_name"]
    offered = offered_build(ctx)
    client.force_login(offered.user)
    page = client.get("/volunteer/tasks/").content.decode()
    assert f'id="task-{offered.order.pk}"' in page
    assert shown(page) == (False, False)

    held_build, _ = PERSONAS["volunteer_holding"]
    held = held_build(ctx)
    client.force_login(held.user)
    page = client.get("/volunteer/tasks/").content.decode()
    assert f'id="task-{held.order.pk}"' in page
    assert shown(page) == (True, True)


@pytest.mark.parametrize("persona", CADRES)
def test_the_dispatch_page_follows_the_matrix_for_cadres(client, ctx, persona):
    build, expected = PERSONAS[persona]
    case = build(ctx)
    client.force_login(case.user)

    response = client.get(f"/orders/dispatch/{case.order.pk}/")

    if expected == ABSENT:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert ADDRESS in response.content.decode()
