"""orders.services: who may do what to an order, what input is refused, and what each step
writes (status, event, refusal, hours) and enqueues."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, NotInScope
from orders.models import Order, OrderEvent, OrderRefusal
from orders.proof import proof_code
from orders.selectors import dispatch_candidates
from orders.services import (
    order_accept,
    order_cancel,
    order_complete,
    order_decline,
    order_dispatch,
    order_expire,
    order_rate,
    order_reject,
    order_start,
)
from orders.workflow import IllegalTransition
from points.models import HoursEntry
from points.services.ledger import hours_credit
from practice.services import center_save
from tests.orders.conftest import AT, PHONE, make_volunteer, place
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

S = Order.Status


def refused(exception_type, call, **kwargs) -> DomainError:
    with pytest.raises(exception_type) as caught:
        call(**kwargs)
    assert type(caught.value) is exception_type
    return caught.value


def state(order: Order) -> tuple[str, int]:
    return (
        Order.objects.values_list("status", flat=True).get(pk=order.pk),
        OrderEvent.objects.filter(order=order).count(),
    )


def last_event(order: Order) -> tuple[str, str, object, str]:
    event = OrderEvent.objects.filter(order=order).last()
    return event.from_status, event.to_status, event.actor, event.reason


# --- placing -----------------------------------------------------------------------------


def test_place_saves_the_order_with_its_ancestors_and_one_event(tree, people, menu):
    start = timezone.now() + datetime.timedelta(days=1)
    order = place(
        people,
        menu,
        tree.village_a,
        description="  家里老人需要降压药  ",
        contact_phone="139 0000 0002",
        preferred_start=start,
        preferred_end=start + datetime.timedelta(hours=2),
    )

    saved = Order.objects.get(pk=order.pk)
    assert saved.status == S.PLACED
    assert (saved.center, saved.township, saved.county) == (
        tree.village_a,
        tree.township_a,
        tree.county_a,
    )
    assert saved.resident == people.resident
    assert saved.description == "家里老人需要降压药"
    assert saved.contact_phone == PHONE
    assert saved.kind == Order.Kind.SERVICE
    assert list(OrderEvent.objects.filter(order=order).values_list("from_status", "to_status")) == [
        ("", S.PLACED)
    ]
    assert OrderEvent.objects.get(order=order).actor == people.resident


def test_place_copies_the_ancestors_of_another_township(tree, people, menu):
    order = place(people, menu, tree.village_a3)
    assert (order.township, order.county) == (tree.township_a2, tree.county_a)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"title": "长" * 101}, "title", "too_long"),
        ({"title": "   "}, "title", "required"),
        ({"address": ""}, "address", "required"),
        ({"description": "长" * 1001}, "description", "too_long"),
        ({"contact_phone": "12345"}, "contact_phone", "phone_invalid"),
        ({"contact_phone": "0734-123"}, "contact_phone", "phone_invalid"),
        ({"kind": "gift"}, "kind", "kind_invalid"),
    ],
    ids=["title-101", "title-blank", "address-blank", "description-1001", "phone-short",
         "phone-landline", "kind-unknown"],
)  # fmt: skip
def test_place_refuses_bad_input_on_its_field(tree, people, menu, overrides, field, code):
    error = refused(
        DomainError, place, people=people, menu=menu, center=tree.village_a, **overrides
    )
    assert (error.field, error.code) == (field, code)
    assert Order.objects.count() == 0


def test_place_accepts_a_title_of_exactly_100(tree, people, menu):
    assert len(place(people, menu, tree.village_a, title="长" * 100).title) == 100


@pytest.mark.parametrize("hours", [0, -1])
def test_place_refuses_a_window_that_ends_before_it_starts(tree, people, menu, hours):
    start = timezone.now() + datetime.timedelta(days=1)
    error = refused(
        DomainError,
        place,
        people=people,
        menu=menu,
        center=tree.village_a,
        preferred_start=start,
        preferred_end=start + datetime.timedelta(hours=hours),
    )
    assert (error.field, error.code, error.message) == (
        "preferred_end",
        "window_invalid",
        "期望结束时间应晚于开始时间。",
    )
    assert Order.objects.count() == 0


@pytest.mark.parametrize("where", ["township_a", "county_a", "city"])
def test_place_refuses_a_center_that_is_not_a_village(tree, people, menu, where):
    error = refused(DomainError, place, people=people, menu=menu, center=getattr(tree, where))
    assert (error.field, error.code, error.message) == (
        "center",
        "not_village",
        "请选择服务所在的村（社区）。",
    )
    assert Order.objects.count() == 0


def test_place_refuses_an_inactive_village(tree, people, menu):
    tree.village_a2.is_active = False
    center_save(actor=None, center=tree.village_a2)
    error = refused(DomainError, place, people=people, menu=menu, center=tree.village_a2)
    assert (error.field, error.code) == ("center", "not_village")
    assert Order.objects.count() == 0


def test_place_refuses_a_service_of_another_county(tree, people, menu):
    error = refused(
        DomainError,
        place,
        people=people,
        menu=menu,
        center=tree.village_a,
        service=menu.county_b_only,
    )
    assert (error.field, error.code, error.message) == (
        "service",
        "service_unavailable",
        "该村（社区）不提供此服务项目。",
    )
    # The same service is on the menu where it is offered.
    assert place(people, menu, tree.village_b, service=menu.county_b_only).county == tree.county_b


# --- dispatching -------------------------------------------------------------------------


def test_a_cadre_in_scope_dispatches_to_a_volunteer_with_a_deadline(order, people, helper):
    before = timezone.now()
    dispatched = order_dispatch(actor=people.village_cadre, order_id=order.pk, volunteer=helper)

    assert dispatched.status == S.DISPATCHED
    assert (dispatched.dispatched_volunteer, dispatched.dispatched_team) == (helper, None)
    assert before + datetime.timedelta(minutes=30) <= dispatched.accept_deadline
    assert dispatched.accept_deadline <= timezone.now() + datetime.timedelta(minutes=30)
    assert last_event(order) == (S.PLACED, S.DISPATCHED, people.village_cadre, "")


def test_the_acceptance_deadline_follows_the_setting(order, people, helper, settings):
    settings.ORDER_ACCEPT_MINUTES = 5
    dispatched = order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    remaining = dispatched.accept_deadline - timezone.now()
    assert datetime.timedelta(minutes=4) < remaining <= datetime.timedelta(minutes=5)


def test_a_cadre_dispatches_to_a_team(order, people, team):
    dispatched = order_dispatch(actor=people.township_cadre, order_id=order.pk, team=team.team)
    assert (dispatched.dispatched_volunteer, dispatched.dispatched_team) == (None, team.team)
    assert dispatched.status == S.DISPATCHED


def test_an_outsider_cadre_cannot_dispatch(order, people, helper):
    error = refused(
        NotInScope, order_dispatch, actor=people.outsider_cadre, order_id=order.pk, volunteer=helper
    )
    assert error.http_status == 404
    assert state(order) == (S.PLACED, 1)


def test_a_cadre_cannot_dispatch_to_a_volunteer_outside_their_scope(tree, people, order):
    elsewhere = make_volunteer(201, tree.village_a2, cadre=people.city_cadre)
    error = refused(
        NotInScope,
        order_dispatch,
        actor=people.village_cadre,
        order_id=order.pk,
        volunteer=elsewhere,
    )
    assert error.code == "volunteer_not_in_scope"
    assert state(order) == (S.PLACED, 1)


def test_a_cadre_cannot_dispatch_to_a_team_outside_their_scope(tree, people, order):
    from tests.orders.conftest import make_team

    other = make_team(tree.village_b, people.city_cadre, [], "天马山小队")
    error = refused(
        NotInScope, order_dispatch, actor=people.county_cadre, order_id=order.pk, team=other
    )
    assert error.code == "team_not_in_scope"
    assert state(order) == (S.PLACED, 1)


def test_the_resident_who_placed_it_is_no_dispatcher(order, people, helper):
    # orders_for lets residents read their own orders; dispatching is for cadres.
    error = refused(
        NotInScope, order_dispatch, actor=people.resident, order_id=order.pk, volunteer=helper
    )
    assert error.code == "order_not_in_scope"
    assert state(order) == (S.PLACED, 1)


@pytest.mark.parametrize("status", [Volunteer.Status.SUSPENDED, Volunteer.Status.PENDING])
def test_dispatch_refuses_a_volunteer_who_is_not_active(tree, people, order, status):
    inactive = make_volunteer(202, tree.village_a, cadre=people.city_cadre, status=status)
    error = refused(
        DomainError,
        order_dispatch,
        actor=people.county_cadre,
        order_id=order.pk,
        volunteer=inactive,
    )
    assert (error.field, error.code) == ("volunteer", "volunteer_not_active")
    assert state(order) == (S.PLACED, 1)


def test_dispatch_needs_exactly_one_target(order, people, helper, team):
    for targets in ({}, {"volunteer": helper, "team": team.team}):
        error = refused(
            DomainError, order_dispatch, actor=people.county_cadre, order_id=order.pk, **targets
        )
        assert error.code == "target_required"
    assert state(order) == (S.PLACED, 1)


# --- accepting and declining ------------------------------------------------------------


def test_the_offered_volunteer_accepts(order, people, helper):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    accepted = order_accept(volunteer=helper, order_id=order.pk)
    assert (accepted.status, accepted.accepted_by) == (S.ACCEPTED, helper)
    assert accepted.accepted_at is not None
    assert last_event(order) == (S.DISPATCHED, S.ACCEPTED, people.volunteer, "")


def test_a_member_of_the_team_accepts(order, people, team):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, team=team.team)
    accepted = order_accept(volunteer=team.members[1], order_id=order.pk)
    assert (accepted.status, accepted.accepted_by) == (S.ACCEPTED, team.members[1])


def test_a_second_member_of_the_team_is_refused_with_the_state(order, people, team):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, team=team.team)
    order_accept(volunteer=team.members[0], order_id=order.pk)
    error = refused(IllegalTransition, order_accept, volunteer=team.members[1], order_id=order.pk)
    assert error.message == "订单当前状态为“已接单”，不能接单。"
    assert Order.objects.get(pk=order.pk).accepted_by == team.members[0]


def test_a_stranger_cannot_accept(order, people, helper, team):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    refused(NotInScope, order_accept, volunteer=team.members[0], order_id=order.pk)
    assert state(order) == (S.DISPATCHED, 2)
    assert Order.objects.get(pk=order.pk).accepted_by is None


def test_a_volunteer_outside_the_team_cannot_accept_its_offer(order, people, helper, team):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, team=team.team)
    refused(NotInScope, order_accept, volunteer=helper, order_id=order.pk)
    assert state(order) == (S.DISPATCHED, 2)


@pytest.mark.parametrize("reason", ["", "   "])
def test_decline_needs_a_reason(order, people, helper, reason):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    error = refused(DomainError, order_decline, volunteer=helper, order_id=order.pk, reason=reason)
    assert (error.field, error.code) == ("reason", "required")
    assert state(order) == (S.DISPATCHED, 2)
    assert OrderRefusal.objects.count() == 0


def test_decline_returns_the_order_and_the_decliner_is_never_offered_it_again(
    order, people, helper
):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    declined = order_decline(volunteer=helper, order_id=order.pk, reason="今天在外地")

    assert declined.status == S.PLACED
    assert (declined.dispatched_volunteer, declined.accept_deadline) == (None, None)
    assert last_event(order) == (S.DISPATCHED, S.PLACED, people.volunteer, "今天在外地")
    refusal = OrderRefusal.objects.get(order=order)
    assert (refusal.volunteer, refusal.expired, refusal.reason) == (helper, False, "今天在外地")
    assert helper not in dispatch_candidates(declined, at=AT)
    error = refused(
        DomainError, order_dispatch, actor=people.county_cadre, order_id=order.pk, volunteer=helper
    )
    assert error.code == "volunteer_refused"


def test_only_the_offered_volunteer_declines(order, people, helper, team):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    refused(
        IllegalTransition, order_decline, volunteer=team.members[0], order_id=order.pk, reason="不"
    )
    assert state(order) == (S.DISPATCHED, 2)
    assert OrderRefusal.objects.count() == 0


# --- expiring ----------------------------------------------------------------------------


def test_expire_does_nothing_before_the_deadline(order, people, helper):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    assert order_expire(order_id=order.pk) is None
    assert state(order) == (S.DISPATCHED, 2)
    assert OrderRefusal.objects.count() == 0


def test_expire_after_the_deadline_returns_the_order_and_skips_the_volunteer(
    order, people, helper, settings
):
    settings.ORDER_ACCEPT_MINUTES = -1
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    expired = order_expire(order_id=order.pk)

    assert (expired.status, expired.dispatched_volunteer, expired.accept_deadline) == (
        S.PLACED,
        None,
        None,
    )
    assert last_event(order) == (S.DISPATCHED, S.PLACED, None, "超过接单时限")
    refusal = OrderRefusal.objects.get(order=order)
    assert (refusal.volunteer, refusal.expired) == (helper, True)
    assert order_expire(order_id=order.pk) is None
    assert OrderEvent.objects.filter(order=order).count() == 3


def test_an_expired_team_offer_goes_back_without_a_refusal(order, people, team, settings):
    settings.ORDER_ACCEPT_MINUTES = -1
    order_dispatch(actor=people.county_cadre, order_id=order.pk, team=team.team)
    assert order_expire(order_id=order.pk).status == S.PLACED
    assert OrderRefusal.objects.count() == 0


def test_an_accepted_order_does_not_expire(order, people, helper, settings):
    settings.ORDER_ACCEPT_MINUTES = -1
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=order.pk)
    assert order_expire(order_id=order.pk) is None
    assert state(order) == (S.ACCEPTED, 3)


# --- serving -----------------------------------------------------------------------------


@pytest.fixture
def held(order, people, team) -> Order:
    """The order accepted by the team's first member."""
    order_dispatch(actor=people.county_cadre, order_id=order.pk, team=team.team)
    return order_accept(volunteer=team.members[0], order_id=order.pk)


