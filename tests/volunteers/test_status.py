"""The volunteer's status (volunteers.status): the table of moves and who may make each,
the services that reach every move (apply, approve, reject, suspend, reinstate, leave),
each writing its event row in scope, the admin's buttons and the volunteer's own leave page,
and that dispatch offers orders to active volunteers only."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.urls import reverse

from accounts.services import resident_register
from core.errors import DomainError, NotInScope
from orders.dispatch import auto_dispatch
from orders.models import Order
from tests.conftest import PASSWORD
from tests.orders.conftest import AT, helper, menu, place  # noqa: F401 - fixtures
from volunteers.availability import slot_bit_at
from volunteers.identity import compose_id_number
from volunteers.models import Volunteer, VolunteerStatusEvent
from volunteers.services import (
    volunteer_apply,
    volunteer_approve,
    volunteer_leave,
    volunteer_reinstate,
    volunteer_reject,
    volunteer_suspend,
)
from volunteers.status import (
    REASON_REQUIRED,
    TRANSITIONS,
    StatusMoveRefused,
    Who,
    allowed,
    check_move,
)

pytestmark = pytest.mark.django_db

S = Volunteer.Status

# Written out by hand from the design, not derived from the table: (from, to) → who.
EXPECTED = {
    ("", S.PENDING): {Who.APPLICANT},
    (S.REJECTED, S.PENDING): {Who.APPLICANT},
    (S.LEFT, S.PENDING): {Who.APPLICANT},
    # a row a cadre imported, confirmed by its phone's owner (the import is the review)
    ("", S.ACTIVE): {Who.INVITEE},
    (S.REJECTED, S.ACTIVE): {Who.INVITEE},
    (S.LEFT, S.ACTIVE): {Who.INVITEE},
    (S.PENDING, S.ACTIVE): {Who.CADRE},
    (S.PENDING, S.REJECTED): {Who.CADRE},
    (S.ACTIVE, S.SUSPENDED): {Who.CADRE},
    (S.SUSPENDED, S.ACTIVE): {Who.CADRE},
    (S.ACTIVE, S.LEFT): {Who.SELF, Who.CADRE},
    (S.SUSPENDED, S.LEFT): {Who.SELF, Who.CADRE},
}
FROM = ["", *S.values]
EVERY_MOVE = [
    (before, after, who)
    for before, after, who in itertools.product(FROM, S.values, list(Who))
    if before != after
]


@pytest.mark.parametrize(("before", "after", "who"), EVERY_MOVE)
def test_the_table_allows_exactly_the_designed_moves(before, after, who):
    expected = who in EXPECTED.get((before, after), set())
    assert allowed(before, after, who) is expected
    if expected:
        check_move(before, after, who)
    else:
        with pytest.raises(StatusMoveRefused) as refused:
            check_move(before, after, who)
        assert refused.value.http_status == 409
        assert refused.value.code == "status_move_refused"


def test_the_table_holds_nothing_else():
    assert {key: set(who) for key, who in TRANSITIONS.items()} == EXPECTED
    assert {(before, after) for before, after, _who in REASON_REQUIRED} <= set(EXPECTED)


def test_a_refusal_says_the_current_status_in_chinese():
    with pytest.raises(StatusMoveRefused) as refused:
        check_move(S.LEFT, S.SUSPENDED, Who.CADRE)
    assert refused.value.message == "志愿者当前状态为“已退出”，不能暂停。"


# --- the services ---------------------------------------------------------------------------


@pytest.fixture
def active(people) -> Volunteer:
    """The persona volunteer of village A (county A, township A), active."""
    return Volunteer.objects.get(user=people.volunteer)


def events_of(volunteer: Volunteer) -> list[tuple[str, str, int | None, str]]:
    return list(
        VolunteerStatusEvent.objects.filter(volunteer=volunteer)
        .order_by("id")
        .values_list("from_status", "to_status", "actor_id", "reason")
    )


def test_a_cadre_in_scope_suspends_with_a_reason_and_reinstates(people, tree, active):
    # when
    volunteer_suspend(actor=people.village_cadre, volunteer_id=active.pk, reason="多次爽约")
    # then
    active.refresh_from_db()
    assert active.status == S.SUSPENDED
    event = VolunteerStatusEvent.objects.get(volunteer=active)
    assert (event.from_status, event.to_status, event.actor_id, event.reason) == (
        S.ACTIVE,
        S.SUSPENDED,
        people.village_cadre.pk,
        "多次爽约",
    )
    # The home path is copied on the event, as it was.
    assert (event.home_center_id, event.township_id, event.county_id) == (
        tree.village_a.pk,
        tree.township_a.pk,
        tree.county_a.pk,
    )
    # when
    volunteer_reinstate(actor=people.county_cadre, volunteer_id=active.pk)
    # then
    active.refresh_from_db()
    assert active.status == S.ACTIVE
    assert events_of(active)[1] == (S.SUSPENDED, S.ACTIVE, people.county_cadre.pk, "")


def test_suspending_needs_a_reason_and_changes_nothing_without_one(people, active):
    with pytest.raises(DomainError) as refused:
        volunteer_suspend(actor=people.county_cadre, volunteer_id=active.pk, reason="  ")
    assert (refused.value.code, refused.value.field) == ("reason_required", "reason")
    assert Volunteer.objects.get(pk=active.pk).status == S.ACTIVE
    assert events_of(active) == []


@pytest.mark.parametrize(
    "step",
    [
        lambda actor, pk: volunteer_suspend(actor=actor, volunteer_id=pk, reason="原因"),
        lambda actor, pk: volunteer_reinstate(actor=actor, volunteer_id=pk),
        lambda actor, pk: volunteer_leave(actor=actor, volunteer_id=pk, reason="原因"),
    ],
    ids=["suspend", "reinstate", "leave"],
)
@pytest.mark.parametrize("who", ["outsider_cadre", "resident"])
def test_out_of_scope_the_volunteer_does_not_exist(people, active, step, who):
    with pytest.raises(NotInScope) as refused:
        step(getattr(people, who), active.pk)
    assert refused.value.code == "volunteer_not_in_scope"
    assert Volunteer.objects.get(pk=active.pk).status == S.ACTIVE
    assert events_of(active) == []


def test_a_move_the_table_refuses_is_a_conflict_and_writes_nothing(people, active):
    # given
    volunteer_suspend(actor=people.county_cadre, volunteer_id=active.pk, reason="暂停")
    # when / then: suspended twice, reinstated from active
    with pytest.raises(StatusMoveRefused):
        volunteer_suspend(actor=people.county_cadre, volunteer_id=active.pk, reason="再次")
    volunteer_reinstate(actor=people.county_cadre, volunteer_id=active.pk)
    with pytest.raises(StatusMoveRefused):
        volunteer_reinstate(actor=people.county_cadre, volunteer_id=active.pk)
    assert [to for _from, to, _actor, _reason in events_of(active)] == [S.SUSPENDED, S.ACTIVE]


def test_the_volunteer_leaves_by_themself_without_a_reason(people, active):
    volunteer_leave(actor=people.volunteer, volunteer_id=active.pk)
    assert Volunteer.objects.get(pk=active.pk).status == S.LEFT
    assert events_of(active) == [(S.ACTIVE, S.LEFT, people.volunteer.pk, "")]
    # Left is final for the cadres, but the person may apply again.
    with pytest.raises(StatusMoveRefused):
        volunteer_reinstate(actor=people.county_cadre, volunteer_id=active.pk)


def test_a_cadre_makes_a_volunteer_leave_only_with_a_reason(people, active):
    with pytest.raises(DomainError) as refused:
        volunteer_leave(actor=people.township_cadre, volunteer_id=active.pk)
    assert refused.value.code == "reason_required"
    volunteer_leave(actor=people.township_cadre, volunteer_id=active.pk, reason="已搬离本社区")
    assert events_of(active) == [(S.ACTIVE, S.LEFT, people.township_cadre.pk, "已搬离本社区")]


def test_apply_approve_and_reject_write_their_events(people, tree):
    # given
    applicant = resident_register(phone="13600000001", name="王申请", password=PASSWORD)
    # when
    volunteer = volunteer_apply(
        user=applicant,
        real_name="王申请",
        id_number=compose_id_number("430405", datetime.date(1990, 1, 1), 7),
        home_center=tree.village_a,
    )
    volunteer_reject(actor=people.township_cadre, volunteer_id=volunteer.pk, reason="资料不全")
    volunteer_apply(
        user=applicant,
        real_name="王申请",
        id_number=compose_id_number("430405", datetime.date(1990, 1, 1), 7),
        home_center=tree.village_a,
    )
    volunteer_approve(actor=people.township_cadre, volunteer_id=volunteer.pk)
    # then
    assert events_of(volunteer) == [
        ("", S.PENDING, applicant.pk, ""),
        (S.PENDING, S.REJECTED, people.township_cadre.pk, "资料不全"),
        (S.REJECTED, S.PENDING, applicant.pk, ""),
        (S.PENDING, S.ACTIVE, people.township_cadre.pk, ""),
    ]


def test_events_are_append_only(people, active):
    volunteer_suspend(actor=people.county_cadre, volunteer_id=active.pk, reason="暂停")
    event = VolunteerStatusEvent.objects.get(volunteer=active)
    event.reason = "改写"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


# --- dispatch -------------------------------------------------------------------------------


@pytest.fixture
def at_monday_morning(monkeypatch):
    monkeypatch.setattr("orders.selectors.slot_bit_at", lambda moment: slot_bit_at(AT))


def test_dispatch_offers_no_order_to_a_suspended_volunteer(
    people,
    tree,
    menu,  # noqa: F811 - imported fixture
    helper,  # noqa: F811 - imported fixture
    at_monday_morning,
):
    # given: the only candidate of county A is suspended
    volunteer_suspend(actor=people.county_cadre, volunteer_id=helper.pk, reason="暂停")
    order = place(people, menu, tree.village_a)
    # when
    offered = auto_dispatch(order_id=order.pk, at=AT)
    # then: nobody fits, the order is flagged
    assert offered is False
    kept = Order.objects.get(pk=order.pk)
    assert (kept.status, kept.dispatched_volunteer_id) == (Order.Status.PLACED, None)
    assert kept.flagged_at is not None
    # and once reinstated, the same volunteer is offered the next order
    volunteer_reinstate(actor=people.county_cadre, volunteer_id=helper.pk)
    second = place(people, menu, tree.village_a, title="再买药")
    assert auto_dispatch(order_id=second.pk, at=AT) is True
    assert Order.objects.get(pk=second.pk).dispatched_volunteer_id == helper.pk


# --- the admin's buttons and the volunteer's page -------------------------------------------


def status_url(volunteer: Volunteer, step: str) -> str:
    return reverse("admin:volunteers_volunteer_status", args=[volunteer.pk, step])


def test_the_change_page_offers_the_moves_the_table_allows(client, people, active):
    client.force_login(people.county_cadre)
    page = client.get(reverse("admin:volunteers_volunteer_change", args=[active.pk]))
    assert page.status_code == 200
    assert [str(title) for _url, title in page.context["status_steps"]] == [
        "暂停志愿服务",
        "办理退出",
    ]
    assert status_url(active, "suspend") in page.content.decode()


def test_the_admin_suspends_with_the_reason_asked(client, people, active):
    client.force_login(people.county_cadre)
    # the reason page first
    assert client.get(status_url(active, "suspend")).status_code == 200
    # without a reason: the service's refusal, nothing changed
    refused = client.post(status_url(active, "suspend"), {"reason": ""}, follow=True)
    assert [m.message for m in refused.context["messages"]] == ["请填写原因。"]
    assert Volunteer.objects.get(pk=active.pk).status == S.ACTIVE
    # with one
    done = client.post(status_url(active, "suspend"), {"reason": "多次爽约"}, follow=True)
    assert [m.message for m in done.context["messages"]] == ["已暂停李志愿的志愿服务。"]
    assert events_of(active) == [(S.ACTIVE, S.SUSPENDED, people.county_cadre.pk, "多次爽约")]


@pytest.mark.parametrize("step", ["suspend", "reinstate", "leave", "nonsense"])
def test_the_admin_answers_404_out_of_scope(client, people, active, step):
    client.force_login(people.outsider_cadre)
    response = client.post(status_url(active, step), {"reason": "原因"})
    assert response.status_code == 404
    assert Volunteer.objects.get(pk=active.pk).status == S.ACTIVE


def test_the_volunteer_leaves_from_their_own_page(client, people, active):
    client.force_login(people.volunteer)
    home = client.get(reverse("volunteers:home"))
    assert reverse("volunteers:leave") in home.content.decode()
    assert client.get(reverse("volunteers:leave")).status_code == 200
    response = client.post(reverse("volunteers:leave"), {"reason": "工作太忙"}, follow=True)
    assert [m.message for m in response.context["messages"]] == ["您已退出志愿者队伍。"]
    assert events_of(active) == [(S.ACTIVE, S.LEFT, people.volunteer.pk, "工作太忙")]
    # Left: the page offers applying again, not leaving.
    assert reverse("volunteers:leave") not in response.content.decode()
    again = client.post(reverse("volunteers:leave"), {"reason": ""}, follow=True)
    assert [m.message for m in again.context["messages"]] == [
        "志愿者当前状态为“已退出”，不能退出。"
    ]
