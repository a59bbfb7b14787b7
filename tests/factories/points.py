"""Service hours and points, written through points.services.ledger (it copies the scoping
columns in the INSERT, which a raw row would leave to the test to get right), and orders
served through the order flow itself."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from orders.models import Order
from orders.proof import proof_code
from orders.services import order_accept, order_complete, order_dispatch, order_start
from points.models import HoursEntry, Kind, Source, StarCertification
from points.selectors.stars import current_policy
from points.services.ledger import hours_credit
from practice.models import Service
from tests.factories.orders import OrderFactory
from tests.factories.volunteers import make_dispatchable
from volunteers.models import Volunteer


def credit(volunteer: Volunteer, source_id: int, hours: str = "1.50") -> HoursEntry:
    """``hours`` for order ``source_id``, credited once; the entry it made."""
    assert hours_credit(
        volunteer_id=volunteer.pk, source="order", source_id=source_id, hours=Decimal(hours)
    )
    return HoursEntry.objects.get(source="order", source_id=source_id, volunteer=volunteer)


def serve(
    *,
    resident: User,
    cadre: User,
    volunteer: Volunteer,
    service: Service,
    hours: str | None = None,
    started_hours_ago: int = 3,
) -> Order:
    """An order of ``service`` at the volunteer's village, dispatched by ``cadre``, accepted,
    served for ``started_hours_ago`` hours and completed (claiming ``hours`` if given): the
    whole flow, so the award is the one completion makes."""
    order = OrderFactory(resident=resident, service=service, center=volunteer.home_center)
    make_dispatchable(volunteer, cadre=cadre)
    order_dispatch(actor=cadre, order_id=order.pk, volunteer=volunteer)
    order_accept(volunteer=volunteer, order_id=order.pk)
    order_start(volunteer=volunteer, order_id=order.pk)
    Order.objects.filter(pk=order.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=started_hours_ago)
    )
    return order_complete(
        volunteer=volunteer,
        order_id=order.pk,
        summary="已完成",
        hours=None if hours is None else Decimal(hours),
        # The resident's code, so the hours are certified at check-out (orders.proof).
        proof_code=proof_code(order.pk),
    )


def with_stars(volunteer: Volunteer, stars: int) -> Volunteer:
    """``volunteer`` holding ``stars`` levels in force: the certified hours of that level in
    the ledger, each level certified (its notice over) as the policy of points.models.stars
    has it. The rows are written here rather than walked through a cadre's confirmation and
    seven days of notice, which tests/points/test_stars.py walks."""
    policy = {step.level: step for step in current_policy()}
    if stars:
        needed = policy[stars].threshold_hours - volunteer.hours
        if needed > 0:
            hours_credit(
                volunteer_id=volunteer.pk,
                source=Source.CADRE,
                source_id=900_000 + volunteer.pk,
                hours=needed,
                kind=Kind.ADJUSTED,
                reason="测试：星级所需时长",
            )
    volunteer.refresh_from_db()
    for level in range(1, stars + 1):
        StarCertification.objects.update_or_create(
            volunteer=volunteer,
            level=level,
            defaults={
                "policy_version": policy[level].version,
                "threshold_hours": policy[level].threshold_hours,
                "certifying_tier": policy[level].certifying_tier,
                "status": StarCertification.Status.CERTIFIED,
                "home_center_id": volunteer.home_center_id,
                "township_id": volunteer.township_id,
                "county_id": volunteer.county_id,
                "confirmed_at": timezone.now() - datetime.timedelta(days=30),
                "notice_ends_at": timezone.now() - datetime.timedelta(days=23),
            },
        )
    return volunteer