def started(order: Order, volunteer: Volunteer, hours_ago: float) -> Order:
    order_start(volunteer=volunteer, order_id=order.pk)
    # Check-in happened ``hours_ago``: the only way to have elapsed time in a test.
    Order.objects.filter(pk=order.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=hours_ago)
    )
    return Order.objects.get(pk=order.pk)


def test_only_the_holder_starts(held, team):
    for other in team.members[1:]:
        refused(NotInScope, order_start, volunteer=other, order_id=held.pk)
    assert state(held) == (S.ACCEPTED, 3)
    in_service = order_start(volunteer=team.members[0], order_id=held.pk)
    assert in_service.status == S.IN_SERVICE
    assert in_service.started_at is not None
    assert last_event(held) == (S.ACCEPTED, S.IN_SERVICE, team.members[0].user, "")


def test_only_the_holder_completes(held, team):
    started(held, team.members[0], 1)
    refused(NotInScope, order_complete, volunteer=team.members[1], order_id=held.pk, summary="好")
    assert state(held) == (S.IN_SERVICE, 4)
    assert HoursEntry.objects.count() == 0


def test_complete_credits_the_elapsed_hours_once(held, team):
    holder = team.members[0]
    started(held, holder, 2)
    completed = order_complete(
        volunteer=holder, order_id=held.pk, summary="  药已送到  ", proof_code=proof_code(held.pk)
    )

    assert (completed.status, completed.summary, completed.hours) == (
        S.COMPLETED,
        "药已送到",
        Decimal("2.00"),
    )
    assert completed.completed_at is not None
    entry = HoursEntry.objects.get()
    assert (entry.volunteer, entry.source, entry.source_id, entry.hours) == (
        holder,
        "order",
        held.pk,
        Decimal("2.00"),
    )
    assert Volunteer.objects.get(pk=holder.pk).hours == Decimal("2.00")

    # A retry of the credit, and a second check-out, credit nothing more.
    assert (
        hours_credit(
            volunteer_id=holder.pk, source="order", source_id=held.pk, hours=Decimal("2.00")
        )
        is False
    )
    refused(IllegalTransition, order_complete, volunteer=holder, order_id=held.pk, summary="再来")
    assert HoursEntry.objects.count() == 1
    assert Volunteer.objects.get(pk=holder.pk).hours == Decimal("2.00")


