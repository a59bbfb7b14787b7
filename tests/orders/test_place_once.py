"""An order is placed once: the server-side window of order_place (same resident, same
service, same village), raced by real threads on PostgreSQL, and the order form's one-time
token (a replay goes to the order already placed, a forged or missing token is refused)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connections
from django.utils import timezone

from core.errors import CoreErrorCode
from core.idempotency import (
    FormTokenInvalid,
    form_token_issue,
    form_token_spend,
    idempotency_purge,
)
from core.models import FormToken
from orders.models import Order
from orders.services import order_cancel
from orders.views.resident import ORDER_FORM
from tests.orders.conftest import PHONE, place
from tests.support.order_form import form_token_on, order_form_token

S = Order.Status


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Auto-dispatch is not what these tests are about: its publish goes nowhere."""
    monkeypatch.setattr("orders.enqueue.enqueue_on_commit", lambda task, *args: None)


class Clock:
    """A controlled clock: django.utils.timezone.now, which order_place and the model's
    auto_now_add both call, answers ``moment`` until moved."""

    def __init__(self, monkeypatch, moment: datetime.datetime) -> None:
        self.moment = moment
        monkeypatch.setattr("django.utils.timezone.now", lambda: self.moment)

    def advance(self, **delta: float) -> None:
        self.moment += datetime.timedelta(**delta)


@pytest.fixture(autouse=True)
def _window(settings):
    """The window on, as deployed (tests/conftest.py turns it off for the other tests)."""
    settings.ORDER_DEDUPE_SECONDS = 120


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch, timezone.now())


# --- the window ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_placing_the_same_again_within_the_window_gives_the_order_already_placed(
    tree, people, menu, clock, settings
):
    settings.ORDER_DEDUPE_SECONDS = 120
    first = place(people, menu, tree.village_a)
    assert first.placed_before is False
    clock.advance(seconds=119)
    again = place(people, menu, tree.village_a, title="另一个标题也算同一单")
    assert again.pk == first.pk
    assert again.placed_before is True
    assert Order.objects.filter(resident=people.resident).count() == 1


@pytest.mark.django_db
def test_after_the_window_the_same_order_is_placed_anew(tree, people, menu, clock, settings):
    settings.ORDER_DEDUPE_SECONDS = 120
    first = place(people, menu, tree.village_a)
    clock.advance(seconds=121)
    later = place(people, menu, tree.village_a)
    assert later.pk != first.pk
    assert later.placed_before is False
    assert Order.objects.filter(resident=people.resident).count() == 2


@pytest.mark.django_db
def test_another_service_village_or_resident_is_another_order(tree, people, menu, clock):
    first = place(people, menu, tree.village_a)
    other_service = place(people, menu, tree.village_a, service=menu.clinic)
    other_village = place(people, menu, tree.village_a2)
    other_resident = place(people, menu, tree.village_a, resident=people.volunteer)
    ids = {first.pk, other_service.pk, other_village.pk, other_resident.pk}
    assert len(ids) == 4
    assert not any(o.placed_before for o in (other_service, other_village, other_resident))


@pytest.mark.django_db
def test_a_cancelled_order_does_not_hold_back_a_new_one(tree, people, menu, clock):
    first = place(people, menu, tree.village_a)
    order_cancel(resident=people.resident, order_id=first.pk, reason="点错了")
    clock.advance(seconds=5)
    again = place(people, menu, tree.village_a)
    assert again.pk != first.pk
    assert again.placed_before is False


@pytest.mark.django_db
def test_a_window_of_zero_turns_the_dedupe_off(tree, people, menu, clock, settings):
    settings.ORDER_DEDUPE_SECONDS = 0
    first = place(people, menu, tree.village_a)
    again = place(people, menu, tree.village_a)
    assert again.pk != first.pk


# --- racing on PostgreSQL -------------------------------------------------------------------


