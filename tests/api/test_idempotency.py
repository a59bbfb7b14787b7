"""POST /api/v1/orders/ with an Idempotency-Key: a replay answers the first 201 with the
same body, the same key with another body is refused (422), two requests with one key at
once place one order (the second waits for the first, on PostgreSQL, real threads); and
without a key, the dedupe window answers the order already placed with 200."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connections
from django.utils import timezone

from core.idempotency import idempotency_purge
from core.models import IdempotencyKey
from orders.models import Order
from practice.catalogue import service_menu_install
from practice.models import Service
from tests.api.test_orders import URL, valid_order

KEY = "3f0c9a4e-5b1d-4c7e-9a2f-8d6b1e0c7a55"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Auto-dispatch is not what these tests are about: its publish goes nowhere."""
    monkeypatch.setattr("orders.enqueue.enqueue_on_commit", lambda task, *args: None)


@pytest.fixture
def errand(tree) -> Service:
    service_menu_install(city=tree.city)
    return Service.objects.get(name="买菜送药")


@pytest.fixture
def no_window(settings):
    """The server-side window off, so only the key can stop a second order."""
    settings.ORDER_DEDUPE_SECONDS = 0


def post(client, body, key: str | None = KEY):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(URL, body, format="json", headers=headers)


@pytest.mark.django_db
def test_a_replay_answers_the_first_201_with_the_same_body(
    client_for, people, tree, errand, no_window
):
    client = client_for(people.resident)
    first = post(client, valid_order(tree, errand))
    assert first.status_code == 201
    again = post(client, valid_order(tree, errand))
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Order.objects.filter(resident=people.resident).count() == 1
    row = IdempotencyKey.objects.get(user=people.resident, key=KEY)
    assert row.response_status == 201
    assert row.response_body["id"] == first.json()["id"]


@pytest.mark.django_db
def test_the_same_json_in_another_key_order_is_the_same_request(
    client_for, people, tree, errand, no_window
):
    client = client_for(people.resident)
    body = valid_order(tree, errand)
    first = post(client, body)
    again = post(client, dict(reversed(list(body.items()))))
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_with_422(
    client_for, people, tree, errand, no_window
):
    client = client_for(people.resident)
    first = post(client, valid_order(tree, errand))
    other = post(client, valid_order(tree, errand, title="帮忙买菜"))
    assert other.status_code == 422
    assert other.json() == {
        "detail": "该 Idempotency-Key 已用于另一个不同的请求，请换一个新的键。",
        "code": "idempotency_key_reused",
    }
    assert list(Order.objects.values_list("pk", flat=True)) == [first.json()["id"]]


@pytest.mark.django_db
def test_keys_belong_to_their_user(client_for, people, tree, errand, no_window):
    mine = post(client_for(people.resident), valid_order(tree, errand))
    theirs = post(client_for(people.volunteer), valid_order(tree, errand))
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.django_db
def test_a_refused_request_is_not_remembered(client_for, people, tree, errand, no_window):
    client = client_for(people.resident)
    refused = post(client, valid_order(tree, errand, title=""))
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = post(client, valid_order(tree, errand))
    assert fixed.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "Idempotency-Key 不能为空。"),
        ("k" * 256, "Idempotency-Key 不能超过 255 个字符。"),
        ("has space", "Idempotency-Key 只能包含可见的 ASCII 字符（不含空格）。"),
        ("tab\there", "Idempotency-Key 只能包含可见的 ASCII 字符（不含空格）。"),
        ("键", "Idempotency-Key 只能包含可见的 ASCII 字符（不含空格）。"),
    ],
)
def test_a_bad_key_is_refused_with_400_in_chinese(client_for, people, tree, errand, key, message):
    response = post(client_for(people.resident), valid_order(tree, errand), key=key)
    assert response.status_code == 400
    assert response.json() == {"detail": message, "code": "idempotency_key_invalid"}
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_the_longest_key_is_taken(client_for, people, tree, errand):
    response = post(client_for(people.resident), valid_order(tree, errand), key="k" * 255)
    assert response.status_code == 201


@pytest.mark.django_db
def test_without_a_key_the_window_answers_the_order_already_placed_with_200(
    client_for, people, tree, errand, settings
):
    settings.ORDER_DEDUPE_SECONDS = 120
    client = client_for(people.resident)
    first = post(client, valid_order(tree, errand), key=None)
    assert first.status_code == 201
    again = post(client, valid_order(tree, errand, title="又点了一次"), key=None)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "帮忙买药"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_an_expired_key_is_purged_and_free_again(
    client_for, people, tree, errand, no_window, settings
):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    client = client_for(people.resident)
    first = post(client, valid_order(tree, errand))
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    # Met before the purge: taken over as new.
    second = post(client, valid_order(tree, errand, title="帮忙买菜"))
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    assert idempotency_purge() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_once_place_one_order_on_postgresql(
    client_for, people, tree, errand, no_window
):
    assert connections["default"].vendor == "postgresql"
    rounds = 5
    for round_index in range(rounds):
        key = f"{KEY}-{round_index}"
        clients = [client_for(people.resident), client_for(people.resident)]
        barrier = threading.Barrier(2)
        answers: list[object] = [None, None]

        def send(index: int, key=key, clients=clients, barrier=barrier, answers=answers) -> None:
            try:
                barrier.wait(timeout=30)
                answers[index] = post(clients[index], valid_order(tree, errand), key=key)
            except Exception as exc:  # noqa: BLE001 - asserted on below
                answers[index] = exc
            finally:
                connections.close_all()

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        assert [getattr(a, "status_code", a) for a in answers] == [201, 201]
        assert answers[0].json() == answers[1].json()
    assert Order.objects.filter(resident=people.resident).count() == rounds
    assert IdempotencyKey.objects.count() == rounds


@pytest.mark.django_db
def test_the_schema_documents_the_header_and_the_answers(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()
    create = schema["paths"]["/api/v1/orders/"]["post"]
    header = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header"
    assert header.get("required", False) is False
    assert {"200", "201", "400", "422"} <= set(create["responses"])
    assert create["responses"]["422"]["content"]["application/json"]["schema"]["required"] == [
        "detail"
    ]
