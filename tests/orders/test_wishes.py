"""Micro-wishes (微心愿): claimed by any signed-in user but the resident who made it, marked
fulfilled by that donor without a check-in, rated as usual; a wall that shows open wishes
without personal data; the donor alone (with the resident and the cadres) reads the rest."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest
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
    order_rate,
    order_start,
    wish_claim,
    wish_fulfil,
)
from orders.workflow import IllegalTransition, transition
from points.models import HoursEntry
from tests.conftest import PASSWORD
from tests.orders.conftest import PHONE, make_team, make_volunteer, place
from tests.orders.test_races import run_together
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
    assert refused.value.message == "订单当前状态为“已接单”，不能接单。"
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
    assert refused.value.message == "订单当前状态为“已接单”，不能认领。"
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

    assert refused.value.message == "订单当前状态为“已完成”，不能标记为已实现。"
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
    wish_fulfil(donor=donor, order_id=wish.pk, note="已送达")
    order_rate(resident=people.resident, order_id=wish.pk, score=4)

    notify_all(wish)
    notify_all(wish)  # a redelivered task tells nobody twice

    assert inbox(people.resident) == ["您的微心愿已被认领", "您的微心愿已实现，请您评价"]
    assert inbox(donor) == [
        "您已认领微心愿，请与群众联系送达",
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


def test_anonymous_visitors_are_sent_to_sign_in(client, wish):
    for response in (
        client.get("/orders/wishes/"),
        client.post(f"/orders/wishes/{wish.pk}/claim/"),
        client.post(f"/orders/{wish.pk}/fulfil/", {"note": "x"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/")
    assert snapshot(wish.pk)[0] == S.PLACED


def test_the_wall_is_linked_from_the_nav(client, donor):
    client.force_login(donor)
    assert 'href="/orders/wishes/"' in text(client.get("/orders/"))


def _wall_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/orders/wishes/")
    assert response.status_code == 200
    return len(queries)


def test_the_wall_costs_the_same_queries_for_3_and_12_wishes(client, people, tree, menu, donor):
    client.force_login(donor)

    def more(count: int, start: int) -> None:
        for number in range(start, start + count):
            wish = make_wish(people, menu, tree, title=f"心愿{number}")
            if number % 3 == 0:
                wish_claim(donor=donor, order_id=wish.pk)

    more(3, 0)
    few = _wall_queries(client)
    more(9, 3)
    assert Order.objects.filter(kind=Order.Kind.WISH).count() == 12
    many = _wall_queries(client)

    assert many == few
    assert few <= 8


def test_claiming_through_the_page_leads_to_the_full_wish(client, wish, donor):
    client.force_login(donor)

    response = client.post(f"/orders/wishes/{wish.pk}/claim/")

    assert response.status_code == 302
    assert response["Location"] == f"/orders/{wish.pk}/"
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
    assert "订单当前状态为“已接单”，不能认领。" in text(response)
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
    assert (body["contact_phone"], body["address"], body["accepted_by"]) == (PHONE, ADDRESS, None)

    late = api_as(make_donor(2)).post(url + "claim/")
    assert late.status_code == 409
    assert late.json() == {
        "detail": "订单当前状态为“已接单”，不能认领。",
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
    monkeypatch.setattr("orders.services.enqueue_on_commit", lambda task, *args: None)
    monkeypatch.setattr("orders.workflow.enqueue_on_commit", lambda task, *args: None)
    # given: non-volunteers and volunteers, and wishes both placed and offered to a team
    donors = [make_donor(100 + number) for number in range(DONORS - 2)]
    volunteers = [
        make_volunteer(600 + number, tree.village_a, cadre=people.city_cadre) for number in range(2)
    ]
    donors += [volunteer.user for volunteer in volunteers]
    team = make_team(tree.village_a2, people.city_cadre, volunteers, "新园社区志愿服务小队")
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
