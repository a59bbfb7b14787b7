"""The two ledgers: one entry per (volunteer, source, source id, kind), the points priced by
the rules in force, the bonus and the review a rating brings, reversals, and the cached
balances equal to the ledgers' sums."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import DomainError, NotInScope
from orders.services import order_rate
from points.errors import PointErrorCode
from points.models import HoursEntry, Kind, OrderReview, PointsEntry, PointsRules, Source
from points.selectors.ledger import balances_cached, balances_recomputed
from points.services.ledger import (
    ledger_adjust,
    points_credit,
    rating_award,
    service_award,
    source_reverse,
)
from points.services.rules import rules_current, rules_publish
from tests.factories.points import serve
from tests.factories.volunteers import make_volunteer
from tests.points.conftest import balances

pytestmark = pytest.mark.django_db


def entries(model, **filters) -> list[tuple[str, str, int, object]]:
    amount = "hours" if model is HoursEntry else "points"
    return list(
        model.objects.filter(**filters)
        .order_by("id")
        .values_list("kind", "source", "source_id", amount)
    )


def award(volunteer, source_id: int, hours: str, service=None) -> bool:
    return service_award(
        volunteer_id=volunteer.pk,
        source=Source.ORDER,
        source_id=source_id,
        hours=Decimal(hours),
        service_id=None if service is None else service.pk,
    )


def publish(people, **changes):
    fields = {
        "points_per_hour": Decimal(10),
        "rating_bonus": 5,
        "order_cap": None,
        "expiry_enabled": False,
        "coefficients": {},
    }
    fields.update(changes)
    return rules_publish(actor=people.city_cadre, **fields)


def assert_balances_agree(volunteer) -> None:
    assert balances_cached(volunteer_id=volunteer.pk) == balances_recomputed(
        volunteer_id=volunteer.pk
    )


# --- the award at completion ----------------------------------------------------------------


def test_completion_writes_one_hours_and_one_points_entry(people, menu, volunteer):
    # when
    order = serve(
        resident=people.resident,
        cadre=people.village_cadre,
        volunteer=volunteer,
        service=menu.errand,
        hours="2.50",
    )
    # then: 2.5 h at the default 10 points an hour, coefficient 1
    assert entries(HoursEntry) == [("earned", "order", order.pk, Decimal("2.50"))]
    assert entries(PointsEntry) == [("earned", "order", order.pk, 25)]
    entry = PointsEntry.objects.get()
    assert entry.rules_id == rules_current().pk
    assert (entry.home_center_id, entry.township_id, entry.county_id) == (
        volunteer.home_center_id,
        volunteer.township_id,
        volunteer.county_id,
    )
    assert entry.actor is None
    assert balances(volunteer) == (Decimal("2.50"), 25)
    assert_balances_agree(volunteer)


def test_an_award_made_twice_writes_one_entry_of_each_kind(people, volunteer):
    # given
    assert award(volunteer, 7, "2.00") is True
    # when
    again = award(volunteer, 7, "5.00")
    # then
    assert again is False
    assert entries(HoursEntry) == [("earned", "order", 7, Decimal("2.00"))]
    assert entries(PointsEntry) == [("earned", "order", 7, 20)]
    assert balances(volunteer) == (Decimal("2.00"), 20)


def test_every_volunteer_earns_from_one_source(tree, people, volunteer):
    # given: an activity two volunteers attended
    other = make_volunteer(2, tree.village_a2)
    # when
    for person in (volunteer, other):
        assert service_award(
            volunteer_id=person.pk, source=Source.ACTIVITY, source_id=3, hours=Decimal(1)
        )
    # then
    assert PointsEntry.objects.filter(source="activity", source_id=3).count() == 2
    assert HoursEntry.objects.filter(source="activity", source_id=3).count() == 2


@pytest.mark.parametrize(
    ("hours", "coefficient", "points"),
    [
        ("1.25", "1.00", 13),  # 12.5 rounds half up
        ("1.24", "1.00", 12),
        ("0.05", "1.00", 1),  # 0.5
        ("0.04", "1.00", 0),
        ("1.50", "1.50", 23),  # 22.5
        ("1.00", "0.25", 3),  # 2.5
        ("0.00", "2.00", 0),
    ],
)
def test_points_round_half_up_per_entry(people, menu, volunteer, hours, coefficient, points):
    # given
    publish(people, coefficients={menu.clinic.pk: Decimal(coefficient)})
    # when
    award(volunteer, 1, hours, menu.clinic)
    # then
    assert PointsEntry.objects.get().points == points


def test_the_coefficient_is_the_services_own(people, menu, volunteer):
    # given: the clinic counts double, the errand is not named
    publish(people, coefficients={menu.clinic.pk: Decimal(2)})
    # when
    award(volunteer, 1, "2.00", menu.clinic)
    award(volunteer, 2, "2.00", menu.errand)
    # then
    assert entries(PointsEntry) == [("earned", "order", 1, 40), ("earned", "order", 2, 20)]


def test_the_cap_holds_an_orders_points_bonus_included(people, volunteer, tree):
    # given: a cap of 25 points an order
    publish(people, order_cap=25)
    award(volunteer, 1, "3.00")
    award(volunteer, 2, "2.00")
    # when: a 5-star rating of each
    capped = rating_award(
        volunteer_id=volunteer.pk,
        order_id=1,
        score=5,
        center_id=tree.village_a.pk,
        township_id=None,
        county_id=None,
    )
    partly = rating_award(
        volunteer_id=volunteer.pk,
        order_id=2,
        score=5,
        center_id=tree.village_a.pk,
        township_id=None,
        county_id=None,
    )
    # then: 30 capped at 25 and no bonus; 20 and a bonus of 5 (not more than the cap)
    assert capped is False
    assert partly is True
    assert entries(PointsEntry) == [
        ("earned", "order", 1, 25),
        ("earned", "order", 2, 20),
        ("rating_bonus", "order", 2, 5),
    ]
    assert_balances_agree(volunteer)


def test_a_rule_change_prices_new_entries_only(people, volunteer):
    # given
    first = rules_current()
    award(volunteer, 1, "1.00")
    # when
    second = publish(people, points_per_hour=Decimal(20))
    award(volunteer, 2, "1.00")
    # then
    assert second.pk > first.pk
    assert list(PointsEntry.objects.order_by("id").values_list("points", "rules_id")) == [
        (10, first.pk),
        (20, second.pk),
    ]
    assert PointsRules.objects.get(pk=first.pk).points_per_hour == Decimal(10)


# --- ratings --------------------------------------------------------------------------------


def test_a_five_star_rating_adds_a_bonus_beside_the_award(people, menu, volunteer):
    # given
    order = serve(
        resident=people.resident,
        cadre=people.village_cadre,
        volunteer=volunteer,
        service=menu.errand,
        hours="1.00",
    )
    # when
    order_rate(resident=people.resident, order_id=order.pk, score=5, comment="很好")
    # then
    assert entries(PointsEntry) == [
        ("earned", "order", order.pk, 10),
        ("rating_bonus", "order", order.pk, 5),
    ]
    assert not OrderReview.objects.exists()
    assert balances(volunteer) == (Decimal("1.00"), 15)
    # and a repeat of the award changes nothing
    assert not rating_award(
        volunteer_id=volunteer.pk,
        order_id=order.pk,
        score=5,
        center_id=order.center_id,
        township_id=order.township_id,
        county_id=order.county_id,
    )
    assert PointsEntry.objects.count() == 2


def test_a_one_star_rating_withholds_the_bonus_and_opens_a_review(people, menu, volunteer):
    # given
    order = serve(
        resident=people.resident,
        cadre=people.village_cadre,
        volunteer=volunteer,
        service=menu.errand,
        hours="1.00",
    )
    # when
    order_rate(resident=people.resident, order_id=order.pk, score=1, comment="没来")
    # then: no bonus, the hours stand, a review in the order's own village
    assert entries(PointsEntry) == [("earned", "order", order.pk, 10)]
    assert balances(volunteer) == (Decimal("1.00"), 10)
    review = OrderReview.objects.get()
    assert (review.order_id, review.volunteer_id, review.rating, review.comment) == (
        order.pk,
        volunteer.pk,
        1,
        "没来",
    )
    assert (review.center_id, review.township_id, review.county_id) == (
        order.center_id,
        order.township_id,
        order.county_id,
    )
    assert review.status == OrderReview.Status.OPEN


@pytest.mark.parametrize("score", [2, 3, 4])
def test_other_ratings_change_no_ledger(people, menu, volunteer, score):
    order = serve(
        resident=people.resident,
        cadre=people.village_cadre,
        volunteer=volunteer,
        service=menu.errand,
        hours="1.00",
    )
    order_rate(resident=people.resident, order_id=order.pk, score=score)
    assert PointsEntry.objects.count() == 1
    assert not OrderReview.objects.exists()


# --- reversals and other entries -------------------------------------------------------------


def test_a_reversal_takes_back_the_sources_hours_and_points_once(people, volunteer, tree):
    # given
    award(volunteer, 1, "2.00")
    rating_award(
        volunteer_id=volunteer.pk,
        order_id=1,
        score=5,
        center_id=tree.village_a.pk,
        township_id=None,
        county_id=None,
    )
    award(volunteer, 2, "1.00")
    # when
    first = source_reverse(
        actor=people.village_cadre,
        volunteer_id=volunteer.pk,
        source="order",
        source_id=1,
        reason="服务未实际开展",
    )
    second = source_reverse(
        actor=people.village_cadre,
        volunteer_id=volunteer.pk,
        source="order",
        source_id=1,
        reason="再来一次",
    )
    # then
    assert (first, second) == (True, False)
    assert entries(HoursEntry, source_id=1) == [
        ("earned", "order", 1, Decimal("2.00")),
        ("reversed", "order", 1, Decimal("-2.00")),
    ]
    assert entries(PointsEntry, source_id=1) == [
        ("earned", "order", 1, 20),
        ("rating_bonus", "order", 1, 5),
        ("reversed", "order", 1, -25),
    ]
    reversal = PointsEntry.objects.get(kind="reversed")
    assert (reversal.actor, reversal.reason) == (people.village_cadre, "服务未实际开展")
    assert balances(volunteer) == (Decimal("1.00"), 10)
    assert_balances_agree(volunteer)


def test_a_reversal_never_takes_points_already_spent(people, volunteer):
    # given: 20 earned, 15 spent
    award(volunteer, 1, "2.00")
    points_credit(
        volunteer_id=volunteer.pk,
        source=Source.REDEMPTION,
        source_id=1,
        points=-15,
        kind=Kind.REDEEMED,
    )
    # when
    source_reverse(
        actor=people.village_cadre,
        volunteer_id=volunteer.pk,
        source="order",
        source_id=1,
        reason="虚报",
    )
    # then: only the 5 still held come back; the balance is not negative
    assert PointsEntry.objects.get(kind="reversed").points == -5
    assert balances(volunteer) == (Decimal("0.00"), 0)
    assert_balances_agree(volunteer)


def test_a_reversal_needs_a_reason(people, volunteer):
    award(volunteer, 1, "2.00")
    with pytest.raises(DomainError) as refused:
        source_reverse(
            actor=people.village_cadre,
            volunteer_id=volunteer.pk,
            source="order",
            source_id=1,
            reason="  ",
        )
    assert (refused.value.code, refused.value.field) == (PointErrorCode.REASON_REQUIRED, "reason")
    assert not PointsEntry.objects.filter(kind="reversed").exists()


def test_a_debit_the_balance_cannot_cover_writes_nothing(volunteer):
    # given
    award(volunteer, 1, "1.00")
    # when
    with pytest.raises(DomainError) as refused:
        points_credit(
            volunteer_id=volunteer.pk,
            source=Source.REDEMPTION,
            source_id=1,
            points=-11,
            kind=Kind.REDEEMED,
        )
    # then
    assert refused.value.code == PointErrorCode.POINTS_INSUFFICIENT
    assert not PointsEntry.objects.filter(kind="redeemed").exists()
    assert balances(volunteer) == (Decimal("1.00"), 10)


@pytest.mark.parametrize(
    ("kind", "points"), [("earned", -1), ("refunded", -1), ("redeemed", 1), ("expired", 1)]
)
def test_an_amount_of_the_wrong_sign_is_refused(volunteer, kind, points):
    with pytest.raises(DomainError) as refused:
        points_credit(
            volunteer_id=volunteer.pk, source=Source.CADRE, source_id=1, points=points, kind=kind
        )
    assert refused.value.code == PointErrorCode.AMOUNT_SIGN
    assert not PointsEntry.objects.exists()


def test_a_refund_gives_back_what_a_redemption_held(volunteer):
    award(volunteer, 1, "2.00")
    spend = {"volunteer_id": volunteer.pk, "source": Source.REDEMPTION, "source_id": 9}
    assert points_credit(**spend, points=-12, kind=Kind.REDEEMED)
    assert points_credit(**spend, points=12, kind=Kind.REFUNDED)
    assert not points_credit(**spend, points=12, kind=Kind.REFUNDED)
    assert balances(volunteer) == (Decimal("2.00"), 20)
    assert_balances_agree(volunteer)


def test_a_cadre_adjusts_a_volunteer_in_scope_with_a_reason(people, volunteer):
    # when
    wrote = ledger_adjust(
        actor=people.township_cadre,
        volunteer_id=volunteer.pk,
        source_id=5,
        hours=Decimal("1.50"),
        points=-0,
        reason="线下服务补录",
    )
    # then: hours only (a zero points figure writes no points entry)
    assert wrote is True
    entry = HoursEntry.objects.get()
    assert (entry.kind, entry.source, entry.hours, entry.actor, entry.reason) == (
        "adjusted",
        "cadre",
        Decimal("1.50"),
        people.township_cadre,
        "线下服务补录",
    )
    assert not PointsEntry.objects.exists()
    assert_balances_agree(volunteer)


def test_an_outsider_cannot_adjust_and_nothing_is_written(people, volunteer):
    with pytest.raises(NotInScope) as refused:
        ledger_adjust(
            actor=people.outsider_cadre,
            volunteer_id=volunteer.pk,
            source_id=5,
            hours=Decimal(1),
            reason="补录",
        )
    assert refused.value.code == PointErrorCode.VOLUNTEER_NOT_IN_SCOPE
    assert not HoursEntry.objects.exists()
    assert balances(volunteer) == (Decimal("0.00"), 0)