def test_complete_caps_the_hours(held, team, settings):
    holder = team.members[0]
    started(held, holder, 10)
    code = proof_code(held.pk)
    completed = order_complete(volunteer=holder, order_id=held.pk, summary="好", proof_code=code)
    assert completed.hours == Decimal("8.00")
    assert Volunteer.objects.get(pk=holder.pk).hours == Decimal("8.00")


def test_the_cap_follows_the_setting(held, team, settings):
    settings.ORDER_MAX_HOURS = 3
    holder = team.members[0]
    started(held, holder, 5)
    assert order_complete(volunteer=holder, order_id=held.pk, summary="好").hours == Decimal("3.00")


def test_a_volunteer_may_claim_fewer_hours(held, team):
    holder = team.members[0]
    started(held, holder, 2)
    completed = order_complete(
        volunteer=holder,
        order_id=held.pk,
        summary="好",
        hours=Decimal("1.5"),
        proof_code=proof_code(held.pk),
    )
    assert completed.hours == Decimal("1.50")
    assert HoursEntry.objects.get().hours == Decimal("1.50")


@pytest.mark.parametrize("claimed", ["-0.5", "9"])
def test_claiming_hours_outside_the_cap_is_refused(held, team, claimed):
    holder = team.members[0]
    started(held, holder, 1)
    error = refused(
        DomainError,
        order_complete,
        volunteer=holder,
        order_id=held.pk,
        summary="好",
        hours=Decimal(claimed),
    )
    assert (error.field, error.code) == ("hours", "hours_out_of_range")
    assert state(held) == (S.IN_SERVICE, 4)
    assert HoursEntry.objects.count() == 0
    assert Volunteer.objects.get(pk=holder.pk).hours == Decimal("0")


