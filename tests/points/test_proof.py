"""Proof of service (issue 11 item 1, against ghost hours): an order's hours count at once
only with the resident's code; without it they wait for the resident's confirmation (or
rating), a void code or a proposed figure sends them to a cadre, a dispute holds them, and
补录 waits for a cadre's approval with a reason."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import ConflictError, DomainError, NotInScope
from orders.models import Order
from orders.proof import proof_code, proof_matches
from orders.services import (
    ProofRefused,
    order_complete,
    order_rate,
    order_service_confirm,
    order_service_dispute,
)
from points.models import HoursClaim, HoursEntry
from points.services.proof import claim_decide, offline_claim_submit
from tests.factories.orders import OrderFactory
from tests.factories.points import serve
from tests.factories.volunteers import make_dispatchable
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

C = HoursClaim.Status
S = Order.Status


@pytest.fixture
def volunteer(people) -> Volunteer:
    return Volunteer.objects.get(user=people.volunteer)


@pytest.fixture
def serving(people, volunteer, menu) -> Order:
    """An order of 王江社区 served for two hours by the persona volunteer, not checked out."""
    from orders.services import order_accept, order_dispatch, order_start

    order = OrderFactory(
        resident=people.resident, service=menu.errand, center=volunteer.home_center
    )
    make_dispatchable(volunteer, cadre=people.county_cadre)
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=volunteer)
    order_accept(volunteer=volunteer, order_id=order.pk)
    order_start(volunteer=volunteer, order_id=order.pk)
    Order.objects.filter(pk=order.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=2)
    )
    return order


def check_out(volunteer: Volunteer, order: Order, **extra) -> Order:
    return order_complete(volunteer=volunteer, order_id=order.pk, summary="药已送到", **extra)


def certified_hours(volunteer: Volunteer) -> Decimal:
    return Volunteer.objects.get(pk=volunteer.pk).hours


def claim_of(order: Order) -> HoursClaim:
    return HoursClaim.objects.get(order_id=order.pk)


# ---------------------------------------------------------------- the code


def test_the_code_is_six_digits_stable_and_the_orders_own():
    assert proof_code(41) == proof_code(41)
    assert len(proof_code(41)) == 6
    assert proof_code(41).isdigit()
    assert proof_code(41) != proof_code(42)
    assert proof_matches(41, " " + proof_code(41) + " ")
    full_width = proof_code(41).translate({ord(str(n)): chr(ord("０") + n) for n in range(10)})
    assert proof_matches(41, full_width)
    assert not proof_matches(41, proof_code(42))


def test_a_code_of_letters_or_chinese_is_just_wrong(volunteer, serving):
    for typed in ("一二三四五六", "abcdef", "１２３"):
        with pytest.raises(ProofRefused):
            check_out(volunteer, serving, proof_code=typed)
    assert Order.objects.get(pk=serving.pk).proof_failures == 3


def test_with_the_residents_code_the_hours_are_certified_at_check_out(volunteer, serving):
    check_out(volunteer, serving, proof_code=proof_code(serving.pk))
    assert certified_hours(volunteer) == Decimal("2.00")
    assert not HoursClaim.objects.exists()


def test_a_wrong_code_does_not_certify_and_is_counted(volunteer, serving):
    wrong = "000000" if proof_code(serving.pk) != "000000" else "111111"
    with pytest.raises(ProofRefused) as refused:
        check_out(volunteer, serving, proof_code=wrong)
    assert refused.value.message == "核验码不正确，还可尝试 4 次。"
    assert Order.objects.get(pk=serving.pk).status == S.IN_SERVICE
    assert Order.objects.get(pk=serving.pk).proof_failures == 1
    assert certified_hours(volunteer) == Decimal(0)


def test_five_wrong_codes_void_it_and_the_hours_go_to_a_cadre(volunteer, serving):
    wrong = "000000" if proof_code(serving.pk) != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(ProofRefused):
            check_out(volunteer, serving, proof_code=wrong)
    with pytest.raises(ProofRefused) as voided:
        check_out(volunteer, serving, proof_code=wrong)
    assert "已作废" in voided.value.message

    # then even the right code no longer certifies
    with pytest.raises(ProofRefused):
        check_out(volunteer, serving, proof_code=proof_code(serving.pk))

    # and checking out without it sends the hours to a cadre
    check_out(volunteer, serving)
    assert claim_of(serving).status == C.AWAITING_CADRE
    assert certified_hours(volunteer) == Decimal(0)


# ---------------------------------------------------------------- without the code


def test_hours_without_proof_wait_and_the_residents_confirmation_certifies_them(
    people, volunteer, serving
):
    check_out(volunteer, serving)
    assert claim_of(serving).status == C.AWAITING_RESIDENT
    assert certified_hours(volunteer) == Decimal(0)

    assert order_service_confirm(resident=people.resident, order_id=serving.pk) is True
    assert order_service_confirm(resident=people.resident, order_id=serving.pk) is False

    assert claim_of(serving).status == C.CERTIFIED
    assert certified_hours(volunteer) == Decimal("2.00")
    assert HoursEntry.objects.filter(volunteer=volunteer).count() == 1


def test_a_rating_confirms_the_service(people, volunteer, serving):
    check_out(volunteer, serving)
    order_rate(resident=people.resident, order_id=serving.pk, score=4)
    assert claim_of(serving).status == C.CERTIFIED
    assert certified_hours(volunteer) == Decimal("2.00")


def test_someone_elses_order_cannot_be_confirmed(people, volunteer, serving):
    check_out(volunteer, serving)
    with pytest.raises(NotInScope):
        order_service_confirm(resident=people.volunteer, order_id=serving.pk)
    assert claim_of(serving).status == C.AWAITING_RESIDENT


def test_a_proposed_figure_above_the_measured_one_waits_for_a_cadre(people, volunteer, serving):
    completed = check_out(
        volunteer, serving, hours=Decimal("3.00"), proof_code=proof_code(serving.pk)
    )
    claim = claim_of(serving)
    assert (completed.hours, claim.hours, claim.measured_hours) == (
        Decimal("3.00"),
        Decimal("3.00"),
        Decimal("2.00"),
    )
    assert claim.status == C.AWAITING_CADRE
    assert certified_hours(volunteer) == Decimal(0)

    claim_decide(actor=people.village_cadre, claim_id=claim.pk, approve=True)
    assert certified_hours(volunteer) == Decimal("3.00")


def test_the_cap_is_the_services_own(volunteer, serving, menu):
    menu.errand.max_hours = 1
    menu.errand.save(update_fields=["max_hours"])
    completed = check_out(volunteer, serving, proof_code=proof_code(serving.pk))
    assert completed.hours == Decimal("1.00")
    assert certified_hours(volunteer) == Decimal("1.00")


# ---------------------------------------------------------------- a dispute


def test_a_disputed_service_holds_its_hours_until_a_cadre_decides(people, volunteer, serving):
    check_out(volunteer, serving)
    order_service_dispute(resident=people.resident, order_id=serving.pk, reason="志愿者没来")
    claim = claim_of(serving)
    assert (claim.status, claim.dispute_reason) == (C.DISPUTED, "志愿者没来")

    # the resident's confirmation no longer certifies, nor does a rating
    assert order_service_confirm(resident=people.resident, order_id=serving.pk) is False
    assert certified_hours(volunteer) == Decimal(0)

    # a cadre rejects, with a reason
    with pytest.raises(DomainError) as missing:
        claim_decide(actor=people.county_cadre, claim_id=claim.pk, approve=False)
    assert missing.value.message == "请填写不予认证的理由。"
    claim_decide(actor=people.county_cadre, claim_id=claim.pk, approve=False, reason="核实未服务")
    assert claim_of(serving).status == C.REJECTED
    assert certified_hours(volunteer) == Decimal(0)

    with pytest.raises(ConflictError):
        claim_decide(actor=people.county_cadre, claim_id=claim.pk, approve=True)


def test_a_dispute_needs_a_reason(people, volunteer, serving):
    check_out(volunteer, serving)
    with pytest.raises(DomainError) as refused:
        order_service_dispute(resident=people.resident, order_id=serving.pk, reason=" ")
    assert refused.value.message == "请说明情况。"
    assert claim_of(serving).status == C.AWAITING_RESIDENT


def test_a_certified_service_cannot_be_disputed_here(people, volunteer, serving):
    check_out(volunteer, serving)
    order_service_confirm(resident=people.resident, order_id=serving.pk)
    with pytest.raises(ConflictError):
        order_service_dispute(resident=people.resident, order_id=serving.pk, reason="不对")


# ---------------------------------------------------------------- scope of the decision


@pytest.mark.parametrize(
    ("persona", "decides"),
    [
        ("city_cadre", True),
        ("county_cadre", True),
        ("township_cadre", True),
        ("village_cadre", True),
        ("outsider_cadre", False),
    ],
)
def test_the_cadres_of_the_orders_subtree_decide(people, volunteer, serving, persona, decides):
    check_out(volunteer, serving)
    claim = claim_of(serving)
    actor = getattr(people, persona)
    if decides:
        claim_decide(actor=actor, claim_id=claim.pk, approve=True)
        assert certified_hours(volunteer) == Decimal("2.00")
    else:
        with pytest.raises(NotInScope):
            claim_decide(actor=actor, claim_id=claim.pk, approve=True)
        assert claim_of(serving).status == C.AWAITING_RESIDENT


# ---------------------------------------------------------------- 补录


def test_an_offline_report_waits_for_a_cadre_who_approves_it_with_a_reason(people, volunteer):
    claim = offline_claim_submit(
        volunteer=volunteer,
        served_on=timezone.localdate() - datetime.timedelta(days=3),
        hours=Decimal("2.5"),
        description="社区敬老院陪伴老人",
    )
    assert claim.status == C.AWAITING_CADRE
    assert certified_hours(volunteer) == Decimal(0)

    claim_decide(actor=people.township_cadre, claim_id=claim.pk, approve=True, reason="已核实")

    entry = HoursEntry.objects.get(volunteer=volunteer)
    assert (entry.hours, entry.kind, entry.reason, entry.actor) == (
        Decimal("2.50"),
        "adjusted",
        "已核实",
        people.township_cadre,
    )
    assert certified_hours(volunteer) == Decimal("2.50")


@pytest.mark.parametrize(
    ("days_ago", "hours", "description", "field"),
    [
        (-1, "2", "明天的服务", "served_on"),
        (400, "2", "很久以前", "served_on"),
        (1, "0", "零小时", "hours"),
        (1, "25", "超过一天", "hours"),
        (1, "2", "  ", "description"),
    ],
)
def test_a_bad_offline_report_is_refused_and_writes_nothing(
    volunteer, days_ago, hours, description, field
):
    with pytest.raises(DomainError) as refused:
        offline_claim_submit(
            volunteer=volunteer,
            served_on=timezone.localdate() - datetime.timedelta(days=days_ago),
            hours=Decimal(hours),
            description=description,
        )
    assert refused.value.field == field
    assert not HoursClaim.objects.exists()


# ---------------------------------------------------------------- the pages


def test_the_residents_page_shows_the_code_while_the_order_is_served(client, people, serving):
    client.force_login(people.resident)
    page = client.get(reverse("orders:detail", args=[serving.pk])).content.decode()
    assert proof_code(serving.pk) in page


def test_the_volunteer_never_sees_the_code_on_their_task_page(client, people, serving):
    client.force_login(people.volunteer)
    page = client.get(reverse("orders:tasks")).content.decode()
    assert proof_code(serving.pk) not in page


def test_the_volunteer_checks_out_with_the_code_on_the_page(client, people, volunteer, serving):
    client.force_login(people.volunteer)
    response = client.post(
        reverse("orders:task_complete", args=[serving.pk]),
        {"summary": "药已送到", "proof_code": proof_code(serving.pk)},
        follow=True,
    )
    assert "已签退，本次服务记 2.00 小时。" in response.content.decode()
    assert certified_hours(volunteer) == Decimal("2.00")


def test_a_wrong_code_on_the_page_is_an_error_beside_the_field(client, people, serving):
    client.force_login(people.volunteer)
    wrong = "000000" if proof_code(serving.pk) != "000000" else "111111"
    response = client.post(
        reverse("orders:task_complete", args=[serving.pk]),
        {"summary": "药已送到", "proof_code": wrong},
    )
    assert response.status_code == 400
    assert "核验码不正确，还可尝试 4 次。" in response.content.decode()
    assert Order.objects.get(pk=serving.pk).status == S.IN_SERVICE


def test_the_resident_confirms_or_disputes_on_the_order_page(client, people, volunteer, serving):
    check_out(volunteer, serving)
    client.force_login(people.resident)
    detail = reverse("orders:detail", args=[serving.pk])
    page = client.get(detail).content.decode()
    assert "确认服务已完成" in page
    assert "服务没有发生？" in page

    empty = client.post(reverse("orders:dispute_service", args=[serving.pk]), {"reason": ""})
    assert empty.status_code == 400
    assert "请说明情况。" in empty.content.decode()

    client.post(reverse("orders:confirm_service", args=[serving.pk]))
    assert certified_hours(volunteer) == Decimal("2.00")


def test_another_resident_cannot_confirm_through_the_page(client, people, volunteer, serving):
    check_out(volunteer, serving)
    client.force_login(people.volunteer)
    response = client.post(reverse("orders:confirm_service", args=[serving.pk]))
    assert response.status_code == 404
    assert claim_of(serving).status == C.AWAITING_RESIDENT


def test_the_offline_page_takes_a_report_and_refuses_bad_input_in_chinese(
    client, people, volunteer
):
    client.force_login(people.volunteer)
    url = reverse("points:offline_claims")
    assert client.get(url).status_code == 200

    bad = client.post(url, {"served_on": "昨天", "hours": "abc", "description": ""})
    page = bad.content.decode()
    assert bad.status_code == 400
    assert "请填写有效的日期。" in page
    assert "请填写数字。" in page
    assert "请说明服务内容。" in page
    assert not HoursClaim.objects.exists()

    served_on = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    good = client.post(url, {"served_on": served_on, "hours": "1.5", "description": "清扫街道"})
    assert good.status_code == 302
    assert HoursClaim.objects.get().status == C.AWAITING_CADRE


def test_the_offline_page_sends_a_resident_to_their_page(client, people):
    client.force_login(people.resident)
    response = client.post(reverse("points:offline_claims"), {"hours": "1"})
    assert response.status_code == 302
    assert not HoursClaim.objects.exists()


# ---------------------------------------------------------------- the admin


def test_each_cadre_lists_the_claims_of_their_subtree(client, people, volunteer, serving):
    check_out(volunteer, serving)
    url = reverse("admin:points_hoursclaim_changelist")
    client.force_login(people.village_cadre)
    assert [c.pk for c in client.get(url).context["cl"].result_list] == [claim_of(serving).pk]
    client.force_login(people.outsider_cadre)
    assert list(client.get(url).context["cl"].result_list) == []


def test_a_cadre_approves_from_the_admin(client, people, volunteer, serving):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    check_out(volunteer, serving)
    client.force_login(people.township_cadre)
    response = client.post(
        reverse("admin:points_hoursclaim_changelist"),
        {"action": "approve_selected", ACTION_CHECKBOX_NAME: [claim_of(serving).pk], "index": "0"},
        follow=True,
    )
    assert "已认证 1 条时长。" in response.content.decode()
    assert certified_hours(volunteer) == Decimal("2.00")


def test_the_history_of_the_factories_is_certified_by_the_code(people, volunteer, menu):
    # The demo and the factories check out with the resident's code: certified at once.
    serve(resident=people.resident, cadre=people.county_cadre, volunteer=volunteer,
          service=menu.errand)  # fmt: skip
    assert certified_hours(volunteer) == Decimal("3.00")
