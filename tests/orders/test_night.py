"""Night orders and retries of flagged orders (orders.dispatch).

Nobody is on call between 22:00 and 06:00 (no weekly slot covers it). An order placed then
is not flagged: it waits, and the first sweep of the morning offers it. An order flagged for
want of candidates is tried again once per later slot, and its cadres are told once.
Moments are passed explicitly (``at``, ``now``), all in Hengyang time, so the tests pass at
any hour of the real clock.
"""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import Notification
from orders.dispatch import auto_dispatch, is_night, slot_start, sweep
from orders.models import Order, OrderEvent
from orders.notifications import notify_pending
from practice.services import center_save
from tests.orders.conftest import make_volunteer, place
from volunteers.availability import DAYS, PERIODS, SLOT_BITS
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

S = Order.Status
HENGYANG = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=HENGYANG)


@pytest.fixture
def tomorrow() -> datetime.date:
    """A day after every row the test writes (orders are stamped with the real clock, and the
    sweep only takes orders quiet since before its ``now``)."""
    return timezone.localdate() + datetime.timedelta(days=1)


@pytest.fixture
def vol(tree, people):
    def make(number: int, **options) -> Volunteer:
        return make_volunteer(number, tree.village_a, cadre=people.city_cadre, **options)

    return make


def flag_notices(order: Order) -> int:
    """Tell whatever is untold (the notifier's run), then count the flags of ``order`` its
    cadres were told of."""
    notify_pending()
    return (
        Notification.objects.filter(key__startswith=f"order-flagged-{order.pk}-")
        .values("key")
        .distinct()
        .count()
    )


# --- the slots ----------------------------------------------------------------------------


def test_night_is_from_22_to_6_and_slots_begin_at_6_12_18(tomorrow):
    assert [is_night(local(tomorrow, hour)) for hour in (5, 6, 21, 22, 23)] == [
        True,
        False,
        False,
        True,
        True,
    ]
    assert slot_start(local(tomorrow, 13, 45)) == local(tomorrow, 12)
    assert slot_start(local(tomorrow, 6)) == local(tomorrow, 6)
    assert slot_start(local(tomorrow, 23, 30)) is None
    # A UTC moment is read in Hengyang time: 22:30 UTC is 06:30 the next day there.
    utc = datetime.datetime.combine(tomorrow, datetime.time(22, 30), tzinfo=datetime.UTC)
    assert slot_start(utc) == local(tomorrow + datetime.timedelta(days=1), 6)


# --- an order placed at night ------------------------------------------------------------


def test_an_order_placed_at_23_waits_unflagged_and_the_0605_sweep_dispatches_it(
    tree, people, menu, vol, tomorrow
):
    # given: a volunteer free every slot, and an order placed at 23:00
    helper = vol(301)
    order = place(people, menu, tree.village_a)
    night = local(tomorrow, 23)
    # when
    at_placing = auto_dispatch(order_id=order.pk, at=night)
    at_midnight = sweep(now=local(tomorrow + datetime.timedelta(days=1), 0, 5))
    before_six = sweep(now=local(tomorrow + datetime.timedelta(days=1), 5, 59))
    waiting = Order.objects.get(pk=order.pk)
    morning = sweep(now=local(tomorrow + datetime.timedelta(days=1), 6, 5))
    # then
    assert at_placing is False
    assert (waiting.status, waiting.flagged_at, waiting.dispatch_tried_at) == (
        S.PLACED,
        None,
        None,
    )
    assert (at_midnight, before_six, morning) == ((0, 0), (0, 0), (0, 1))
    dispatched = Order.objects.get(pk=order.pk)
    assert (dispatched.status, dispatched.dispatched_volunteer) == (S.DISPATCHED, helper)
    assert flag_notices(order) == 0


def test_an_offer_lapsing_at_night_waits_for_the_morning_too(
    tree, people, menu, vol, tomorrow, settings
):
    # given: an offer already past its deadline, swept at night
    settings.ORDER_ACCEPT_MINUTES = -1
    first = vol(301)
    second = vol(302)
    order = place(people, menu, tree.village_a)
    assert auto_dispatch(order_id=order.pk, at=local(tomorrow, 21, 50)) is True
    # when
    at_night = sweep(now=local(tomorrow, 23))
    lapsed = Order.objects.get(pk=order.pk)
    morning = sweep(now=local(tomorrow + datetime.timedelta(days=1), 6, 5))
    # then: expired at night, not flagged, offered to the next volunteer in the morning
    assert at_night == (1, 0)
    assert (lapsed.status, lapsed.flagged_at) == (S.PLACED, None)
    assert morning == (0, 1)
    offered = Order.objects.get(pk=order.pk)
    assert (offered.status, offered.dispatched_volunteer) == (S.DISPATCHED, second)
    assert offered.dispatched_volunteer != first


