"""The cadre's queue: counted from their subtree only, capped, and shown in the top bar and
on the admin index; nobody else pays a query for it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.notify import Message, notifications_send_many
from orders.context_processors import shown_count
from orders.models import Order
from orders.selectors import QUEUE_COUNT_CAP, cadre_queue_counts, capped_counts
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db


def _queue(tree, people, menu):
    """At village A: two waiting, one flagged, one offered and about to lapse, one offered
    with hours left; at county B: one of each, which county A's cadres never count."""
    place(people, menu, tree.village_a, title="待派一")
    place(people, menu, tree.village_a2, title="待派二")
    flagged = place(people, menu, tree.village_a, title="无人可派")
    soon = place(people, menu, tree.village_a, title="快超时")
    later = place(people, menu, tree.village_a, title="还早")
    now = timezone.now()
    Order.objects.filter(pk=flagged.pk).update(flagged_at=now)
    Order.objects.filter(pk=soon.pk).update(
        status=Order.Status.DISPATCHED, accept_deadline=now + datetime.timedelta(minutes=5)
    )
    Order.objects.filter(pk=later.pk).update(
        status=Order.Status.DISPATCHED, accept_deadline=now + datetime.timedelta(hours=5)
    )
    outside = [place(people, menu, tree.village_b, title=f"外区{n}") for n in range(3)]
    Order.objects.filter(pk=outside[1].pk).update(flagged_at=now)
    Order.objects.filter(pk=outside[2].pk).update(
        status=Order.Status.DISPATCHED, accept_deadline=now + datetime.timedelta(minutes=1)
    )


def test_each_tier_counts_its_own_subtree(tree, people, menu):
    _queue(tree, people, menu)
    assert cadre_queue_counts(people.county_cadre) == {"waiting": 2, "flagged": 1, "expiring": 1}
    assert cadre_queue_counts(people.township_cadre) == {
        "waiting": 2,
        "flagged": 1,
        "expiring": 1,
    }
    assert cadre_queue_counts(people.village_cadre) == {"waiting": 1, "flagged": 1, "expiring": 1}
    assert cadre_queue_counts(people.outsider_cadre) == {
        "waiting": 1,
        "flagged": 1,
        "expiring": 1,
    }
    assert cadre_queue_counts(people.city_cadre) == {"waiting": 3, "flagged": 2, "expiring": 2}
    assert cadre_queue_counts(people.resident) == {"waiting": 0, "flagged": 0, "expiring": 0}


def test_counts_stop_at_the_cap_and_show_99_plus(tree, people, menu):
    for n in range(4):
        place(people, menu, tree.village_a, title=f"单{n}")
    placed = Order.objects.filter(status=Order.Status.PLACED)
    assert capped_counts({"all": placed}, cap=3) == {"all": 3}
    assert capped_counts({"all": placed}, cap=10) == {"all": 4}
    assert shown_count(QUEUE_COUNT_CAP) == "99+"
    assert shown_count(QUEUE_COUNT_CAP - 1) == "99"


# The home page as a resident: the service menu, the center's contact, the session, the
# user, and one statement for the unread count and the cadre test together.
RESIDENT_HOME_QUERIES = 5


def test_top_bar_links_the_workbench_with_the_queue_for_a_cadre(
    client, tree, people, menu, django_assert_num_queries
):
    _queue(tree, people, menu)
    client.force_login(people.village_cadre)
    client.get("/")
    # Two more than a resident's: the cadre's roles, then the three capped counts at once.
    with django_assert_num_queries(RESIDENT_HOME_QUERIES + 2):
        response = client.get("/")
    html = response.content.decode()
    assert reverse("orders:dispatch_list") in html
    assert 'title="待派单 / 无人可派">1/1</span>' in html
    assert reverse("admin:index") in html


