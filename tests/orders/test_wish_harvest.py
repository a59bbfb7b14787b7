"""Micro-wishes cannot be harvested: one account holds at most WISH_OPEN_CLAIMS_MAX open
claims, claims at most WISH_CLAIMS_PER_HOUR times an hour, and reads the poster's name,
phone and address only once the poster or a cadre in scope confirmed the claim."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.services import resident_register
from core.errors import DomainError, NotInScope
from core.models import Notification
from orders.models import Order, OrderEvent
from orders.notifications import notify_pending
from orders.services import wish_claim, wish_claim_confirm, wish_fulfil
from tests.conftest import PASSWORD
from tests.orders.conftest import PHONE, place

pytestmark = pytest.mark.django_db

ADDRESS = "王江社区3栋201"
# As the poster: the token, the order under lock, the update, the event, then the detail as
# the API answers it (the order with its contact column, its events), with the transaction.
QUERIES_TO_CONFIRM = 8


def api_as(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def fresh_wishes(people, menu, tree, count: int) -> list[Order]:
    return [
        place(people, menu, tree.village_a, title=f"心愿{n}", kind=Order.Kind.WISH)
        for n in range(count)
    ]


@pytest.fixture
def harvester(db):
    return resident_register(phone="13666600001", name="收集者", password=PASSWORD)


def test_ten_fresh_wishes_in_a_row_stop_at_the_cap_and_give_no_contact(
    people, menu, tree, harvester
):
    wishes = fresh_wishes(people, menu, tree, 10)
    client = api_as(harvester)

    answers = [client.post(f"/api/v1/orders/{wish.pk}/claim/") for wish in wishes]

    assert [a.status_code for a in answers] == [200] * 3 + [400] * 7
    assert answers[3].json()["code"] == "too_many_open_claims"
    assert "3 个认领中的微心愿" in answers[3].json()["detail"]
    assert Order.objects.filter(donor=harvester).count() == 3
    for answer in answers:
        assert PHONE not in answer.content.decode()
        assert ADDRESS not in answer.content.decode()
        assert "张群众" not in answer.content.decode()


def test_a_fulfilled_claim_frees_a_place_under_the_cap(people, menu, tree, harvester):
    first, second, third, fourth = fresh_wishes(people, menu, tree, 4)
    for wish in (first, second, third):
        wish_claim(donor=harvester, order_id=wish.pk)
    with pytest.raises(DomainError) as refused:
        wish_claim(donor=harvester, order_id=fourth.pk)
    assert refused.value.code == "too_many_open_claims"

    wish_fulfil(donor=harvester, order_id=first.pk)

    assert wish_claim(donor=harvester, order_id=fourth.pk).donor_id == harvester.pk


def test_claiming_is_throttled_per_account_with_a_chinese_429(
    people, menu, tree, harvester, settings
):
    settings.WISH_OPEN_CLAIMS_MAX = 100
    settings.WISH_CLAIMS_PER_HOUR = 2
    wishes = fresh_wishes(people, menu, tree, 3)
    client = api_as(harvester)

    codes = [client.post(f"/api/v1/orders/{wish.pk}/claim/").status_code for wish in wishes[:2]]
    throttled = client.post(f"/api/v1/orders/{wishes[2].pk}/claim/")

    assert codes == [200, 200]
    assert throttled.status_code == 429
    assert throttled.json()["detail"] == "认领太频繁，每小时最多认领 2 次，请稍后再试。"
    assert Order.objects.get(pk=wishes[2].pk).donor_id is None
    # Another account is not slowed by this one.
    other = resident_register(phone="13666600002", name="另一位", password=PASSWORD)
    assert api_as(other).post(f"/api/v1/orders/{wishes[2].pk}/claim/").status_code == 200


def test_the_page_says_so_when_claiming_too_often(client, people, menu, tree, harvester, settings):
    settings.WISH_CLAIMS_PER_HOUR = 1
    first, second = fresh_wishes(people, menu, tree, 2)
    client.force_login(harvester)
    client.post(f"/orders/wishes/{first.pk}/claim/")

    response = client.post(f"/orders/wishes/{second.pk}/claim/", follow=True)

    assert "认领太频繁" in response.content.decode()
    assert Order.objects.get(pk=second.pk).donor_id is None


@pytest.mark.parametrize("confirmer", ["resident", "village_cadre", "county_cadre"])
def test_the_poster_or_a_cadre_in_scope_confirms_and_the_donor_then_reads_the_contact(
    people, menu, tree, harvester, confirmer
):
    (wish,) = fresh_wishes(people, menu, tree, 1)
    wish_claim(donor=harvester, order_id=wish.pk)
    url = f"/api/v1/orders/{wish.pk}/"
    before = api_as(harvester).get(url).json()
    assert (before["contact_phone"], before["address"], before["contact_visible"]) == (
        "139****0002",
        "***",
        False,
    )

    confirmed = api_as(getattr(people, confirmer)).post(url + "confirm-claim/")

    assert confirmed.status_code == 200
    assert confirmed.json()["donor_confirmed_at"] is not None
    after = api_as(harvester).get(url).json()
    assert (after["contact_phone"], after["address"], after["resident_name"]) == (
        PHONE,
        ADDRESS,
        "张群众",
    )
    notify_pending()
    assert Notification.objects.filter(
        user=harvester, title="您认领的微心愿已确认，请与群众联系送达"
    ).exists()


@pytest.mark.parametrize("stranger", ["outsider_cadre", "donor", "other_resident"])
def test_nobody_else_confirms_a_claim(people, menu, tree, harvester, stranger):
    (wish,) = fresh_wishes(people, menu, tree, 1)
    wish_claim(donor=harvester, order_id=wish.pk)
    actor = (
        harvester
        if stranger == "donor"
        else resident_register(phone="13666600009", name="路人", password=PASSWORD)
        if stranger == "other_resident"
        else getattr(people, stranger)
    )

    answer = api_as(actor).post(f"/api/v1/orders/{wish.pk}/confirm-claim/")

    assert answer.status_code == 404
    assert Order.objects.get(pk=wish.pk).donor_confirmed_at is None
    with pytest.raises(NotInScope):
        wish_claim_confirm(actor=actor, order_id=wish.pk)


def test_confirming_a_wish_with_no_claim_is_409_and_twice_changes_nothing(
    people, menu, tree, harvester
):
    open_wish, claimed = fresh_wishes(people, menu, tree, 2)
    client = api_as(people.resident)

    refused = client.post(f"/api/v1/orders/{open_wish.pk}/confirm-claim/")
    assert (refused.status_code, refused.json()["status"]) == (409, "placed")

    wish_claim(donor=harvester, order_id=claimed.pk)
    assert client.post(f"/api/v1/orders/{claimed.pk}/confirm-claim/").status_code == 200
    assert client.post(f"/api/v1/orders/{claimed.pk}/confirm-claim/").status_code == 200
    assert OrderEvent.objects.filter(order=claimed, reason="认领已确认").count() == 1


def test_the_poster_confirms_on_the_order_page(client, people, menu, tree, harvester):
    (wish,) = fresh_wishes(people, menu, tree, 1)
    wish_claim(donor=harvester, order_id=wish.pk)
    client.force_login(people.resident)
    page = client.get(f"/orders/{wish.pk}/").content.decode()
    assert f'action="/orders/{wish.pk}/confirm-claim/"' in page

    response = client.post(f"/orders/{wish.pk}/confirm-claim/")

    assert response.status_code == 302
    assert Order.objects.get(pk=wish.pk).donor_confirmed_at is not None
    client.force_login(harvester)
    assert PHONE in client.get(f"/orders/{wish.pk}/").content.decode()


def test_an_outsider_posting_the_confirm_form_gets_404(client, people, menu, tree, harvester):
    (wish,) = fresh_wishes(people, menu, tree, 1)
    wish_claim(donor=harvester, order_id=wish.pk)
    client.force_login(people.outsider_cadre)

    assert client.post(f"/orders/{wish.pk}/confirm-claim/").status_code == 404
    assert Order.objects.get(pk=wish.pk).donor_confirmed_at is None


def test_confirming_costs_a_fixed_number_of_queries(
    people, menu, tree, harvester, django_assert_num_queries
):
    (wish,) = fresh_wishes(people, menu, tree, 1)
    wish_claim(donor=harvester, order_id=wish.pk)
    client = api_as(people.resident)

    with django_assert_num_queries(QUERIES_TO_CONFIRM):
        assert client.post(f"/api/v1/orders/{wish.pk}/confirm-claim/").status_code == 200
