"""The in-app inbox, the pluggable backend, and who hears of each order event."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings

from core import notify
from core.models import Notification
from core.notify import notifications_send
from orders.models import Order, OrderEvent
from orders.notifications import notify_event, notify_flagged, notify_pending
from orders.services import (
    order_accept,
    order_complete,
    order_dispatch,
    order_flag_undispatchable,
    order_place,
    order_rate,
    order_start,
)
from practice.catalogue import service_menu_install
from practice.models import Service
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


class RecordingBackend:
    sent: list[str] = []

    def send(self, notification):
        RecordingBackend.sent.append(notification.title)


class BrokenBackend:
    def send(self, notification):
        raise ConnectionError("gateway down")


@pytest.fixture
def backend_cache():
    notify._backend.cache_clear()
    yield
    notify._backend.cache_clear()


def test_a_message_lands_once_per_user_and_key(people):
    first = notifications_send(
        user_ids=[people.resident.pk, people.resident.pk], key="k1", title="标题"
    )
    again = notifications_send(user_ids=[people.resident.pk], key="k1", title="标题")

    assert (first, again) == (1, 0)
    assert Notification.objects.filter(user=people.resident, key="k1").count() == 1


def test_the_backend_named_in_settings_gets_each_new_message(people, backend_cache):
    RecordingBackend.sent = []
    with override_settings(NOTIFICATION_BACKEND=f"{__name__}.RecordingBackend"):
        notifications_send(user_ids=[people.resident.pk], key="k2", title="第一条")
        notifications_send(user_ids=[people.resident.pk], key="k2", title="第一条")

    assert RecordingBackend.sent == ["第一条"]


def test_a_gateway_outage_keeps_the_inbox_message(people, backend_cache):
    with override_settings(NOTIFICATION_BACKEND=f"{__name__}.BrokenBackend"):
        created = notifications_send(user_ids=[people.resident.pk], key="k3", title="仍在收件箱")

    assert created == 1
    assert Notification.objects.get(user=people.resident, key="k3").title == "仍在收件箱"


@pytest.fixture
def order(tree, people):
    service_menu_install(city=tree.city)
    return order_place(
        resident=people.resident,
        service=Service.objects.get(name="买菜送药"),
        center=tree.village_a,
        title="帮忙买药",
        address="王江社区 3 栋",
        contact_phone="13900000001",
    )


def inbox(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("id").values_list("title", flat=True)
    )


def test_each_step_of_an_order_reaches_the_right_person(
    people, order, django_capture_on_commit_callbacks
):
    volunteer = Volunteer.objects.get(user=people.volunteer)
    order_dispatch(actor=people.township_cadre, order_id=order.pk, volunteer=volunteer)
    order_accept(volunteer=volunteer, order_id=order.pk)
    order_start(volunteer=volunteer, order_id=order.pk)
    Order.objects.filter(pk=order.pk).update(
        started_at=Order.objects.get(pk=order.pk).started_at - datetime.timedelta(hours=1)
    )
    order_complete(volunteer=volunteer, order_id=order.pk, summary="已送到")
    order_rate(resident=people.resident, order_id=order.pk, score=5, comment="谢谢")

    for event in OrderEvent.objects.filter(order=order).order_by("id"):
        notify_event(event_id=event.pk)

    assert inbox(people.volunteer) == ["您有新的服务任务", "群众已评价您的服务"]
    assert inbox(people.resident) == [
        "您的订单已有志愿者接单",
        "志愿者已开始服务",
        "服务已完成，请您评价",
    ]
    assert inbox(people.township_cadre) == []


def test_notifying_an_event_twice_sends_once(people, order):
    volunteer = Volunteer.objects.get(user=people.volunteer)
    order_dispatch(actor=people.township_cadre, order_id=order.pk, volunteer=volunteer)
    event = OrderEvent.objects.get(order=order, to_status=Order.Status.DISPATCHED)

    assert notify_event(event_id=event.pk) == 1
    assert notify_event(event_id=event.pk) == 0


def test_an_undispatchable_order_reaches_the_village_township_and_county_cadres(
    people, order, tree
):
    # given: flagged, its cadres not told yet
    order_flag_undispatchable(order_id=order.pk)
    assert Order.objects.get(pk=order.pk).flag_told_at is None
    # when: the notifier runs, twice
    told = notify_pending()
    again = notify_pending()
    # then
    assert (told, again) == (1, 0)
    assert Order.objects.get(pk=order.pk).flag_told_at is not None

    assert inbox(people.township_cadre) == ["有订单无志愿者可派，请人工派单"]
    assert inbox(people.county_cadre) == ["有订单无志愿者可派，请人工派单"]
    assert inbox(people.village_cadre) == ["有订单无志愿者可派，请人工派单"]
    assert inbox(people.outsider_cadre) == []
    assert inbox(people.city_cadre) == []
    # The alert leads to the dispatch workbench.
    assert set(
        Notification.objects.filter(key__startswith="order-flagged-").values_list("link", flat=True)
    ) == {"/orders/dispatch/"}


def test_a_flag_is_told_once_and_a_later_flag_of_the_same_order_again(people, order):
    # given: flagged, and told through the task of before the outbox
    order_flag_undispatchable(order_id=order.pk)
    by_task = notify_flagged(order_id=order.pk)
    after_task = notify_pending()
    # when: offered since (the flag cleared), the offer lapsed, and nobody again
    Order.objects.filter(pk=order.pk).update(flagged_at=None)
    order_flag_undispatchable(order_id=order.pk)
    second = notify_pending()
    # then
    # the village's, the township's and the county's cadre, once each
    assert (by_task, after_task, second) == (3, 0, 1)
    assert inbox(people.county_cadre) == ["有订单无志愿者可派，请人工派单"] * 2


def test_a_flag_cleared_before_the_notifier_ran_is_not_told(people, order):
    order_flag_undispatchable(order_id=order.pk)
    Order.objects.filter(pk=order.pk).update(flagged_at=None, status=Order.Status.DISPATCHED)

    assert notify_pending() == 0
    assert inbox(people.county_cadre) == []


def test_the_inbox_page_lists_only_my_messages_and_marks_them_read(client, people):
    notifications_send(user_ids=[people.resident.pk], key="mine", title="给我的")
    notifications_send(user_ids=[people.volunteer.pk], key="theirs", title="给别人的")
    client.force_login(people.resident)

    page = client.get("/inbox/").content.decode()
    marked = client.post("/inbox/")

    assert "给我的" in page
    assert "给别人的" not in page
    assert marked.status_code == 302
    assert Notification.objects.get(key="mine").read_at is not None
    assert Notification.objects.get(key="theirs").read_at is None


def test_the_inbox_requires_sign_in(client):
    assert client.get("/inbox/").status_code == 302


def test_a_cadre_of_two_tiers_is_told_of_a_flag_once(people, order, tree):
    from practice.services import cadre_role_grant

    cadre_role_grant(actor=None, user=people.village_cadre, center=tree.township_a)
    order_flag_undispatchable(order_id=order.pk)

    assert notify_flagged(order_id=order.pk) == 3
    assert inbox(people.village_cadre) == ["有订单无志愿者可派，请人工派单"]


def test_a_flag_in_another_village_does_not_reach_this_village_cadre(people, order, tree):
    other = order_place(
        resident=people.resident,
        service=order.service,
        center=tree.village_a2,
        title="隔壁社区的单",
        address="新园社区1栋",
        contact_phone="13900000002",
    )
    order_flag_undispatchable(order_id=other.pk)
    notify_pending()

    assert inbox(people.village_cadre) == []
    assert inbox(people.township_cadre) == ["有订单无志愿者可派，请人工派单"]
