"""Item 10.1 and 10.3 of the pages: the order page's night notice (one rule,
orders.dispatch.next_dispatch_at, on a controlled clock), the dispatch page's hand pick by
name or phone within the cadre's scope, and the wish wall open to visitors without personal
data."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from orders.dispatch import next_dispatch_at, on_call_now
from orders.services import order_place
from tests.orders.conftest import make_volunteer, place

pytestmark = pytest.mark.django_db

HENGYANG = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 11, 23)  # a Monday


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=HENGYANG)


# --- when an order placed now will be dispatched -------------------------------------------


def test_next_dispatch_is_now_in_a_slot_and_six_in_the_morning_at_night():
    assert next_dispatch_at(local(DAY, 6)) is None
    assert next_dispatch_at(local(DAY, 21, 59)) is None
    assert next_dispatch_at(local(DAY, 22)) == local(DAY + datetime.timedelta(days=1), 6)
    assert next_dispatch_at(local(DAY, 23, 30)) == local(DAY + datetime.timedelta(days=1), 6)
    assert next_dispatch_at(local(DAY, 0, 10)) == local(DAY, 6)
    assert next_dispatch_at(local(DAY, 5, 59)) == local(DAY, 6)


def test_the_on_call_clock_is_the_real_one_unless_the_setting_pins_it(settings):
    settings.ON_CALL_CLOCK = None
    assert abs((on_call_now() - datetime.datetime.now(HENGYANG)).total_seconds()) < 60
    settings.ON_CALL_CLOCK = "2026-11-23T23:15:00"
    assert on_call_now() == local(DAY, 23, 15)


@pytest.mark.parametrize(
    ("clock", "notice"),
    [
        ("2026-11-23T23:15:00", "夜间下单，将于明早 6:00 起派单。"),
        ("2026-11-24T02:00:00", "夜间无人值守，订单将于今早 6:00 起派单。"),
        ("2026-11-23T10:00:00", None),
    ],
)
def test_the_order_page_says_when_a_night_order_will_be_dispatched(
    client, settings, tree, people, menu, clock, notice
):
    settings.ON_CALL_CLOCK = clock
    order = place(people, menu, tree.village_a)
    client.force_login(people.resident)
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    if notice is None:
        assert "night-notice" not in page
        assert "起派单" not in page
    else:
        assert notice in page
        assert 'class="notice night-notice"' in page


def test_a_flagged_or_dispatched_order_shows_no_night_notice(client, settings, tree, people, menu):
    settings.ON_CALL_CLOCK = "2026-11-23T23:15:00"
    order = place(people, menu, tree.village_a)
    order.flagged_at = local(DAY, 21)
    order.save(update_fields=["flagged_at"])
    client.force_login(people.resident)
    assert "起派单" not in client.get(reverse("orders:detail", args=[order.pk])).content.decode()


# --- the hand pick on the dispatch page ----------------------------------------------------


@pytest.fixture
def pool(tree, people):
    """Three volunteers: two in 衡州路街道 (王江, 新园), one in another township."""
    return {
        "home": make_volunteer(11, tree.village_a, cadre=people.city_cadre),
        "neighbour": make_volunteer(12, tree.village_a2, cadre=people.city_cadre),
        "away": make_volunteer(13, tree.village_a3, cadre=people.city_cadre),
    }


def search(client, order, query: str) -> str:
    response = client.get(reverse("orders:dispatch", args=[order.pk]), {"q": query})
    assert response.status_code == 200
    # What was found: the section's part after its search form (which repeats the query).
    section = response.content.decode().split('id="hand-pick"')[1].split("</section>")[0]
    return section.split("</form>", 1)[1]


def test_a_cadre_finds_volunteers_by_name_full_phone_or_last_four_digits(
    client, tree, people, menu, pool
):
    order = place(people, menu, tree.village_a)
    client.force_login(people.township_cadre)
    # names are 志愿者11/12/13 and phones 13500000011/12/13
    by_name = search(client, order, "志愿者1")
    assert "志愿者11" in by_name
    assert "志愿者12" in by_name
    by_phone = search(client, order, "13500000012")
    assert "志愿者12" in by_phone
    assert "志愿者11" not in by_phone
    assert "135****0012" in by_phone
    by_tail = search(client, order, "0011")
    assert "志愿者11" in by_tail
    assert "志愿者12" not in by_tail
    # a number of another length finds nobody, and says how to search
    assert "没有找到" in search(client, order, "135000")


def test_a_cadre_never_finds_volunteers_outside_their_scope(client, tree, people, menu, pool):
    order = place(people, menu, tree.village_a)
    client.force_login(people.township_cadre)
    for query in ("志愿者13", "13500000013", "0013"):
        found = search(client, order, query)
        assert "志愿者13" not in found, query
        assert "没有找到" in found
    # the village cadre sees the village alone
    client.force_login(people.village_cadre)
    found = search(client, order, "志愿者1")
    assert "志愿者11" in found
    assert "志愿者12" not in found


def test_a_volunteer_found_by_hand_is_dispatched_even_off_shift(client, tree, people, menu, pool):
    order = place(people, menu, tree.village_a)
    client.force_login(people.township_cadre)
    response = client.post(
        reverse("orders:dispatch", args=[order.pk]), {"volunteer": pool["neighbour"].pk}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.dispatched_volunteer == pool["neighbour"]
    # and one out of scope is refused as absent, the order unmoved
    other = place(people, menu, tree.village_a)
    response = client.post(
        reverse("orders:dispatch", args=[other.pk]), {"volunteer": pool["away"].pk}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.dispatched_volunteer is None


# --- the wall for visitors -----------------------------------------------------------------


def test_a_visitor_sees_the_wish_wall_without_personal_data(client, tree, people, menu):
    from practice.models import Service

    wish_item = Service.objects.get(center=tree.city, is_wish=True)
    wish = order_place(
        resident=people.resident,
        service=wish_item,
        center=tree.village_a,
        title="想要一个新书包",
        description="孩子上三年级，旧书包坏了。",
        address="王江社区3栋201室",
        contact_phone="13912340077",
    )
    response = client.get(reverse("orders:wishes"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "想要一个新书包" in page
    assert "王江社区" in page
    for personal in ("张群众", "13912340077", "0077", "3栋201室"):
        assert personal not in page, personal
    # claiming asks to sign in first, coming back to the wall
    assert "/accounts/login/?next=%2Forders%2Fwishes%2F" in page
    assert reverse("orders:wish_claim", args=[wish.pk]) not in page
    claim = client.post(reverse("orders:wish_claim", args=[wish.pk]))
    assert claim.status_code == 302
    assert "/accounts/login/" in claim["Location"]
    wish.refresh_from_db()
    assert wish.donor_id is None