def test_a_resident_gets_no_queue_and_one_query_for_the_unread_count(
    client, tree, people, menu, django_assert_num_queries
):
    _queue(tree, people, menu)
    client.force_login(people.resident)
    client.get("/")
    with django_assert_num_queries(RESIDENT_HOME_QUERIES):
        response = client.get("/")
    html = response.content.decode()
    assert reverse("orders:dispatch_list") not in html
    assert reverse("admin:index") not in html
    assert "未读消息" not in html


def test_the_unread_count_is_capped(client, tree, people, settings):
    notifications_send_many(
        Message(user_id=people.resident.pk, key=f"k{n}", title="标题", body="", link="")
        for n in range(QUEUE_COUNT_CAP + 1)
    )
    client.force_login(people.resident)
    html = client.get("/").content.decode()
    assert 'title="未读消息">99+</span>' in html
    client.post(reverse("inbox"))
    assert "未读消息" not in client.get("/").content.decode()


def test_an_anonymous_visit_pays_nothing_for_the_top_bar(
    client, tree, people, django_assert_num_queries
):
    # the service menu and the center's contact, and nothing for the top bar
    with django_assert_num_queries(2):
        html = client.get("/").content.decode()
    assert "未读消息" not in html
    assert reverse("orders:dispatch_list") not in html


def test_admin_index_shows_the_queue_and_the_way_to_the_workbench(client, tree, people, menu):
    _queue(tree, people, menu)
    client.force_login(people.outsider_cadre)
    html = client.get(reverse("admin:index")).content.decode()
    assert 'id="work-queue"' in html
    assert '<td class="queue-waiting">1</td>' in html
    assert '<td class="queue-flagged">1</td>' in html
    assert '<td class="queue-expiring">1</td>' in html
    assert reverse("orders:dispatch_list") in html


def test_the_admin_index_shows_99_plus_past_the_cap(client, tree, people, menu, settings):
    settings.ORDER_QUEUE_EXPIRING_MINUTES = 30
    first = place(people, menu, tree.village_a, title="一")
    # Copies of one placed order: the cap, not the placing, is what is tested.
    Order.objects.bulk_create([Order(**_copy_of(first)) for _ in range(QUEUE_COUNT_CAP)])
    client.force_login(people.county_cadre)
    html = client.get(reverse("admin:index")).content.decode()
    assert '<td class="queue-waiting">99+</td>' in html


def _copy_of(order: Order) -> dict:
    skip = {"id", "created_at", "updated_at"}
    return {
        field.attname: getattr(order, field.attname)
        for field in Order._meta.concrete_fields
        if field.attname not in skip
    }


def test_the_admin_order_page_leads_a_placed_order_to_its_dispatch_page(client, tree, people, menu):
    waiting = place(people, menu, tree.village_a, title="等人接")
    taken = place(people, menu, tree.village_a, title="已派出")
    Order.objects.filter(pk=taken.pk).update(status=Order.Status.DISPATCHED)
    client.force_login(people.township_cadre)

    waiting_page = client.get(reverse("admin:orders_order_change", args=[waiting.pk]))
    taken_page = client.get(reverse("admin:orders_order_change", args=[taken.pk]))

    assert reverse("orders:dispatch", args=[waiting.pk]) in waiting_page.content.decode()
    assert reverse("orders:dispatch", args=[taken.pk]) not in taken_page.content.decode()


def test_a_superuser_sees_the_whole_citys_queue(client, tree, people, menu):
    from accounts.models import User

    _queue(tree, people, menu)
    root = User.objects.create_superuser(phone="13800000077", name="超管", password="x" * 12)
    client.force_login(root)

    html = client.get(reverse("admin:index")).content.decode()
    home = client.get("/").content.decode()

    assert '<td class="queue-waiting">3</td>' in html
    assert '<td class="queue-flagged">2</td>' in html
    assert '<td class="queue-expiring">2</td>' in html
    assert 'title="待派单 / 无人可派">3/2</span>' in home