def run_together(calls):
    """One thread per call, each on its own connection, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001 - asserted on below
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_placements_at_once_give_one_order_on_postgresql(tree, people, menu):
    assert connections["default"].vendor == "postgresql"
    for round_index in range(10):
        title = f"帮忙买药{round_index}"
        service = menu.errand if round_index % 2 == 0 else menu.clinic
        outcomes = run_together(
            [
                lambda t=title, s=service: place(people, menu, tree.village_a, title=t, service=s),
                lambda t=title, s=service: place(people, menu, tree.village_a, title=t, service=s),
            ]
        )
        assert all(isinstance(o, Order) for o in outcomes), outcomes
        assert outcomes[0].pk == outcomes[1].pk
        assert sorted(o.placed_before for o in outcomes) == [False, True]
        # Rounds alternate the service, so each round's order is fresh: the previous
        # round's, of the other service, does not count.
        Order.objects.filter(pk=outcomes[0].pk).update(status=S.CANCELLED)
    assert Order.objects.filter(resident=people.resident).count() == 10


# --- the order form's one-time token --------------------------------------------------------


def form_url(tree, menu) -> str:
    return (
        f"/orders/new/?service={menu.errand.pk}&county={tree.county_a.pk}"
        f"&township={tree.township_a.pk}"
    )


def form_data(tree, menu, token: str, **overrides) -> dict[str, object]:
    data = {
        "service": menu.errand.pk,
        "center": tree.village_a.pk,
        "title": "帮忙买药",
        "address": "王江社区3栋201",
        "contact_phone": PHONE,
        "form_token": token,
    }
    data.update(overrides)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def resident_client(client, people):
    client.force_login(people.resident)
    return client


@pytest.mark.django_db
def test_the_form_carries_a_token_and_a_replay_goes_to_the_order_placed(
    resident_client, tree, people, menu, settings
):
    # The window off: the token alone must catch the replay.
    settings.ORDER_DEDUPE_SECONDS = 0
    token = order_form_token(resident_client, form_url(tree, menu))
    assert FormToken.objects.filter(user=people.resident, token=token, used_at=None).exists()

    first = resident_client.post(form_url(tree, menu), form_data(tree, menu, token))
    order = Order.objects.get(resident=people.resident)
    assert first.status_code == 302
    assert first.url == f"/orders/{order.pk}/"

    # Back and resubmit: the same form, the same token.
    again = resident_client.post(form_url(tree, menu), form_data(tree, menu, token), follow=True)
    assert again.redirect_chain == [(f"/orders/{order.pk}/", 302)]
    assert "您刚刚已提交过同样的订单。" in messages_of(again)
    assert Order.objects.filter(resident=people.resident).count() == 1


@pytest.mark.django_db
def test_a_forged_or_empty_token_is_refused_and_places_nothing(resident_client, tree, people, menu):
    for forged in ["", "not-a-token", "x" * 500]:
        response = resident_client.post(form_url(tree, menu), form_data(tree, menu, forged))
        assert response.status_code == 400
        assert "表单已失效或无效，请检查后重新提交。" in response.content.decode()
        # A fresh, good token comes with the page, so the resident can simply submit again.
        fresh = form_token_on(response)
        assert fresh
        assert fresh != forged
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_post_without_the_token_field_is_refused_and_places_nothing(
    resident_client, tree, people, menu
):
    """A page from before the tokens, or a script posting the fields alone."""
    data = form_data(tree, menu, "")
    del data["form_token"]
    response = resident_client.post(form_url(tree, menu), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert '<div class="form-errors" role="alert">' in page
    assert "表单已失效或无效，请检查后重新提交。" in page
    assert not Order.objects.exists()
    # What was typed comes back with a good token: submitting again places the order.
    assert 'value="王江社区3栋201"' in page
    again = resident_client.post(
        form_url(tree, menu), {**data, "form_token": form_token_on(response)}
    )
    assert again.status_code == 302
    assert Order.objects.filter(resident=people.resident).count() == 1


@pytest.mark.django_db
def test_the_refusal_of_a_missing_token_carries_its_code(people):
    placed: list[str] = []
    with pytest.raises(FormTokenInvalid) as refused:
        form_token_spend(
            user=people.resident, purpose=ORDER_FORM, token="", produce=lambda: placed.append("x")
        )
    assert refused.value.code == CoreErrorCode.FORM_TOKEN_INVALID
    assert placed == []


@pytest.mark.django_db
def test_another_users_token_is_refused(resident_client, tree, people, menu):
    theirs = form_token_issue(user=people.volunteer, purpose=ORDER_FORM)
    response = resident_client.post(form_url(tree, menu), form_data(tree, menu, theirs))
    assert response.status_code == 400
    assert not Order.objects.exists()
    assert FormToken.objects.get(token=theirs).used_at is None


@pytest.mark.django_db
def test_a_refused_form_keeps_its_token_good(resident_client, tree, people, menu):
    token = order_form_token(resident_client, form_url(tree, menu))
    bad = resident_client.post(form_url(tree, menu), form_data(tree, menu, token, title=""))
    assert bad.status_code == 400
    assert form_token_on(bad) == token
    good = resident_client.post(form_url(tree, menu), form_data(tree, menu, token))
    assert good.status_code == 302
    assert Order.objects.filter(resident=people.resident).count() == 1


@pytest.mark.django_db
def test_a_second_form_within_the_window_says_the_order_was_placed(
    resident_client, tree, people, menu
):
    """Two tokens (two tabs, or the page loaded again): the window catches it."""
    first_token = order_form_token(resident_client, form_url(tree, menu))
    second_token = order_form_token(resident_client, form_url(tree, menu))
    resident_client.post(form_url(tree, menu), form_data(tree, menu, first_token))
    again = resident_client.post(
        form_url(tree, menu), form_data(tree, menu, second_token), follow=True
    )
    order = Order.objects.get(resident=people.resident)
    assert again.redirect_chain == [(f"/orders/{order.pk}/", 302)]
    assert "您刚刚已提交过同样的订单。" in messages_of(again)


@pytest.mark.django_db
def test_an_unspent_token_expires_and_the_purge_deletes_old_ones(
    resident_client, tree, people, menu, clock, settings
):
    settings.FORM_TOKEN_HOURS = 24
    token = order_form_token(resident_client, form_url(tree, menu))
    clock.advance(hours=25)
    response = resident_client.post(form_url(tree, menu), form_data(tree, menu, token))
    assert response.status_code == 400
    assert not Order.objects.exists()
    fresh = form_token_on(response)
    assert idempotency_purge() == 1
    assert list(FormToken.objects.values_list("token", flat=True)) == [fresh]
    assert timezone.now() == clock.moment