def run_auto_dispatch_action(client, cadre, order: Order) -> list[str]:
    client.force_login(cadre)
    response = client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "auto_dispatch_orders", ACTION_CHECKBOX_NAME: [order.pk], "index": "0"},
        follow=True,
    )
    assert response.status_code == 200
    return [m.message for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("clock", "words"),
    [
        # after the evening slot: tomorrow's first slot
        ("2026-11-23T23:15:00", "明早 6:00"),
        # after midnight: this morning's
        ("2026-11-24T02:30:00", "今早 6:00"),
    ],
)
def test_the_admin_action_at_night_says_when_the_order_will_be_dispatched(
    client, tree, people, menu, settings, clock, words
):
    # given: the on-call clock read at night (the seam the order page reads too)
    settings.ON_CALL_CLOCK = clock
    order = place(people, menu, tree.village_a)
    # when
    shown = run_auto_dispatch_action(client, people.county_cadre, order)
    # then: the time is next_dispatch_at's, the one rule the order page states
    assert shown == [f"#{order.pk} 帮忙买药：夜间无人值守，订单将于{words} 起自动派出。"]
    kept = Order.objects.get(pk=order.pk)
    assert (kept.status, kept.flagged_at) == (S.PLACED, None)


def test_the_admin_action_states_the_time_of_the_first_slot(
    client, tree, people, menu, settings, monkeypatch
):
    # given: a week whose first slot began at 07:00 (orders.dispatch reads the slots'
    # table, volunteers.availability.PERIODS)
    from orders import dispatch

    later = [
        (period, label, 7 if start == 6 else start, end) for period, label, start, end in PERIODS
    ]
    monkeypatch.setattr(dispatch, "PERIODS", later)
    settings.ON_CALL_CLOCK = "2026-11-24T06:30:00"
    order = place(people, menu, tree.village_a)
    # when / then
    assert run_auto_dispatch_action(client, people.county_cadre, order) == [
        f"#{order.pk} 帮忙买药：夜间无人值守，订单将于今早 7:00 起自动派出。"
    ]


def test_the_admin_action_by_day_says_a_wish_nobody_took_is_tried_again(
    client, tree, people, menu, settings
):
    # given: a wish in the daytime, nobody to take it (a wish is never flagged)
    settings.ON_CALL_CLOCK = "2026-11-24T10:00:00"
    wish = place(people, menu, tree.village_a, title="想要一个新书包", kind=Order.Kind.WISH)
    # when / then
    assert run_auto_dispatch_action(client, people.county_cadre, wish) == [
        f"#{wish.pk} 想要一个新书包：暂无志愿者可接，下一时段将自动再试。"
    ]
    assert Order.objects.get(pk=wish.pk).flagged_at is None


# --- retrying flagged orders -------------------------------------------------------------


def test_a_flagged_order_is_retried_once_per_later_slot_and_cadres_are_told_once(
    tree, people, menu, vol, tomorrow
):
    # given: flagged at 10:00, nobody free; a volunteer on call in the evening only
    order = place(people, menu, tree.village_a)
    assert auto_dispatch(order_id=order.pk, at=local(tomorrow, 10)) is False
    flagged_at = Order.objects.get(pk=order.pk).flagged_at
    assert flag_notices(order) == 1
    evenings = vol(301, availability=SLOT_BITS[f"{DAYS[tomorrow.weekday()][0]}_evening"])

    def tried_at():
        return Order.objects.get(pk=order.pk).dispatch_tried_at

    # when / then: same slot, not tried again
    assert sweep(now=local(tomorrow, 11, 30)) == (0, 0)
    assert tried_at() == local(tomorrow, 10)
    # the afternoon slot: tried, nobody, still flagged since 10:00
    assert sweep(now=local(tomorrow, 12, 5)) == (0, 0)
    assert tried_at() == local(tomorrow, 12, 5)
    # later in the afternoon: not tried again
    assert sweep(now=local(tomorrow, 17, 59)) == (0, 0)
    assert tried_at() == local(tomorrow, 12, 5)
    assert Order.objects.get(pk=order.pk).flagged_at == flagged_at
    # the evening slot: the volunteer is free and gets it
    assert sweep(now=local(tomorrow, 18, 1)) == (0, 1)
    dispatched = Order.objects.get(pk=order.pk)
    assert (dispatched.status, dispatched.dispatched_volunteer) == (S.DISPATCHED, evenings)
    # order_dispatch clears the flag: the order is no longer waiting for the cadres
    assert dispatched.flagged_at is None
    assert flag_notices(order) == 1
    assert OrderEvent.objects.filter(order=order, to_status=S.DISPATCHED).count() == 1