def test_complete_needs_a_summary(held, team):
    started(held, team.members[0], 1)
    error = refused(
        DomainError, order_complete, volunteer=team.members[0], order_id=held.pk, summary=" "
    )
    assert (error.field, error.code) == ("summary", "required")
    assert state(held) == (S.IN_SERVICE, 4)


# --- rating, cancelling, rejecting -------------------------------------------------------


@pytest.fixture
def completed(held, team) -> Order:
    started(held, team.members[0], 1)
    return order_complete(volunteer=team.members[0], order_id=held.pk, summary="好")


@pytest.mark.parametrize("score", [1, 5])
def test_the_resident_rates_a_completed_order(completed, people, score):
    rated = order_rate(
        resident=people.resident, order_id=completed.pk, score=score, comment=" 很及时 "
    )
    assert (rated.status, rated.rating, rated.rating_comment) == (S.RATED, score, "很及时")
    assert last_event(completed) == (S.COMPLETED, S.RATED, people.resident, "")


@pytest.mark.parametrize("score", [0, 6, -1, True, "5", 4.0, None])
def test_rate_refuses_a_score_outside_1_to_5(completed, people, score):
    error = refused(
        DomainError, order_rate, resident=people.resident, order_id=completed.pk, score=score
    )
    assert (error.field, error.code, error.message) == (
        "score",
        "score_invalid",
        "评分应为 1 到 5 分。",
    )
    assert state(completed) == (S.COMPLETED, 5)


