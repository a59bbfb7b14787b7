"""The resident's confirmation or dispute of a service through the API (issue 11 item 1), the
same service as the order page's buttons: only the resident who placed the order moves its
hours, on either surface; bad input is a Chinese 400 that changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order
from points.models import HoursClaim
from tests.points.test_proof import certified_hours, check_out, claim_of, serving, volunteer

pytestmark = pytest.mark.django_db

C = HoursClaim.Status
__all__ = ["serving", "volunteer"]  # fixtures of the order being served


def confirm_url(order: Order) -> str:
    return reverse("api:order-confirm-service", args=[order.pk])


def dispute_url(order: Order) -> str:
    return reverse("api:order-dispute-service", args=[order.pk])


def test_the_resident_confirms_and_the_hours_are_certified_once(
    api_client, people, volunteer, serving
):
    check_out(volunteer, serving)
    api_client.force_authenticate(people.resident)

    first = api_client.post(confirm_url(serving))
    again = api_client.post(confirm_url(serving))

    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == serving.pk
    assert claim_of(serving).status == C.CERTIFIED
    assert certified_hours(volunteer) == Decimal("2.00")


def test_the_resident_disputes_with_a_reason_and_the_hours_wait(
    api_client, people, volunteer, serving
):
    check_out(volunteer, serving)
    api_client.force_authenticate(people.resident)

    response = api_client.post(dispute_url(serving), {"reason": "志愿者没有上门"}, format="json")

    assert response.status_code == 200
    claim = claim_of(serving)
    assert (claim.status, claim.dispute_reason) == (C.DISPUTED, "志愿者没有上门")
    assert certified_hours(volunteer) == Decimal(0)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "长" * 201},
        {"reason": 7},
        {"reason": None},
    ],
)
def test_a_dispute_without_a_proper_reason_is_a_chinese_400(
    api_client, people, volunteer, serving, body
):
    check_out(volunteer, serving)
    api_client.force_authenticate(people.resident)

    response = api_client.post(dispute_url(serving), body, format="json")

    assert response.status_code == 400
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(response.json()))
    assert claim_of(serving).status == C.AWAITING_RESIDENT


def test_a_certified_service_cannot_be_disputed_any_more(api_client, people, volunteer, serving):
    check_out(volunteer, serving)
    api_client.force_authenticate(people.resident)
    api_client.post(confirm_url(serving))

    response = api_client.post(dispute_url(serving), {"reason": "其实没来"}, format="json")

    assert response.status_code == 409
    assert "已处理" in response.json()["detail"]
    assert claim_of(serving).status == C.CERTIFIED


# Who else may press either button, on the page and through the API: the same answer, nobody.
# The API says 403 to those who may read the order (the volunteer, the cadres of its
# subtree) and 404 to the others; the page, which is the resident's own, 404 to all.
OTHERS = [
    ("volunteer", 403),
    ("city_cadre", 403),
    ("county_cadre", 403),
    ("township_cadre", 403),
    ("village_cadre", 403),
    ("outsider_cadre", 404),
    (None, 401),
]


@pytest.mark.parametrize(("persona", "api_status"), OTHERS)
@pytest.mark.parametrize("step", ["confirm", "dispute"])
def test_nobody_but_the_resident_moves_the_hours_on_either_surface(
    api_client, client, people, volunteer, serving, persona, api_status, step
):
    check_out(volunteer, serving)
    user = getattr(people, persona) if persona else None
    if user is not None:
        api_client.force_authenticate(user)
        client.force_login(user)
    body = {"reason": "没有上门"}
    api_url = confirm_url(serving) if step == "confirm" else dispute_url(serving)
    page_url = reverse(f"orders:{step}_service", args=[serving.pk])

    through_api = api_client.post(api_url, body, format="json")
    through_page = client.post(page_url, body)

    assert through_api.status_code == api_status
    assert through_page.status_code == (302 if user is None else 404)
    assert claim_of(serving).status == C.AWAITING_RESIDENT
    assert certified_hours(volunteer) == Decimal(0)


def test_an_order_id_past_any_bigint_is_404(api_client, people):
    api_client.force_authenticate(people.resident)
    response = api_client.post(reverse("api:order-confirm-service", args=[2**63]))
    assert response.status_code == 404
