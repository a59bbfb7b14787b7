"""Micro-wishes (微心愿): claimed by any signed-in user but the resident who made it, marked
fulfilled by that donor without a check-in, rated as usual; a wall that shows open wishes
without personal data; the donor alone (with the resident and the cadres) reads the rest."""

from __future__ import annotations

import importlib
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.services import resident_register
from core.errors import ConflictError, DomainError, NotInScope
from core.models import Notification
from orders.models import Order, OrderEvent
from orders.notifications import notify_event
from orders.selectors import orders_for
from orders.services import (
    order_accept,
    order_cancel,
    order_complete,
    order_dispatch,
    order_place,
    order_rate,
    order_start,
    wish_claim,
    wish_claim_confirm,
    wish_fulfil,
)
from orders.wishes import open_wishes
from orders.workflow import IllegalTransition, transition
from points.models import HoursEntry
from practice.catalogue import STARTING_MENU, service_menu_install
from practice.models import Service
from tests.conftest import PASSWORD
from tests.orders.conftest import PHONE, make_team, make_volunteer, place
from tests.orders.test_races import run_together
from tests.support.order_form import order_form_post
from tests.support.queries import exact_get
from volunteers.models import Volunteer

S = Order.Status
WISH_TITLE = "想要一台旧电脑上网课"
WISH_TEXT = "孩子读初二，家里没有电脑，旧的也行。"
ADDRESS = "王江社区3栋201"


def make_wish(people, menu, tree, *, title: str = WISH_TITLE, **overrides) -> Order:
    return place(
        people,
        menu,
        tree.village_a,
        title=title,
        description=WISH_TEXT,
        kind=Order.Kind.WISH,
        **overrides,
    )


def make_donor(number: int = 1):
    """A signed-in resident who is no volunteer."""
    return resident_register(
        phone=f"1366600{number:04d}", name=f"爱心人士{number}", password=PASSWORD
    )


