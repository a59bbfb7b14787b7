"""Micro-wishes in wish words, and without the dispatch alerts of service orders.

A wish waits to be claimed (待认领), not dispatched (待派单), wherever a person reads its
status: its page, the lists, the wall, the API's status_name (the code stays "placed", as
the API contract fixes), the admin's list, change page and timeline, and the 409 message.
A wish nobody can take the volunteer way is never flagged "无人可派" and tells no cadre: it
waits on the wall for a donor, and the sweep offers it again in a later slot."""

from __future__ import annotations

import datetime
import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import resident_register
from core.models import Notification
from orders.dispatch import auto_dispatch, sweep
from orders.models import Order
from orders.notifications import notify_pending
from orders.services import wish_claim, wish_claim_confirm, wish_fulfil
from tests.conftest import PASSWORD
from tests.orders.conftest import AT, make_volunteer, place

pytestmark = pytest.mark.django_db

S = Order.Status


@pytest.fixture
def wish(people, menu, tree) -> Order:
    return place(people, menu, tree.village_a, kind=Order.Kind.WISH, title="想要一个书包")


@pytest.fixture
def donor(db):
    return resident_register(phone="13600000001", name="爱心人士", password=PASSWORD)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# --- alerts -------------------------------------------------------------------------------


def test_a_wish_nobody_can_take_is_not_flagged_and_tells_no_cadre(tree, people, menu, wish):
    # given: a service order beside it, as the control, and nobody free anywhere near
    service = place(people, menu, tree.village_a)
    # when
    assert auto_dispatch(order_id=wish.pk, at=AT) is False
    assert auto_dispatch(order_id=service.pk, at=AT) is False
    notify_pending()
    # then: the service order is flagged and its cadres told; the wish is only noted as tried
    wish.refresh_from_db()
    service.refresh_from_db()
    assert (wish.status, wish.flagged_at, wish.dispatch_tried_at) == (S.PLACED, None, AT)
    assert service.flagged_at is not None
    alerts = Notification.objects.filter(title="有订单无志愿者可派，请人工派单")
    assert alerts.count() == 3  # the village's, township's and county's cadres, once
    assert {alert.key.split("-")[2] for alert in alerts} == {str(service.pk)}


def test_the_sweep_tries_a_wish_again_in_a_later_slot_not_every_run(tree, people, wish):
    # given: tried tomorrow morning with nobody free, then a volunteer free since
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    morning = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(10, 0)))
    assert auto_dispatch(order_id=wish.pk, at=morning) is False
    helper = make_volunteer(301, tree.village_a, cadre=people.city_cadre)
    # when: a run in the same slot, then one in the afternoon's
    same_slot = sweep(now=morning + datetime.timedelta(minutes=30))
    later_slot = sweep(now=morning + datetime.timedelta(hours=4))
    # then
    assert (same_slot, later_slot) == ((0, 0), (0, 1))
    wish.refresh_from_db()
    assert (wish.status, wish.dispatched_volunteer, wish.flagged_at) == (S.DISPATCHED, helper, None)


def test_the_migration_lifts_the_flags_wishes_got_before(tree, people, menu, wish):
    # given: a wish flagged under the old rule, and a flagged service order
    service = place(people, menu, tree.village_a)
    Order.objects.filter(pk__in=[wish.pk, service.pk]).update(flagged_at=AT, dispatch_tried_at=AT)
    migration = importlib.import_module("orders.migrations.0010_unflag_wishes")
    # when
    migration.unflag_wishes(django_apps, None)
    # then
    assert Order.objects.get(pk=wish.pk).flagged_at is None
    assert Order.objects.get(pk=wish.pk).dispatch_tried_at == AT
    assert Order.objects.get(pk=service.pk).flagged_at == AT


# --- words --------------------------------------------------------------------------------


def test_a_wishs_status_reads_in_wish_words(people, menu, tree, wish, donor):
    service = place(people, menu, tree.village_a)
    assert (wish.get_status_display(), service.get_status_display()) == ("待认领", "待派单")
    wish_claim(donor=donor, order_id=wish.pk)
    wish.refresh_from_db()
    assert wish.get_status_display() == "已认领"
    wish_claim_confirm(actor=people.resident, order_id=wish.pk)
    wish_fulfil(donor=donor, order_id=wish.pk, note="已送到")
    wish.refresh_from_db()
    assert wish.get_status_display() == "已实现"


def test_a_wish_taken_the_volunteer_way_keeps_the_order_words_once_offered(people, tree, wish):
    helper = make_volunteer(301, tree.village_a, cadre=people.city_cadre)
    assert auto_dispatch(order_id=wish.pk, at=AT) is True
    wish.refresh_from_db()
    assert (wish.dispatched_volunteer, wish.get_status_display()) == (helper, "已派单")


def test_the_wish_page_and_its_timeline_say_claimed_not_dispatched(client, people, wish, donor):
    # given: claimed, confirmed and fulfilled by a donor
    wish_claim(donor=donor, order_id=wish.pk)
    wish_claim_confirm(actor=people.resident, order_id=wish.pk)
    wish_fulfil(donor=donor, order_id=wish.pk, note="已送到")
    client.force_login(people.resident)
    # when
    page = text(client.get(reverse("orders:detail", args=[wish.pk])))
    # then
    assert "待认领 → 已认领" in page
    assert "已认领 → 已实现" in page
    assert "待派单" not in page
    assert "已接单" not in page


def test_the_residents_list_says_waiting_for_a_donor(client, people, wish):
    client.force_login(people.resident)
    page = text(client.get(reverse("orders:list")))
    assert "待认领" in page
    assert "待派单" not in page


def test_the_api_names_the_wish_status_in_wish_words_and_keeps_the_code(people, wish):
    api = APIClient()
    api.force_authenticate(people.resident)
    body = api.get(f"/api/v1/orders/{wish.pk}/").json()
    assert (body["status"], body["status_name"]) == ("placed", "待认领")
    # a step the state refuses names the state in the same words
    refused = api.post(f"/api/v1/orders/{wish.pk}/rate/", {"score": 5}, format="json")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "订单当前状态为“待认领”，不能评价。"


def test_the_admin_shows_a_wishs_status_in_wish_words(client, people, menu, tree, wish, donor):
    service = place(people, menu, tree.village_a)
    wish_claim(donor=donor, order_id=wish.pk)
    client.force_login(people.village_cadre)
    # the list: one row each
    listing = client.get(reverse("admin:orders_order_changelist"))
    rows = re.findall(r"<tr>.*?</tr>", listing.content.decode(), flags=re.S)
    wish_row = next(row for row in rows if "想要一个书包" in row)
    service_row = next(row for row in rows if f">{service.pk}<" in row and "帮忙买药" in row)
    assert "已认领" in wish_row
    assert "已接单" not in wish_row
    assert "待派单" in service_row
    # the change page and its timeline
    change = text(client.get(reverse("admin:orders_order_change", args=[wish.pk])))
    assert "已认领" in change
    assert "待认领" in change  # the timeline's first row and the claim's from-status
    assert "待派单" not in change
    assert "已接单" not in change
