"""Property: whatever sequence of awards, bonuses, reversals, redemptions, refunds,
adjustments and expiries the ledgers go through, the balances cached on each volunteer are
the ledgers' sums, and points are never negative."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from points.models import Kind, PointsEntry, Source
from points.selectors.ledger import balances_cached, balances_recomputed
from points.services.ledger import (
    ledger_adjust,
    points_credit,
    points_expire,
    rating_award,
    service_award,
    source_reverse,
)
from points.services.rules import rules_publish
from tests.factories.volunteers import make_volunteer
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

HENGYANG = zoneinfo.ZoneInfo("Asia/Shanghai")
YEARS = [2023, 2024, 2025]
sources = st.integers(min_value=1, max_value=4)
who = st.integers(min_value=0, max_value=1)

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("award"),
            who,
            sources,
            st.decimals(min_value=0, max_value=8, places=2),
            st.sampled_from(YEARS),
        ),
        st.tuples(st.just("bonus"), who, sources),
        st.tuples(st.just("reverse"), who, sources),
        st.tuples(st.just("redeem"), who, sources, st.integers(min_value=1, max_value=60)),
        st.tuples(st.just("refund"), who, sources),
        st.tuples(st.just("adjust"), who, sources, st.integers(min_value=-30, max_value=30)),
        st.tuples(st.just("expire"), st.sampled_from([2025, 2026, 2027])),
    ),
    min_size=1,
    max_size=14,
)


def run(step, people, volunteers: list[Volunteer], village_id: int) -> None:
    kind = step[0]
    if kind == "expire":
        points_expire(today=datetime.date(step[1], 1, 1))
        return
    volunteer = volunteers[step[1]]
    source_id = step[2]
    if kind == "award":
        hours, year = step[3], step[4]
        if service_award(
            volunteer_id=volunteer.pk, source=Source.ORDER, source_id=source_id, hours=hours
        ):
            PointsEntry.objects.filter(
                volunteer=volunteer, source=Source.ORDER, source_id=source_id
            ).update(created_at=datetime.datetime(year, 6, 1, tzinfo=HENGYANG))
    elif kind == "bonus":
        rating_award(
            volunteer_id=volunteer.pk,
            order_id=source_id,
            score=5,
            center_id=village_id,
            township_id=None,
            county_id=None,
        )
    elif kind == "reverse":
        source_reverse(
            actor=people.city_cadre,
            volunteer_id=volunteer.pk,
            source=Source.ORDER,
            source_id=source_id,
            reason="复核冲销",
        )
    elif kind == "redeem":
        try:
            points_credit(
                volunteer_id=volunteer.pk,
                source=Source.REDEMPTION,
                source_id=source_id,
                points=-step[3],
                kind=Kind.REDEEMED,
            )
        except DomainError:
            pass  # not enough points: refused, nothing written
    elif kind == "refund":
        held = PointsEntry.objects.filter(
            volunteer=volunteer, source=Source.REDEMPTION, source_id=source_id, kind="redeemed"
        ).first()
        if held is not None:
            points_credit(
                volunteer_id=volunteer.pk,
                source=Source.REDEMPTION,
                source_id=source_id,
                points=-held.points,
                kind=Kind.REFUNDED,
            )
    elif kind == "adjust":
        try:
            ledger_adjust(
                actor=people.city_cadre,
                volunteer_id=volunteer.pk,
                source_id=source_id,
                points=step[3],
                reason="调整",
            )
        except DomainError:
            pass  # a debit the balance cannot cover


@pytest.fixture
def pair(tree, people) -> list[Volunteer]:
    rules_publish(
        actor=people.city_cadre,
        points_per_hour=Decimal(10),
        rating_bonus=5,
        order_cap=40,
        expiry_enabled=True,
        coefficients={},
    )
    return [Volunteer.objects.get(user=people.volunteer), make_volunteer(2, tree.village_a2)]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=steps)
def test_cached_balances_are_the_ledgers_sums(people, tree, pair, sequence):
    with transaction.atomic():
        for step in sequence:
            run(step, people, pair, tree.village_a.pk)
        for volunteer in pair:
            cached = balances_cached(volunteer_id=volunteer.pk)
            assert cached == balances_recomputed(volunteer_id=volunteer.pk)
            assert cached.points >= 0
            assert cached.hours >= 0
        transaction.set_rollback(True)