def test_only_the_resident_rates(completed, people):
    for other in (people.volunteer, people.county_cadre):
        refused(NotInScope, order_rate, resident=other, order_id=completed.pk, score=5)
    assert state(completed) == (S.COMPLETED, 5)


def test_rate_refuses_an_over_long_comment(completed, people):
    error = refused(
        DomainError,
        order_rate,
        resident=people.resident,
        order_id=completed.pk,
        score=5,
        comment="好" * 501,
    )
    assert (error.field, error.code) == ("comment", "too_long")


@pytest.mark.parametrize("reached", [S.PLACED, S.DISPATCHED, S.ACCEPTED])
def test_the_resident_cancels_before_service_starts(order, people, helper, reached):
    if reached != S.PLACED:
        order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    if reached == S.ACCEPTED:
        order_accept(volunteer=helper, order_id=order.pk)
    cancelled = order_cancel(resident=people.resident, order_id=order.pk, reason="已经解决")
    assert cancelled.status == S.CANCELLED
    assert last_event(order) == (reached, S.CANCELLED, people.resident, "已经解决")


def test_only_the_resident_cancels(order, people):
    for other in (people.volunteer, people.county_cadre):
        refused(NotInScope, order_cancel, resident=other, order_id=order.pk)
    assert state(order) == (S.PLACED, 1)


