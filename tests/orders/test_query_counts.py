"""Exact query counts on the hot pages and endpoints that are not lists (the lists are
pinned beside their own tests): one more query on any of them fails here, and the failure
lists the queries that ran.

Each count is of one request by a signed-in user, with the content-type cache emptied
first, so the count does not depend on which test ran before. When a change really needs
another query, raise the number here in the same commit and say why in its message.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders import services
from orders.models import Order
from orders.proof import proof_code
from points.services.rules import rules_current
from tests.support.order_form import order_form_token
from tests.support.queries import exact_queries

from .conftest import PHONE

S = Order.Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cold_content_types():
    ContentType.objects.clear_cache()


def api_client(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def offered(people, order, helper) -> Order:
    return services.order_dispatch(actor=people.township_cadre, order_id=order.pk, volunteer=helper)


def held(people, order, helper) -> Order:
    offered(people, order, helper)
    return services.order_accept(volunteer=helper, order_id=order.pk)


def in_service(people, order, helper) -> Order:
    held(people, order, helper)
    # Check-in opens shortly before the booked time (orders.rules).
    Order.objects.filter(pk=order.pk).update(
        preferred_start=timezone.now() + datetime.timedelta(minutes=30)
    )
    services.order_start(volunteer=helper, order_id=order.pk)
    Order.objects.filter(pk=order.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=1, minutes=30)
    )
    return Order.objects.get(pk=order.pk)


def form_path(tree, menu) -> str:
    return (
        f"/orders/new/?service={menu.errand.pk}"
        f"&county={tree.county_a.pk}&township={tree.township_a.pk}"
    )


# ---------------------------------------------------------------- pages


def test_the_order_detail_page_costs_exact_queries(client, people, order, helper):
    held(people, order, helper)
    client.force_login(people.resident)
    with exact_queries(ORDER_DETAIL):
        response = client.get(f"/orders/{order.pk}/")
    assert response.status_code == 200


def test_the_order_form_costs_exact_queries(client, people, tree, menu):
    client.force_login(people.resident)
    with exact_queries(ORDER_FORM_GET):
        response = client.get(form_path(tree, menu))
    assert response.status_code == 200


def test_placing_an_order_from_the_form_costs_exact_queries(client, people, tree, menu):
    client.force_login(people.resident)
    data = {
        "service": menu.errand.pk,
        "center": tree.village_a.pk,
        "title": "帮忙买药",
        "address": "王江社区3栋201",
        "contact_phone": PHONE,
        # The page's one-time token, from the form as a browser has it (not counted).
        "form_token": order_form_token(client, form_path(tree, menu)),
    }
    ContentType.objects.clear_cache()
    with exact_queries(ORDER_FORM_POST):
        response = client.post(form_path(tree, menu), data)
    assert response.status_code == 302
    assert Order.objects.filter(resident=people.resident, title="帮忙买药").count() == 1


TASK_STEPS = [
    ("accept", offered, {}, S.ACCEPTED),
    ("decline", offered, {"reason": "今天在外地"}, S.PLACED),
    ("start", held, {}, S.IN_SERVICE),
    ("complete", in_service, {"summary": "药已送到", "hours": "1.50"}, S.COMPLETED),
]


def with_proof(action: str, order, data: dict) -> dict:
    # Check-out as it is meant to go: with the resident's code, the hours certified at once.
    return {**data, "proof_code": proof_code(order.pk)} if action == "complete" else data


def ready_for(action, prepare, people, order, helper) -> None:
    prepare(people, order, helper)
    # A running portal has its points rules; the first award of a new one writes them.
    rules_current()
    if action == "start":
        # Check-in opens shortly before the booked time (orders.rules).
        Order.objects.filter(pk=order.pk).update(
            preferred_start=timezone.now() + datetime.timedelta(minutes=30)
        )


@pytest.mark.parametrize(("action", "prepare", "data", "status"), TASK_STEPS)
def test_a_task_step_on_the_page_costs_exact_queries(
    client, people, order, helper, action, prepare, data, status
):
    ready_for(action, prepare, people, order, helper)
    data = with_proof(action, order, data)
    client.force_login(people.volunteer)
    with exact_queries(TASK_PAGE[action]):
        response = client.post(f"/volunteer/tasks/{order.pk}/{action}/", data)
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == status


def test_the_volunteer_home_page_costs_exact_queries(client, people, order, helper):
    held(people, order, helper)
    client.force_login(people.volunteer)
    with exact_queries(VOLUNTEER_HOME):
        response = client.get("/volunteer/")
    assert response.status_code == 200


def test_the_admin_index_costs_exact_queries(client, people):
    client.force_login(people.county_cadre)
    with exact_queries(ADMIN_INDEX):
        response = client.get("/admin/")
    assert response.status_code == 200


# ---------------------------------------------------------------- API


def test_placing_an_order_through_the_api_costs_exact_queries(people, tree, menu):
    client = api_client(people.resident)
    data = {
        "service": menu.errand.pk,
        "center": tree.village_a.pk,
        "title": "帮忙买药",
        "address": "王江社区3栋201",
        "contact_phone": PHONE,
    }
    with exact_queries(API_ORDER_POST):
        response = client.post("/api/v1/orders/", data, format="json")
    assert response.status_code == 201, response.content


def test_reading_an_order_through_the_api_costs_exact_queries(people, order, helper):
    held(people, order, helper)
    client = api_client(people.resident)
    with exact_queries(API_ORDER_GET):
        response = client.get(f"/api/v1/orders/{order.pk}/")
    assert response.status_code == 200


def test_me_costs_exact_queries(people, helper):
    client = api_client(people.volunteer)
    with exact_queries(API_ME):
        response = client.get("/api/v1/me/")
    assert response.status_code == 200


@pytest.mark.parametrize(("action", "prepare", "data", "status"), TASK_STEPS)
def test_a_task_action_through_the_api_costs_exact_queries(
    people, order, helper, action, prepare, data, status
):
    ready_for(action, prepare, people, order, helper)
    data = with_proof(action, order, data)
    client = api_client(people.volunteer)
    with exact_queries(API_TASK[action]):
        response = client.post(f"/api/v1/orders/{order.pk}/{action}/", data, format="json")
    assert response.status_code == 200, response.content
    assert Order.objects.get(pk=order.pk).status == status


# The pinned costs. A session-signed-in page starts with the session and the user (2); the
# API with the token and its user (1).
ORDER_DETAIL = 7
ORDER_FORM_GET = 11  # with the one-time form token it issues (core.FormToken)
ORDER_FORM_POST = 19  # spending the form token: its savepoint, row lock, update, release
# Completion checks the resident's code (its own transaction: savepoint, the order locked,
# release), then awards hours and points: each credit its savepoint, insert and balance
# update, the hours the recheck outbox (the drain follows it with the leaderboards' rows and
# the stars), and the rules with the service's coefficient read once. The page then asks
# whether the hours wait for proof.
TASK_PAGE = {"accept": 11, "decline": 17, "start": 14, "complete": 29}
VOLUNTEER_HOME = 5
ADMIN_INDEX = 10
API_ORDER_POST = 13
API_ORDER_GET = 5
API_ME = 7  # the star level in force, read from the certifications
API_TASK = {"accept": 16, "decline": 20, "start": 18, "complete": 31}