def snapshot(order_id: int) -> tuple:
    order = Order.objects.get(pk=order_id)
    return (
        order.status,
        order.donor_id,
        order.accepted_by_id,
        order.accepted_at,
        order.completed_at,
        order.summary,
        OrderEvent.objects.filter(order_id=order_id).count(),
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def api_as(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def inbox(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("id").values_list("title", flat=True)
    )


def notify_all(order: Order) -> None:
    for event_id in OrderEvent.objects.filter(order=order).values_list("id", flat=True):
        notify_event(event_id=event_id)


@pytest.fixture(autouse=True)
def _harvest_limits_out_of_the_way(settings):
    """Several tests here have one donor claim many wishes (query counts, paging, races):
    the cap and the hourly rate against harvesting are tested on their own
    (tests/orders/test_wish_harvest.py)."""
    settings.WISH_OPEN_CLAIMS_MAX = 10_000
    settings.WISH_CLAIMS_PER_HOUR = 10_000


@pytest.fixture
def wish(people, menu, tree) -> Order:
    return make_wish(people, menu, tree)


@pytest.fixture
def donor(db):
    return make_donor()


# ---------------------------------------------------------------- claiming


def test_a_signed_in_non_volunteer_claims_an_open_wish(wish, donor, people):
    # given
    assert not Volunteer.objects.filter(user=donor).exists()

    # when
    claimed = wish_claim(donor=donor, order_id=wish.pk)

    # then
    assert (claimed.status, claimed.donor_id, claimed.accepted_by_id) == (
        S.ACCEPTED,
        donor.pk,
        None,
    )
    assert claimed.accepted_at is not None
    event = OrderEvent.objects.get(order=wish, to_status=S.ACCEPTED)
    assert (event.from_status, event.actor_id) == (S.PLACED, donor.pk)


def test_a_volunteer_claims_a_wish_offered_to_a_team_and_the_members_are_told_409(
    tree, people, menu, team
):
    # given: the wish went the volunteer way first, to a team the claimer is not in
    wish = make_wish(people, menu, tree)
    order_dispatch(actor=people.county_cadre, order_id=wish.pk, team=team.team)

    # when
    claimed = wish_claim(donor=people.volunteer, order_id=wish.pk)

    # then: held by the volunteer as a donor, not as the accepting volunteer
    assert (claimed.status, claimed.donor_id, claimed.accepted_by_id) == (
        S.ACCEPTED,
        people.volunteer.pk,
        None,
    )
    with pytest.raises(IllegalTransition) as refused:
        order_accept(volunteer=team.members[0], order_id=wish.pk)
    assert refused.value.message == "订单当前状态为“已认领”，不能接单。"
    assert Order.objects.get(pk=wish.pk).donor_id == people.volunteer.pk


def test_the_resident_cannot_claim_their_own_wish_and_nothing_changes(wish, people):
    before = snapshot(wish.pk)

    with pytest.raises(DomainError) as refused:
        wish_claim(donor=people.resident, order_id=wish.pk)

    assert refused.value.code == "own_wish"
    assert refused.value.http_status == 400
    assert refused.value.message == "不能认领自己发布的微心愿。"
    assert snapshot(wish.pk) == before


def test_a_service_order_cannot_be_claimed(order, donor, people):
    before = snapshot(order.pk)

    # An outsider learns nothing about it: absent.
    with pytest.raises(NotInScope):
        wish_claim(donor=donor, order_id=order.pk)
    # A cadre who may read it is told why.
    with pytest.raises(DomainError) as refused:
        wish_claim(donor=people.county_cadre, order_id=order.pk)

    assert refused.value.code == "not_a_wish"
    assert refused.value.message == "该订单不是微心愿，不能认领。"
    assert snapshot(order.pk) == before


def test_a_missing_wish_is_absent(donor):
    with pytest.raises(NotInScope) as refused:
        wish_claim(donor=donor, order_id=987654)
    assert refused.value.message == "微心愿不存在。"


def test_a_cancelled_wish_cannot_be_claimed(wish, donor, people):
    order_cancel(resident=people.resident, order_id=wish.pk)
    before = snapshot(wish.pk)

    with pytest.raises(ConflictError) as refused:
        wish_claim(donor=donor, order_id=wish.pk)

    assert refused.value.http_status == 409
    assert refused.value.message == "订单当前状态为“已取消”，不能认领。"
    assert snapshot(wish.pk) == before


def test_a_second_claim_is_a_409_naming_the_state(wish, donor):
    wish_claim(donor=donor, order_id=wish.pk)
    before = snapshot(wish.pk)

    with pytest.raises(IllegalTransition) as refused:
        wish_claim(donor=make_donor(2), order_id=wish.pk)

    assert refused.value.code == "not_allowed_in_accepted"
    assert refused.value.message == "订单当前状态为“已认领”，不能认领。"
    assert snapshot(wish.pk) == before


def test_a_wish_accepted_by_a_volunteer_cannot_be_claimed(wish, donor, people, helper):
    order_dispatch(actor=people.county_cadre, order_id=wish.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=wish.pk)
    before = snapshot(wish.pk)

    with pytest.raises(IllegalTransition):
        wish_claim(donor=donor, order_id=wish.pk)

    assert snapshot(wish.pk) == before


# ---------------------------------------------------------------- the state machine's rules


def test_the_donation_moves_hold_only_for_wishes(order, donor):
    # A service order is never claimed, even when the state machine is asked directly.
    with pytest.raises(IllegalTransition), transaction.atomic():
        transition(order.pk, to=S.ACCEPTED, actor=donor, donation=True, donor=donor)
    assert snapshot(order.pk)[:3] == (S.PLACED, None, None)


def test_accepted_to_completed_is_not_open_to_a_volunteer_holding_a_wish(wish, people, helper):
    # Taken the volunteer way, a wish is served the volunteer way: check in first.
    order_dispatch(actor=people.county_cadre, order_id=wish.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=wish.pk)

    with pytest.raises(IllegalTransition), transaction.atomic():
        transition(wish.pk, to=S.COMPLETED, actor=people.volunteer, summary="送到了")
    with pytest.raises(NotInScope):
        wish_fulfil(donor=people.volunteer, order_id=wish.pk, note="送到了")

    order_start(volunteer=helper, order_id=wish.pk)
    done = order_complete(volunteer=helper, order_id=wish.pk, summary="送到了", hours=Decimal(0))
    assert (done.status, done.donor_id) == (S.COMPLETED, None)


# ---------------------------------------------------------------- fulfilling and rating


def test_the_donor_marks_it_fulfilled_the_resident_rates_and_no_hours_are_credited(
    wish, donor, people
):
    wish_claim(donor=donor, order_id=wish.pk)

    fulfilled = wish_fulfil(donor=donor, order_id=wish.pk, note="  电脑已送到家中  ")

    assert (fulfilled.status, fulfilled.summary, fulfilled.hours) == (
        S.COMPLETED,
        "电脑已送到家中",
        None,
    )
    assert fulfilled.completed_at is not None
    assert fulfilled.started_at is None
    event = OrderEvent.objects.get(order=wish, to_status=S.COMPLETED)
    assert (event.from_status, event.actor_id) == (S.ACCEPTED, donor.pk)

    rated = order_rate(resident=people.resident, order_id=wish.pk, score=5, comment="谢谢！")

    assert (rated.status, rated.rating, rated.rating_comment) == (S.RATED, 5, "谢谢！")
    assert HoursEntry.objects.count() == 0


def test_a_volunteer_donor_earns_no_service_hours(wish, people, helper):
    hours_before = Volunteer.objects.get(pk=helper.pk).hours

    wish_claim(donor=people.volunteer, order_id=wish.pk)
    wish_fulfil(donor=people.volunteer, order_id=wish.pk, note="书包已送到")

    assert Order.objects.get(pk=wish.pk).hours is None
    assert HoursEntry.objects.filter(volunteer=helper).count() == 0
    assert Volunteer.objects.get(pk=helper.pk).hours == hours_before


def test_only_the_donor_marks_it_fulfilled(wish, donor, people):
    wish_claim(donor=donor, order_id=wish.pk)
    before = snapshot(wish.pk)

    for stranger in (people.resident, make_donor(2), people.county_cadre, people.volunteer):
        with pytest.raises(NotInScope):
            wish_fulfil(donor=stranger, order_id=wish.pk, note="冒领")

    assert snapshot(wish.pk) == before


def test_a_note_too_long_is_refused_and_nothing_changes(wish, donor):
    wish_claim(donor=donor, order_id=wish.pk)
    before = snapshot(wish.pk)

    with pytest.raises(DomainError) as refused:
        wish_fulfil(donor=donor, order_id=wish.pk, note="字" * 1001)

    assert (refused.value.field, refused.value.message) == ("note", "说明不能超过 1000 个字。")
    assert snapshot(wish.pk) == before


def test_fulfilling_twice_is_a_409(wish, donor):
    wish_claim(donor=donor, order_id=wish.pk)
    wish_fulfil(donor=donor, order_id=wish.pk, note="")
    before = snapshot(wish.pk)

    with pytest.raises(IllegalTransition) as refused:
        wish_fulfil(donor=donor, order_id=wish.pk, note="再来一次")

    assert refused.value.message == "订单当前状态为“已实现”，不能标记为已实现。"
    assert snapshot(wish.pk) == before


def test_the_resident_may_still_cancel_a_claimed_wish_and_the_donor_is_told(wish, donor, people):
    wish_claim(donor=donor, order_id=wish.pk)

    order_cancel(resident=people.resident, order_id=wish.pk, reason="已经有了")
    notify_all(wish)

    assert Order.objects.get(pk=wish.pk).status == S.CANCELLED
    assert inbox(donor)[-1] == "微心愿已被群众取消"


# ---------------------------------------------------------------- notifications


def test_the_resident_hears_of_the_claim_and_the_donor_of_each_step(wish, donor, people):
    wish_claim(donor=donor, order_id=wish.pk)
    wish_claim_confirm(actor=people.resident, order_id=wish.pk)
    wish_fulfil(donor=donor, order_id=wish.pk, note="已送达")
    order_rate(resident=people.resident, order_id=wish.pk, score=4)

    notify_all(wish)
    notify_all(wish)  # a redelivered task tells nobody twice

    assert inbox(people.resident) == [
        "您的微心愿已被认领，请确认认领人",
        "您的微心愿已实现，请您评价",
    ]
    assert inbox(donor) == [
        "您已认领微心愿，待发布者或实践站确认后可查看联系方式",
        "您认领的微心愿已确认，请与群众联系送达",
        "您认领的微心愿已标记为实现",
        "群众已评价您认领的微心愿",
    ]
    assert set(Notification.objects.filter(user=donor).values_list("link", flat=True)) == {
        f"/orders/{wish.pk}/"
    }


def test_the_volunteer_a_claimed_wish_was_offered_to_is_told_it_is_gone(
    wish, donor, people, helper
):
    order_dispatch(actor=people.county_cadre, order_id=wish.pk, volunteer=helper)
    wish_claim(donor=donor, order_id=wish.pk)

    notify_all(wish)

    assert inbox(people.volunteer) == ["您有新的服务任务", "该微心愿已被他人认领"]


# ---------------------------------------------------------------- who reads what


def test_orders_for_gives_the_donor_their_claimed_wish_and_nobody_else_new(
    wish, donor, people, tree, menu
):
    other = make_wish(people, menu, tree, title="想要一个书包")
    wish_claim(donor=donor, order_id=wish.pk)

    assert list(orders_for(donor).values_list("pk", flat=True)) == [wish.pk]
    assert not orders_for(make_donor(2)).filter(pk__in=[wish.pk, other.pk]).exists()
    assert not orders_for(people.outsider_cadre).filter(pk=wish.pk).exists()


def test_a_cadre_donor_reads_a_wish_outside_their_subtree(wish, people):
    # given: a county B cadre claims a county A wish
    assert not orders_for(people.outsider_cadre).filter(pk=wish.pk).exists()

    wish_claim(donor=people.outsider_cadre, order_id=wish.pk)

    visible = orders_for(people.outsider_cadre)
    assert visible.filter(pk=wish.pk).exists()
    # and still nothing else of county A
    assert set(visible.values_list("county_id", flat=True)) == {wish.county_id}
    assert visible.count() == 1


# ---------------------------------------------------------------- pages


def test_the_wall_lists_open_wishes_without_personal_data(client, wish, donor, people, order):
    client.force_login(donor)

    page = text(client.get("/orders/wishes/"))

    assert WISH_TITLE in page
    assert WISH_TEXT in page
    assert "王江社区居委会" in page
    assert f'action="/orders/wishes/{wish.pk}/claim/"' in page
    # personal data: name, phone (in any form), address
    assert "张群众" not in page
    assert PHONE not in page
    assert PHONE[-4:] not in page
    assert ADDRESS not in page
    # a service order is no wish
    assert order.title not in page


def test_the_wall_leaves_out_claimed_wishes_and_offers_no_button_on_ones_own(
    client, wish, people, tree, menu
):
    claimed = make_wish(people, menu, tree, title="想要一个书包")
    wish_claim(donor=make_donor(2), order_id=claimed.pk)
    client.force_login(people.resident)

    page = text(client.get("/orders/wishes/"))

    assert "想要一个书包" not in page
    assert WISH_TITLE in page
    assert "这是您发布的心愿" in page
    assert "/claim/" not in page


def test_anonymous_visitors_read_the_wall_but_are_sent_to_sign_in_to_act(client, wish):
    # The wall is open to visitors (issue 10, item 3), without personal data
    # (tests/orders/test_first_visit_pages.py); claiming and fulfilling need an account.
    assert client.get("/orders/wishes/").status_code == 200
    for response in (
        client.post(f"/orders/wishes/{wish.pk}/claim/"),
        client.post(f"/orders/{wish.pk}/fulfil/", {"note": "x"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/")
    assert snapshot(wish.pk)[0] == S.PLACED


def test_the_wall_is_linked_from_the_nav(client, donor):
    client.force_login(donor)
    assert 'href="/orders/wishes/"' in text(client.get("/orders/"))


# The wall for a signed-in donor: nine, and the top bar's unread count.
WALL_QUERIES = 10


def test_the_wall_costs_the_same_queries_for_3_and_12_wishes(client, people, tree, menu, donor):
    client.force_login(donor)

    def more(count: int, start: int) -> None:
        for number in range(start, start + count):
            wish = make_wish(people, menu, tree, title=f"心愿{number}")
            if number % 3 == 0:
                wish_claim(donor=donor, order_id=wish.pk)

    more(3, 0)
    exact_get(client, "/orders/wishes/", WALL_QUERIES)
    more(9, 3)
    assert Order.objects.filter(kind=Order.Kind.WISH).count() == 12
    exact_get(client, "/orders/wishes/", WALL_QUERIES)


def test_claiming_through_the_page_leads_to_the_full_wish_once_confirmed(
    client, wish, donor, people
):
    client.force_login(donor)

    response = client.post(f"/orders/wishes/{wish.pk}/claim/")

    assert response.status_code == 302
    assert response["Location"] == f"/orders/{wish.pk}/"
    pending = text(client.get(f"/orders/{wish.pk}/"))
    assert PHONE not in pending
    assert ADDRESS not in pending
    assert "认领待确认" in pending
    wish_claim_confirm(actor=people.resident, order_id=wish.pk)
    detail = text(client.get(f"/orders/{wish.pk}/"))
    assert PHONE in detail
    assert ADDRESS in detail
    assert f'action="/orders/{wish.pk}/fulfil/"' in detail
    assert Order.objects.get(pk=wish.pk).donor_id == donor.pk


def test_the_loser_of_a_page_claim_is_told_the_state(client, wish, donor):
    wish_claim(donor=donor, order_id=wish.pk)
    client.force_login(make_donor(2))

    response = client.post(f"/orders/wishes/{wish.pk}/claim/", follow=True)

    assert response.redirect_chain == [("/orders/wishes/", 302)]
    assert "订单当前状态为“已认领”，不能认领。" in text(response)
    assert Order.objects.get(pk=wish.pk).donor_id == donor.pk


def test_claiming_ones_own_wish_through_the_page_is_refused(client, wish, people):
    client.force_login(people.resident)
    before = snapshot(wish.pk)

    response = client.post(f"/orders/wishes/{wish.pk}/claim/", follow=True)

    assert "不能认领自己发布的微心愿。" in text(response)
    assert snapshot(wish.pk) == before


def test_claiming_a_service_order_through_the_page_is_a_404(client, order, donor):
    client.force_login(donor)
    assert client.post(f"/orders/wishes/{order.pk}/claim/").status_code == 404
    assert snapshot(order.pk)[:2] == (S.PLACED, None)


def test_an_outsider_gets_404_for_a_claimed_wish(client, wish, donor, people):
    wish_claim(donor=donor, order_id=wish.pk)
    before = snapshot(wish.pk)

    for outsider in (make_donor(2), people.outsider_cadre):
        client.force_login(outsider)
        assert client.get(f"/orders/{wish.pk}/").status_code == 404
        assert client.post(f"/orders/{wish.pk}/fulfil/", {"note": "x"}).status_code == 404
        assert api_as(outsider).get(f"/api/v1/orders/{wish.pk}/").status_code == 404
        assert (
            api_as(outsider).post(f"/api/v1/orders/{wish.pk}/fulfil/", {}, format="json")
        ).status_code == 404
    assert snapshot(wish.pk) == before


def test_fulfilling_through_the_page(client, wish, donor, people):
    wish_claim(donor=donor, order_id=wish.pk)
    client.force_login(donor)

    response = client.post(f"/orders/{wish.pk}/fulfil/", {"note": "电脑已送到"}, follow=True)

    assert response.redirect_chain == [(f"/orders/{wish.pk}/", 302)]
    page = text(response)
    assert "微心愿已标记为实现" in page
    assert "电脑已送到" in page
    assert "fulfil-form" not in page
    assert Order.objects.get(pk=wish.pk).status == S.COMPLETED
    # the resident, not the donor, rates it
    client.force_login(people.resident)
    assert "rate-form" in text(client.get(f"/orders/{wish.pk}/"))


def test_the_resident_sees_no_fulfil_form_and_cannot_post_it(client, wish, donor, people):
    wish_claim(donor=donor, order_id=wish.pk)
    client.force_login(people.resident)
    before = snapshot(wish.pk)

    page = text(client.get(f"/orders/{wish.pk}/"))
    response = client.post(f"/orders/{wish.pk}/fulfil/", {"note": "x"})

    assert "fulfil-form" not in page
    assert "爱心人士1" in page  # who claimed it
    assert response.status_code == 404
    assert snapshot(wish.pk) == before


def test_a_note_too_long_on_the_page_is_a_400_beside_the_field(client, wish, donor):
    wish_claim(donor=donor, order_id=wish.pk)
    client.force_login(donor)
    before = snapshot(wish.pk)

    response = client.post(f"/orders/{wish.pk}/fulfil/", {"note": "字" * 1001})

    assert response.status_code == 400
    assert "说明不能超过 1000 个字。" in text(response)
    assert snapshot(wish.pk) == before


# ---------------------------------------------------------------- the wall, by area


def wall(client, query: str = ""):
    return client.get("/orders/wishes/" + (f"?{query}" if query else ""))


def titles(response) -> list[str]:
    return re.findall(r'<strong class="title">([^<]*)</strong>', response.content.decode())


@pytest.fixture
def spread(people, menu, tree) -> dict[str, Order]:
    """An open wish in each of three places: two townships of county A, and county B."""
    return {
        "a": make_wish(people, menu, tree, title="王江社区的心愿"),
        "a3": place(people, menu, tree.village_a3, title="湖北路社区的心愿", kind=Order.Kind.WISH),
        "b": place(people, menu, tree.village_b, title="天马山社区的心愿", kind=Order.Kind.WISH),
    }


def test_the_wall_narrows_to_a_county_then_a_township(client, tree, spread, donor):
    client.force_login(donor)

    everywhere = wall(client)
    county = wall(client, f"county={tree.county_a.pk}")
    township = wall(client, f"county={tree.county_a.pk}&township={tree.township_a.pk}")
    other_county = wall(client, f"county={tree.county_b.pk}")

    assert titles(everywhere) == ["天马山社区的心愿", "湖北路社区的心愿", "王江社区的心愿"]
    assert titles(county) == ["湖北路社区的心愿", "王江社区的心愿"]
    assert titles(township) == ["王江社区的心愿"]
    assert titles(other_county) == ["天马山社区的心愿"]
    for response in (everywhere, county, township, other_county):
        assert response.status_code == 200
        assert 'class="notice"' not in text(response)
    # the township step is offered once a county is chosen, with that county's townships
    assert 'name="township"' not in text(everywhere)
    assert re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', text(county)) == [
        "珠晖区",
        "雁峰区",
        "衡州路街道",
        "广东路街道",
    ]
    assert f'<option value="{tree.township_a.pk}" selected>衡州路街道</option>' in text(township)


def test_an_empty_area_says_so(client, tree, wish, donor):
    client.force_login(donor)

    response = wall(client, f"county={tree.county_b.pk}")

    assert (response.status_code, titles(response)) == (200, [])
    assert "该地区暂无待认领的微心愿。" in text(response)


@pytest.mark.parametrize(
    ("query", "falls_back_to"),
    [
        ("county=abc", "全市"),
        ("county=²", "全市"),
        ("county=-1", "全市"),
        ("county=0", "全市"),
        ("county=987654", "全市"),
        (f"county={2**63}", "全市"),
        ("county=%20", "全市"),
        ("county=township_a", "全市"),  # a township is no county
        ("county=village_a", "全市"),
        ("township=township_a", "全市"),  # a township without its county
        ("county=county_a&township=township_b", "珠晖区"),  # a township of another county
        ("county=county_a&township=village_a", "珠晖区"),
        ("county=county_a&township=²", "珠晖区"),
    ],
)
def test_an_area_that_does_not_resolve_is_a_400_saying_what_is_shown(
    client, tree, spread, donor, query, falls_back_to
):
    # given: ids of the small tree put into the query by name
    for name in ("county_a", "township_a", "township_b", "village_a"):
        query = re.sub(rf"\b{name}\b", str(getattr(tree, name).pk), query)
    client.force_login(donor)

    response = wall(client, query)

    assert response.status_code == 400
    assert f"没有找到所选的地区，下面是{falls_back_to}的微心愿。" in text(response)
    expected = {
        "全市": ["天马山社区的心愿", "湖北路社区的心愿", "王江社区的心愿"],
        "珠晖区": ["湖北路社区的心愿", "王江社区的心愿"],
    }[falls_back_to]
    assert titles(response) == expected


def test_a_deactivated_county_is_no_filter(client, tree, spread, donor):
    from practice.models import Center

    Center.objects.filter(pk=tree.county_b.pk).update(is_active=False)
    client.force_login(donor)

    response = wall(client, f"county={tree.county_b.pk}")

    assert response.status_code == 400
    assert "下面是全市的微心愿" in text(response)
    assert "雁峰区</option>" not in text(response)


def test_empty_area_fields_are_the_whole_city_and_no_error(client, spread, donor):
    client.force_login(donor)

    response = wall(client, "county=&township=")

    assert response.status_code == 200
    assert len(titles(response)) == 3


def test_the_wall_pages_within_the_chosen_area(client, people, menu, tree, donor):
    # given: 21 open wishes in county A, one in county B
    for number in range(21):
        make_wish(people, menu, tree, title=f"心愿{number:02d}")
    place(people, menu, tree.village_b, title="雁峰区的心愿", kind=Order.Kind.WISH)
    client.force_login(donor)
    area = f"county={tree.county_a.pk}&township={tree.township_a.pk}"

    # when
    first = wall(client, area)
    second = wall(client, area + "&page=2")

    # then: the next page's link keeps the area, and the area holds on every page
    assert titles(first) == [f"心愿{number:02d}" for number in range(20, 0, -1)]
    assert f'href="?{area.replace("&", "&amp;")}&amp;page=2"' in text(first)
    assert titles(second) == ["心愿00"]
    assert f'href="?{area.replace("&", "&amp;")}&amp;page=1"' in text(second)
    # page numbers that are no numbers fall back to a page, never a 500
    for page in ("abc", "²", "0", "-1", "99999999999999999999"):
        response = wall(client, f"{area}&page={page}")
        assert response.status_code == 200
        assert len(titles(response)) in (20, 1)


@pytest.mark.parametrize(
    ("area", "queries"),
    [
        # session, user; counties; the page's count and rows; orders_for's roles and
        # volunteer, the claimed wishes; the menu's wish item ("发布微心愿"); the top bar's
        # unread count
        ("", 10),
        # + the county asked for, its townships
        ("county={county_a}", 12),
        # + the township asked for
        ("county={county_a}&township={township_a}", 13),
    ],
)
def test_the_wall_costs_a_fixed_number_of_queries_whatever_the_area_and_the_wishes(
    client, people, menu, tree, donor, django_assert_num_queries, area, queries
):
    query = area.format(county_a=tree.county_a.pk, township_a=tree.township_a.pk)
    client.force_login(donor)

    def more(count: int, start: int) -> None:
        for number in range(start, start + count):
            wish = make_wish(people, menu, tree, title=f"心愿{number}")
            if number % 3 == 0:
                wish_claim(donor=donor, order_id=wish.pk)

    for count, start in ((3, 0), (9, 3)):
        more(count, start)
        with django_assert_num_queries(queries):
            response = wall(client, query)
        assert response.status_code == 200
        assert titles(response)


# ---------------------------------------------------------------- my orders: claimed wishes


def test_my_orders_lists_the_wishes_i_claimed_linked_to_their_page(client, people, tree, menu):
    # given: two donors, each with a claim, and a wish nobody claimed
    mine, theirs, open_one = (
        make_wish(people, menu, tree, title=title) for title in ("想要书包", "想要台灯", "想要字典")
    )
    donor, other = make_donor(1), make_donor(2)
    wish_claim(donor=donor, order_id=mine.pk)
    wish_claim(donor=other, order_id=theirs.pk)
    client.force_login(donor)

    # when
    page = text(client.get("/orders/"))

    # then: the section lists my claim alone, linked to the page I may open as the donor
    claimed = page[page.index('id="claimed"') :]
    assert "我认领的心愿" in claimed
    assert f'href="/orders/{mine.pk}/"' in claimed
    assert "想要书包" in claimed
    assert "已认领" in claimed
    assert "送达后请在订单页标记为已实现。" in claimed
    assert "想要台灯" not in page
    assert "想要字典" not in page
    assert client.get(f"/orders/{mine.pk}/").status_code == 200
    assert client.get(f"/orders/{theirs.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["resident", "county_cadre", "city_cadre", "volunteer"])
def test_my_orders_shows_no_claimed_section_to_who_holds_no_wish(
    client, people, tree, menu, helper, who
):
    # given: a wish claimed by a donor, another taken the volunteer way by the persona
    claimed = make_wish(people, menu, tree, title="想要书包")
    wish_claim(donor=make_donor(), order_id=claimed.pk)
    served = make_wish(people, menu, tree, title="想要台灯")
    order_dispatch(actor=people.county_cadre, order_id=served.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=served.pk)
    client.force_login(getattr(people, who))

    page = text(client.get("/orders/"))

    # the resident, the cadres over the village and the volunteer who holds one all may
    # read these wishes, but claimed none
    assert 'id="claimed"' not in page
    assert "我认领的心愿" not in page


def test_a_cadre_who_claimed_a_wish_elsewhere_finds_it_in_my_orders(client, wish, people):
    wish_claim(donor=people.outsider_cadre, order_id=wish.pk)
    client.force_login(people.outsider_cadre)

    page = text(client.get("/orders/"))

    assert f'href="/orders/{wish.pk}/"' in page[page.index('id="claimed"') :]


def test_my_orders_still_lists_a_claimed_wish_after_it_is_fulfilled_or_cancelled(
    client, people, tree, menu, donor
):
    done, cancelled = (make_wish(people, menu, tree, title=t) for t in ("想要书包", "想要台灯"))
    for wish in (done, cancelled):
        wish_claim(donor=donor, order_id=wish.pk)
    wish_fulfil(donor=donor, order_id=done.pk, note="送到了")
    order_cancel(resident=people.resident, order_id=cancelled.pk, reason="已经有了")
    client.force_login(donor)

    page = text(client.get("/orders/"))
    claimed = page[page.index('id="claimed"') :]

    # latest claim first, each with its state
    assert re.findall(r"<strong>([^<]*)</strong></a> <span[^>]*>([^<]*)</span>", claimed) == [
        ("想要台灯", "已取消"),
        ("想要书包", "已实现"),
    ]
    assert "送达后请在订单页标记为已实现。" not in claimed


def test_the_claimed_list_pages_on_its_own(client, people, tree, menu, donor):
    # given: 21 claims, and one order the donor placed as a resident
    for number in range(21):
        wish_claim(
            donor=donor, order_id=make_wish(people, menu, tree, title=f"心愿{number:02d}").pk
        )
    place(people, menu, tree.village_a, title="我自己的单", resident=donor)
    client.force_login(donor)

    first = text(client.get("/orders/?page=1"))
    second = text(client.get("/orders/?page=1&claimed_page=2"))

    claimed_titles = re.compile(r'href="/orders/\d+/"><strong>(心愿\d+)</strong>')
    assert claimed_titles.findall(first) == [f"心愿{n:02d}" for n in range(20, 0, -1)]
    assert 'href="?page=1&amp;claimed_page=2#claimed"' in first
    assert claimed_titles.findall(second) == ["心愿00"]
    # the other list keeps its place
    assert "我自己的单" in first
    assert "我自己的单" in second
    for junk in ("abc", "²", "0"):
        assert client.get(f"/orders/?claimed_page={junk}").status_code == 200


@pytest.mark.parametrize(
    ("claims", "queries"),
    [
        # session, user; orders_for's roles and volunteer; my orders' count and rows;
        # the claimed wishes' count (no rows to read); the top bar's unread count
        (0, 8),
        # + the claimed wishes' rows
        (1, 9),
        (12, 9),
    ],
)
def test_my_orders_costs_a_fixed_number_of_queries_whatever_the_claims(
    client, people, tree, menu, donor, django_assert_num_queries, claims, queries
):
    place(people, menu, tree.village_a, title="我自己的单", resident=donor)
    for number in range(claims):
        wish_claim(donor=donor, order_id=make_wish(people, menu, tree, title=f"心愿{number}").pk)
    client.force_login(donor)

    with django_assert_num_queries(queries):
        response = client.get("/orders/")

    assert response.status_code == 200
    assert text(response).count("认领</p>") == min(claims, 20)


# ---------------------------------------------------------------- posting a wish


WISH_PARAMS = "county={county}&township={township}"


@pytest.fixture
def wish_item(menu, tree) -> Service:
    """The menu's wish item (微心愿), as the starting menu installs it."""
    return Service.objects.get(center=tree.city, is_wish=True)


def post_wish(people, tree, service: Service, **overrides) -> Order:
    fields = {
        "resident": people.resident,
        "service": service,
        "center": tree.village_a,
        "title": "想要一个新书包",
        "address": ADDRESS,
        "contact_phone": PHONE,
    }
    fields.update(overrides)
    return order_place(**fields)


def test_the_starting_menu_marks_its_wish_item_alone(menu, tree):
    marked = Service.objects.filter(is_wish=True)

    assert [(service.name, service.center_id) for service in marked] == [("微心愿", tree.city.pk)]
    # the rest of the starting menu, and the fixture's service of county B
    assert Service.objects.filter(is_wish=False).count() == len(STARTING_MENU)


def test_the_migration_marks_services_named_wish_and_unmarks_them_back(tree):
    # given: a deployment that installed the menu before the flag existed
    migration = importlib.import_module("practice.migrations.0005_service_is_wish")
    service_menu_install(city=tree.city)
    Service.objects.update(is_wish=False)

    # when / then
    migration.mark_wish_services(django_apps, None)
    assert list(Service.objects.filter(is_wish=True).values_list("name", flat=True)) == ["微心愿"]
    migration.unmark_wish_services(django_apps, None)
    assert not Service.objects.filter(is_wish=True).exists()


def test_the_wish_item_posts_a_wish_that_goes_on_the_wall(people, tree, wish_item):
    # when: no kind given, as the web form places it
    posted = post_wish(people, tree, wish_item)

    # then
    assert (posted.kind, posted.status, posted.service_id) == (
        Order.Kind.WISH,
        S.PLACED,
        wish_item.pk,
    )
    assert list(open_wishes().values_list("pk", flat=True)) == [posted.pk]


def test_any_other_item_orders_a_service(people, tree, menu):
    ordered = post_wish(people, tree, menu.errand, title="帮忙买药")

    assert ordered.kind == Order.Kind.SERVICE
    assert not open_wishes().exists()


@pytest.mark.parametrize(
    ("item", "kind", "expected"),
    [
        # the caller said otherwise: an ordinary order of the wish item
        ("wish", Order.Kind.SERVICE, Order.Kind.SERVICE),
        ("wish", Order.Kind.WISH, Order.Kind.WISH),
        # a wish under another service is taken, as the API always has
        ("errand", Order.Kind.WISH, Order.Kind.WISH),
        ("errand", Order.Kind.SERVICE, Order.Kind.SERVICE),
    ],
)
def test_a_kind_given_by_the_caller_wins(people, tree, menu, wish_item, item, kind, expected):
    service = wish_item if item == "wish" else menu.errand

    assert post_wish(people, tree, service, kind=kind).kind == expected


def test_an_unknown_kind_is_refused_and_nothing_is_placed(people, tree, wish_item):
    with pytest.raises(DomainError) as refused:
        post_wish(people, tree, wish_item, kind="gift")

    assert (refused.value.code, refused.value.field) == ("kind_invalid", "kind")
    assert refused.value.message == "订单类型无效。"
    assert not Order.objects.exists()


def test_a_wish_is_refused_in_its_own_words(people, tree, wish_item):
    for overrides, message in (
        ({"title": " "}, "请填写心愿。"),
        ({"address": ""}, "请填写送达地址。"),
        ({"description": "长" * 1001}, "心愿说明不能超过 1000 个字。"),
    ):
        with pytest.raises(DomainError) as refused:
            post_wish(people, tree, wish_item, **overrides)
        assert refused.value.message == message
    assert not Order.objects.exists()


def test_a_posted_wish_is_dispatched_like_any_order(
    people, tree, wish_item, django_capture_on_commit_callbacks, monkeypatch
):
    # docs/orders.md: a wish may still go the volunteer way; placing it enqueues automatic
    # dispatch as for any order (what reaches the broker is recorded, not sent).
    from orders.tasks import auto_dispatch_task

    published: list[tuple] = []
    monkeypatch.setattr(
        auto_dispatch_task, "apply_async", lambda args=(), **kw: published.append(tuple(args))
    )

    with django_capture_on_commit_callbacks(execute=True):
        posted = post_wish(people, tree, wish_item)

    assert published == [(posted.pk,)]


def test_posting_a_wish_costs_the_queries_of_ordering_a_service(people, tree, menu, wish_item):
    def cost(service: Service) -> int:
        with CaptureQueriesContext(connection) as queries:
            post_wish(people, tree, service)
        return len(queries)

    cost(menu.errand)  # warm: the first placing reads what later ones find cached
    assert cost(wish_item) == cost(menu.errand)


def wish_form_url(tree, service: Service) -> str:
    area = WISH_PARAMS.format(county=tree.county_a.pk, township=tree.township_a.pk)
    return f"/orders/new/?service={service.pk}&{area}"


def test_the_menu_leads_to_the_wish_form_in_wish_words(client, people, tree, wish_item):
    client.force_login(people.resident)

    menu_page = text(client.get("/"))
    form = text(client.get(wish_form_url(tree, wish_item)))

    assert f'href="/orders/new/?service={wish_item.pk}"' in menu_page
    item = menu_page.split(f'href="/orders/new/?service={wish_item.pk}"')[1].split("</a>")[0]
    assert '<span class="order-now">发布心愿</span>' in item
    assert "<h1>发布微心愿</h1>" in form
    assert '<label for="id_title">心愿</label>' in form
    assert 'placeholder="例如：想要一个新书包"' in form
    assert '<label for="id_address">送达地址</label>' in form
    assert "发布心愿</button>" in form
    assert 'name="preferred_start"' not in form
    assert 'name="preferred_end"' not in form
    assert "提交订单" not in form


def test_an_ordinary_service_keeps_its_order_form(client, people, tree, menu):
    client.force_login(people.resident)

    form = text(client.get(wish_form_url(tree, menu.errand)))

    assert "<h1>我要点单</h1>" in form
    assert 'name="preferred_start"' in form
    assert "发布微心愿" not in form
    assert "想要一个新书包" not in form


def test_a_wish_posted_on_the_page_is_on_the_wall_and_its_own_page(
    client, people, tree, wish_item, donor
):
    client.force_login(people.resident)

    response = order_form_post(
        client,
        wish_form_url(tree, wish_item),
        {
            "service": wish_item.pk,
            "center": tree.village_a.pk,
            "title": "想要一个新书包",
            "description": "孩子读三年级，旧书包的背带断了。",
            "address": ADDRESS,
            "contact_phone": PHONE,
            # not on the wish form: a hand-made post of it is ignored
            "preferred_start": "2030-01-07T10:00",
        },
        follow=True,
    )

    posted = Order.objects.get()
    assert response.redirect_chain == [(f"/orders/{posted.pk}/", 302)]
    assert "心愿已发布，爱心人士认领后会联系您。" in text(response)
    assert (posted.kind, posted.status, posted.center_id) == (
        Order.Kind.WISH,
        S.PLACED,
        tree.village_a.pk,
    )
    assert (posted.preferred_start, posted.preferred_end) == (None, None)
    assert posted.resident_id == people.resident.pk
    client.force_login(donor)
    assert titles(wall(client)) == ["想要一个新书包"]


def test_a_wish_refused_on_the_page_is_a_400_beside_its_field(client, people, tree, wish_item):
    client.force_login(people.resident)

    response = order_form_post(
        client,
        wish_form_url(tree, wish_item),
        {
            "service": wish_item.pk,
            "center": tree.village_a.pk,
            "title": " ",
            "address": ADDRESS,
            "contact_phone": PHONE,
        },
    )

    assert response.status_code == 400
    page = text(response)
    assert "请填写心愿。" in page
    assert "<h1>发布微心愿</h1>" in page
    assert not Order.objects.exists()


def test_the_wall_links_to_the_wish_form_while_the_menu_has_a_wish_item(
    client, tree, wish_item, donor
):
    client.force_login(donor)
    link = f'href="/orders/new/?service={wish_item.pk}"'

    assert link in text(wall(client))
    # taken off the menu: nowhere to post a wish, no link
    Service.objects.filter(pk=wish_item.pk).update(is_active=False)
    assert "发布微心愿" not in text(wall(client))
    # a county's own wish item is not the city menu's
    Service.objects.filter(pk=wish_item.pk).update(is_active=True, center=tree.county_a)
    assert "发布微心愿" not in text(wall(client))


@pytest.mark.parametrize(
    ("area", "back_to"),
    [
        ("", "/orders/wishes/"),
        ("county={county_a}", "/orders/wishes/?county={county_a}"),
        (
            "county={county_a}&township={township_a}",
            "/orders/wishes/?county={county_a}&township={township_a}",
        ),
    ],
)
def test_a_refused_claim_goes_back_to_the_area_the_donor_was_looking_at(
    client, people, menu, tree, wish, donor, area, back_to
):
    # given: a donor looking at the wall of an area, where a wish is still open
    area, back_to = (
        value.format(county_a=tree.county_a.pk, township_a=tree.township_a.pk)
        for value in (area, back_to)
    )
    still_open = make_wish(people, menu, tree, title="想要一个新书包")
    client.force_login(donor)
    page = text(wall(client, area))
    form = re.search(rf'action="/orders/wishes/{still_open.pk}/claim/">(.*?)</form>', page)
    carried = dict(re.findall(r'type="hidden" name="(county|township)" value="(\d+)"', form[1]))
    assert carried == dict(pair.split("=") for pair in area.split("&") if pair)
    # and another donor claims the wish first
    wish_claim(donor=make_donor(2), order_id=wish.pk)

    # when: the claim of a wish someone else took first, from that form
    response = client.post(f"/orders/wishes/{wish.pk}/claim/", carried, follow=True)

    # then
    assert response.redirect_chain == [(back_to, 302)]
    assert "订单当前状态为“已认领”，不能认领。" in text(response)


def test_a_refused_claim_drops_what_is_no_area_id(client, tree, wish, people):
    client.force_login(people.resident)  # their own wish: refused

    response = client.post(
        f"/orders/wishes/{wish.pk}/claim/",
        {"county": "https://evil.example/", "township": "²", "next": "//evil.example/"},
    )

    assert (response.status_code, response["Location"]) == (302, "/orders/wishes/")
    assert snapshot(wish.pk)[0] == S.PLACED


# ---------------------------------------------------------------- API


def test_api_claim_and_fulfil_status_codes(wish, donor, people):
    url = f"/api/v1/orders/{wish.pk}/"

    assert APIClient().post(url + "claim/").status_code == 401
    own = api_as(people.resident).post(url + "claim/")
    assert (own.status_code, own.json()["detail"]) == (403, "不能认领自己发布的微心愿。")

    claimed = api_as(donor).post(url + "claim/")
    assert claimed.status_code == 200
    body = claimed.json()
    assert (body["status"], body["kind"], body["donor"], body["donor_name"]) == (
        "accepted",
        "wish",
        donor.pk,
        "爱心人士1",
    )
    # Pending: nothing of the poster until they (or the center) confirm the claim.
    assert (body["contact_phone"], body["address"], body["accepted_by"]) == (
        "139****0002",
        "***",
        None,
    )
    assert body["resident_name"].endswith("**")
    confirmed = api_as(people.resident).post(url + "confirm-claim/")
    assert confirmed.status_code == 200
    body = api_as(donor).get(url).json()
    assert (body["contact_phone"], body["address"]) == (PHONE, ADDRESS)

    late = api_as(make_donor(2)).post(url + "claim/")
    assert late.status_code == 409
    assert late.json() == {
        "detail": "订单当前状态为“已认领”，不能认领。",
        "code": "not_allowed_in_accepted",
        "status": "accepted",
    }

    not_donor = api_as(people.resident).post(url + "fulfil/", {"note": "x"}, format="json")
    assert not_donor.status_code == 403
    too_long = api_as(donor).post(url + "fulfil/", {"note": "字" * 1001}, format="json")
    assert (too_long.status_code, too_long.json()) == (400, {"note": ["说明不能超过 1000 个字。"]})
    wrong_type = api_as(donor).post(url + "fulfil/", {"note": 5}, format="json")
    assert wrong_type.status_code == 400
    assert Order.objects.get(pk=wish.pk).status == S.ACCEPTED

    fulfilled = api_as(donor).post(url + "fulfil/", {"note": "送到了"}, format="json")
    assert fulfilled.status_code == 200
    assert (fulfilled.json()["status"], fulfilled.json()["summary"]) == ("completed", "送到了")
    again = api_as(donor).post(url + "fulfil/", {}, format="json")
    assert (again.status_code, again.json()["status"]) == (409, "completed")

    rated = api_as(people.resident).post(url + "rate/", {"score": 5}, format="json")
    assert (rated.status_code, rated.json()["status"]) == (200, "rated")


def test_api_claim_of_what_is_no_open_wish(order, donor, people):
    assert api_as(donor).post(f"/api/v1/orders/{order.pk}/claim/").status_code == 404
    assert api_as(donor).post("/api/v1/orders/987654/claim/").status_code == 404
    assert api_as(donor).post(f"/api/v1/orders/{2**63}/claim/").status_code == 404
    in_scope = api_as(people.county_cadre).post(f"/api/v1/orders/{order.pk}/claim/")
    assert (in_scope.status_code, in_scope.json()["code"]) == (400, "not_a_wish")
    assert snapshot(order.pk)[:2] == (S.PLACED, None)


def test_api_lists_the_claimed_wish_for_the_donor_with_the_donor_field(wish, donor, people):
    wish_claim(donor=donor, order_id=wish.pk)

    rows = api_as(donor).get("/api/v1/orders/").json()["results"]
    resident_rows = api_as(people.resident).get("/api/v1/orders/").json()["results"]

    assert [(row["id"], row["kind"], row["donor"]) for row in rows] == [(wish.pk, "wish", donor.pk)]
    assert [(row["id"], row["donor"]) for row in resident_rows] == [(wish.pk, donor.pk)]


def test_a_volunteer_donor_cannot_take_the_volunteer_steps(wish, people, helper):
    wish_claim(donor=people.volunteer, order_id=wish.pk)
    client = api_as(people.volunteer)

    start = client.post(f"/api/v1/orders/{wish.pk}/start/")
    complete = client.post(f"/api/v1/orders/{wish.pk}/complete/", {"summary": "x"}, format="json")

    assert (start.status_code, complete.status_code) == (403, 403)
    assert Order.objects.get(pk=wish.pk).status == S.ACCEPTED


# ---------------------------------------------------------------- races


ROUNDS = 50
DONORS = 6


@pytest.mark.django_db(transaction=True)
def test_donors_racing_for_one_wish_exactly_one_wins_50_times(tree, people, menu, monkeypatch):
    # Committed transactions run their on-commit hooks here; the notifications and
    # dispatches they would publish are not what this test is about.
    monkeypatch.setattr("orders.enqueue.enqueue_on_commit", lambda task, *args: None)
    monkeypatch.setattr("orders.enqueue.wake_on_commit", lambda task: None)
    # given: non-volunteers and volunteers, and wishes both placed and offered to a team
    donors = [make_donor(100 + number) for number in range(DONORS - 2)]
    volunteers = [
        make_volunteer(600 + number, tree.village_a, cadre=people.city_cadre) for number in range(2)
    ]
    donors += [volunteer.user for volunteer in volunteers]
    # A team where its members live (a team takes only volunteers living under it).
    team = make_team(tree.village_a, people.city_cadre, volunteers, "王江社区志愿服务二队")
    wish_ids = []
    for number in range(ROUNDS):
        wish = make_wish(people, menu, tree, title=f"心愿{number}")
        if number % 2:
            order_dispatch(actor=people.county_cadre, order_id=wish.pk, team=team)
        wish_ids.append(wish.pk)

    # when
    outcomes = run_together(
        [
            (lambda round_index, donor=donor: wish_claim(
                donor=donor, order_id=wish_ids[round_index]
            ).donor_id)
            for donor in donors
        ],
        ROUNDS,
    )  # fmt: skip

    # then
    for round_index, results in enumerate(outcomes):
        kinds = Counter(kind for kind, _value in results)
        assert kinds == {"ok": 1, "409": DONORS - 1}, (round_index, results)
        winner = next(value for kind, value in results if kind == "ok")
        held = Order.objects.get(pk=wish_ids[round_index])
        assert (held.status, held.donor_id, held.accepted_by_id) == (S.ACCEPTED, winner, None)
    claims = Counter(
        OrderEvent.objects.filter(order_id__in=wish_ids, to_status=S.ACCEPTED).values_list(
            "order_id", flat=True
        )
    )
    assert claims == dict.fromkeys(wish_ids, 1)
    assert connection.vendor == "postgresql"