def test_a_cadre_in_scope_rejects_with_a_reason(order, people):
    rejected = order_reject(actor=people.township_cadre, order_id=order.pk, reason="不在服务范围")
    assert rejected.status == S.REJECTED
    assert last_event(order) == (S.PLACED, S.REJECTED, people.township_cadre, "不在服务范围")


def test_reject_needs_a_reason_and_a_cadre_in_scope(order, people):
    error = refused(
        DomainError, order_reject, actor=people.county_cadre, order_id=order.pk, reason=""
    )
    assert (error.field, error.code) == ("reason", "required")
    refused(NotInScope, order_reject, actor=people.outsider_cadre, order_id=order.pk, reason="不")
    refused(NotInScope, order_reject, actor=people.resident, order_id=order.pk, reason="不")
    assert state(order) == (S.PLACED, 1)


# --- enqueueing on commit ----------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch) -> list[tuple]:
    """What would have reached the broker: the auto-dispatch task's publishes."""
    from orders.tasks import auto_dispatch_task

    published: list[tuple] = []
    monkeypatch.setattr(
        auto_dispatch_task, "apply_async", lambda args=(), **kw: published.append(tuple(args))
    )
    return published


def test_placing_enqueues_one_auto_dispatch_after_commit(
    tree, people, menu, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        order = place(people, menu, tree.village_a)
    assert len(callbacks) == 1
    assert sent == []  # nothing before the commit
    callbacks[0]()
    assert sent == [(order.pk,)]


@pytest.mark.parametrize("where", ["county_a", "village_a", "city"])
def test_placing_enqueues_nothing_when_auto_dispatch_is_off_above(
    tree, people, menu, sent, django_capture_on_commit_callbacks, where
):
    center = getattr(tree, where)
    center.auto_dispatch = False
    center_save(actor=None, center=center)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = place(people, menu, tree.village_a)
    assert callbacks == []
    assert sent == []
    assert Order.objects.get(pk=order.pk).status == S.PLACED


def test_auto_dispatch_off_in_another_county_does_not_matter(
    tree, people, menu, sent, django_capture_on_commit_callbacks
):
    tree.county_b.auto_dispatch = False
    center_save(actor=None, center=tree.county_b)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = place(people, menu, tree.village_a)
    assert len(callbacks) == 1
    assert sent == [(order.pk,)]


def test_nothing_is_enqueued_when_the_transaction_rolls_back(
    tree, people, menu, sent, django_capture_on_commit_callbacks
):
    class Abandoned(Exception):
        pass

    def place_then_abandon():
        with transaction.atomic():
            place(people, menu, tree.village_a)
            raise Abandoned

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Abandoned):
            place_then_abandon()
    assert callbacks == []
    assert sent == []
    assert Order.objects.count() == 0


def test_decline_and_expiry_enqueue_a_redispatch(
    order, people, helper, team, settings, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
        order_decline(volunteer=helper, order_id=order.pk, reason="没空")
    # Each transition also enqueues its notification: dispatch, decline, and the redispatch.
    assert len(callbacks) == 3
    settings.ORDER_ACCEPT_MINUTES = -1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_dispatch(actor=people.county_cadre, order_id=order.pk, team=team.team)
        order_expire(order_id=order.pk)
    assert len(callbacks) == 3
    assert sent == [(order.pk,), (order.pk,)]


def test_a_failed_step_enqueues_nothing(
    order, people, helper, sent, django_capture_on_commit_callbacks
):
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert order_expire(order_id=order.pk) is None
    assert callbacks == []
    assert sent == []
