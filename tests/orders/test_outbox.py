"""Order events are the notification outbox: each is told once, by whichever notifier run
takes it, and a burst of changes wakes the notifier a few times, not once per change."""

from __future__ import annotations

import threading

import pytest
import redis
from django.core.cache import cache
from django.db import connections

from config import celery_app
from core.models import Notification
from core.tasks import woken
from orders.models import Order, OrderEvent
from orders.notifications import notify_pending
from orders.services import order_dispatch
from orders.tasks import notify_pending_task
from tests.orders.conftest import make_volunteer, place

S = Order.Status


def untold() -> int:
    return OrderEvent.objects.filter(notified_at__isnull=True).count()


@pytest.mark.django_db
def test_placing_is_told_already_and_each_later_step_waits_for_the_notifier(
    tree, people, menu, helper
):
    # given
    order = place(people, menu, tree.village_a)
    # when
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    # then
    told = dict(OrderEvent.objects.filter(order=order).values_list("to_status", "notified_at"))
    assert told[S.PLACED] is not None
    assert told[S.DISPATCHED] is None
    assert not Notification.objects.filter(user=people.volunteer).exists()


@pytest.mark.django_db
def test_the_notifier_tells_each_untold_event_once_and_marks_it(tree, people, menu, helper):
    # given: three offers to the persona volunteer
    orders = [place(people, menu, tree.village_a, title=f"单{n}") for n in range(3)]
    for order in orders:
        order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    # when
    first = notify_pending(batch=2)
    second = notify_pending(batch=2)
    # then
    assert (first, second) == (3, 0)
    assert untold() == 0
    keys = Notification.objects.filter(user=people.volunteer).values_list("key", flat=True)
    events = OrderEvent.objects.filter(order__in=orders, to_status=S.DISPATCHED)
    assert sorted(keys) == sorted(f"order-event-{event.pk}" for event in events)


@pytest.mark.django_db(transaction=True)
def test_two_notifiers_at_once_tell_every_event_exactly_once(tree, people, menu):
    # given: 120 offers, to 12 volunteers, none told yet
    volunteers = [
        make_volunteer(600 + n, tree.village_a, cadre=people.city_cadre) for n in range(12)
    ]
    for n in range(120):
        order = place(people, menu, tree.village_a, title=f"单{n}")
        order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=volunteers[n % 12])
    waiting = untold()
    assert waiting == 120
    handled = []
    barrier = threading.Barrier(2)

    def notifier():
        try:
            barrier.wait(timeout=30)
            handled.append(notify_pending(batch=7))
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=notifier) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then: between them they told each event once, and each volunteer heard of each offer
    assert sum(handled) == waiting
    assert untold() == 0
    assert Notification.objects.filter(key__startswith="order-event-").count() == 120
    for volunteer in volunteers:
        assert Notification.objects.filter(user=volunteer.user).count() == 10


@pytest.fixture
def notify_queue():
    """The broker's notify queue, emptied before and after, and the notifier's wake flag
    cleared."""
    client = redis.Redis.from_url(celery_app.conf.broker_url)
    client.delete("notify")
    woken(notify_pending_task)
    yield client
    client.delete("notify")
    woken(notify_pending_task)
    client.close()


@pytest.mark.django_db
def test_a_burst_of_changes_wakes_the_notifier_once_until_it_starts(
    tree, people, menu, helper, notify_queue, django_capture_on_commit_callbacks
):
    # given
    orders = [place(people, menu, tree.village_a, title=f"单{n}") for n in range(6)]
    # when: five offers, each committed on its own
    for order in orders[:5]:
        with django_capture_on_commit_callbacks(execute=True):
            order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    waiting_before_the_run = notify_queue.llen("notify")
    # the run starts (it clears the flag before reading); one more offer
    woken(notify_pending_task)
    with django_capture_on_commit_callbacks(execute=True):
        order_dispatch(actor=people.county_cadre, order_id=orders[5].pk, volunteer=helper)
    # then
    assert waiting_before_the_run == 1
    assert notify_queue.llen("notify") == 2
    assert cache.get(f"wake:{notify_pending_task.name}") == 1


@pytest.mark.django_db
def test_a_batch_of_offers_is_told_in_the_same_few_queries_whatever_its_size(
    tree, people, menu, django_assert_num_queries
):
    # given: 5 offers, then 25 more, each to a volunteer by name
    volunteers = [
        make_volunteer(700 + n, tree.village_a, cadre=people.city_cadre) for n in range(30)
    ]

    def offer(volunteer) -> None:
        order = place(people, menu, tree.village_a, title=f"给{volunteer.pk}的单")
        order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=volunteer)

    for volunteer in volunteers[:5]:
        offer(volunteer)
    # when / then: the events with their orders, the inbox read and write, the mark, the
    # flags (none), each batch and the inbox within a savepoint here (9); then the empty
    # batch that ends it (4)
    with django_assert_num_queries(13):
        assert notify_pending(batch=100) == 5
    for volunteer in volunteers[5:]:
        offer(volunteer)
    with django_assert_num_queries(13):
        assert notify_pending(batch=100) == 25
    assert Notification.objects.filter(key__startswith="order-event-").count() == 30