def test_flagged_orders_are_retried_in_bounded_batches_least_recently_tried_first(
    tree, people, menu, tomorrow, settings
):
    # given: three flagged at 10:00, 10:20 and 10:40
    settings.DISPATCH_SWEEP_BATCH = 2
    orders = [place(people, menu, tree.village_a, title=f"第{n}单") for n in range(3)]
    for minutes, order in zip((40, 0, 20), orders, strict=True):
        assert auto_dispatch(order_id=order.pk, at=local(tomorrow, 10, minutes)) is False
    # when
    sweep(now=local(tomorrow, 12, 5))
    # then: the two tried longest ago were tried again, the third waits for the next run
    tried = dict(
        Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("pk", "dispatch_tried_at")
    )
    assert tried == {
        orders[0].pk: local(tomorrow, 10, 40),
        orders[1].pk: local(tomorrow, 12, 5),
        orders[2].pk: local(tomorrow, 12, 5),
    }
    sweep(now=local(tomorrow, 12, 6))
    assert Order.objects.get(pk=orders[0].pk).dispatch_tried_at == local(tomorrow, 12, 6)


def test_a_flagged_order_where_auto_dispatch_was_switched_off_is_not_retried_every_minute(
    tree, people, menu, tomorrow
):
    # given: flagged, then the village switched to hand dispatch
    order = place(people, menu, tree.village_a)
    assert auto_dispatch(order_id=order.pk, at=local(tomorrow, 10)) is False
    tree.village_a.auto_dispatch = False
    center_save(actor=None, center=tree.village_a)
    # when
    sweep(now=local(tomorrow, 12, 5))
    with CaptureQueriesContext(connection) as second:
        assert sweep(now=local(tomorrow, 12, 6)) == (0, 0)
    # then: tried once in the new slot, then left alone; the three queue reads only
    kept = Order.objects.get(pk=order.pk)
    assert (kept.status, kept.dispatch_tried_at) == (S.PLACED, local(tomorrow, 12, 5))
    assert len(second) == 3


# --- the sweep's cost --------------------------------------------------------------------


def sweep_queries(now: datetime.datetime) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        sweep(now=now)
    return [query["sql"] for query in queries.captured_queries]


def test_the_sweep_reads_three_queues_by_day_and_one_at_night(tomorrow):
    assert len(sweep_queries(local(tomorrow, 12, 5))) == 3
    assert len(sweep_queries(local(tomorrow, 23))) == 1


# What the sweep costs per flagged order it tries again and finds nobody for.
RETRY_QUERIES_PER_ORDER = 8


def test_retrying_costs_the_same_per_order_however_many_are_flagged(tree, people, menu, tomorrow):
    # given: two flagged orders, then four
    def flag(count: int) -> None:
        for n in range(count):
            order = place(people, menu, tree.village_a, title=f"第{n}单")
            assert auto_dispatch(order_id=order.pk, at=local(tomorrow, 10)) is False

    flag(2)
    two = len(sweep_queries(local(tomorrow, 12, 5)))
    flag(2)
    # when: the four retried in the evening slot
    four = len(sweep_queries(local(tomorrow, 18, 5)))
    # then: the three queue reads, and a pinned number of queries per order tried
    assert (two, four) == (3 + 2 * RETRY_QUERIES_PER_ORDER, 3 + 4 * RETRY_QUERIES_PER_ORDER)


def test_the_retry_queue_is_read_from_its_partial_index(tree, people, menu, tomorrow):
    # given
    order = place(people, menu, tree.village_a)
    assert auto_dispatch(order_id=order.pk, at=local(tomorrow, 10)) is False
    retry_read = next(
        sql
        for sql in sweep_queries(local(tomorrow, 12, 5))
        if '"dispatch_tried_at" <' in sql and "LIMIT" in sql
    )
    waiting_read = next(
        sql
        for sql in sweep_queries(local(tomorrow, 12, 6))
        if '"flagged_at" IS NULL' in sql and "LIMIT" in sql
    )
    # when: the planner may neither scan the table nor sort (the test table is tiny): only
    # an index that holds the queue in order can answer
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + retry_read)
        retry_plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + waiting_read)
        waiting_plan = "\n".join(row[0] for row in cursor.fetchall())
    # then
    assert "order_flagged_retry" in retry_plan
    assert "order_placed_unflagged" in waiting_plan
