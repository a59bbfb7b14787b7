"""The persona matrix of the contact policy: who reads an order's resident name, phone and
address in clear, who reads the order with them masked, and who does not read it at all.

One table, run against every surface that shows an order (the HTML order page, the API's
detail and list, the admin for cadres: tests/orders/test_contact_policy.py), so that the
surfaces cannot disagree. Each persona comes with the state the order must be in for the
case (offered, held, completed some days ago, a claimed wish), built through the services.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from django.utils import timezone

from accounts.models import User
from accounts.services import resident_register
from orders.models import Order
from orders.services import (
    order_accept,
    order_complete,
    order_dispatch,
    order_start,
    wish_claim,
    wish_claim_confirm,
)
from tests.conftest import PASSWORD
from tests.orders.conftest import make_team, make_volunteer, place
from volunteers.models import Volunteer

CLEAR = "clear"
MASKED = "masked"
ABSENT = "absent"  # the order is not theirs to read: 404 (the page, the API, the admin)
SIGN_IN = "sign_in"  # anonymous: the page sends to sign-in, the API says 401

PHONE = "13900000002"
ADDRESS = "王江社区3栋201"


@dataclass(frozen=True)
class Case:
    """A persona and the order as they meet it."""

    user: User | None
    order: Order


def _order(ctx: SimpleNamespace, **overrides: object) -> Order:
    return place(ctx.people, ctx.menu, ctx.tree.village_a, **overrides)


def _offered_by_name(ctx: SimpleNamespace) -> tuple[Order, Volunteer]:
    order = _order(ctx)
    # A fresh number each time, so that one test may meet several cases.
    number = 200 + Volunteer.objects.count()
    volunteer = make_volunteer(number, ctx.tree.village_a, cadre=ctx.people.city_cadre)
    order_dispatch(actor=ctx.people.village_cadre, order_id=order.pk, volunteer=volunteer)
    return order, volunteer


def _held(ctx: SimpleNamespace) -> Case:
    order, volunteer = _offered_by_name(ctx)
    order_accept(volunteer=volunteer, order_id=order.pk)
    return Case(volunteer.user, order)


def _completed(ctx: SimpleNamespace, *, days_ago: int) -> Case:
    order, volunteer = _offered_by_name(ctx)
    order_accept(volunteer=volunteer, order_id=order.pk)
    order_start(volunteer=volunteer, order_id=order.pk)
    order_complete(volunteer=volunteer, order_id=order.pk, summary="已送药上门")
    # Test set-up only: move the completion back in time.
    Order.objects.filter(pk=order.pk).update(
        completed_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return Case(volunteer.user, order)


def _team_member_offered(ctx: SimpleNamespace) -> Case:
    order = _order(ctx)
    members = [make_volunteer(n, ctx.tree.village_a, cadre=ctx.people.city_cadre) for n in (211,)]
    team = make_team(ctx.tree.village_a, ctx.people.city_cadre, members, "王江社区小队")
    order_dispatch(actor=ctx.people.village_cadre, order_id=order.pk, team=team)
    return Case(members[0].user, order)


def _wish(ctx: SimpleNamespace) -> Order:
    return _order(ctx, kind=Order.Kind.WISH, title="想要一个书包")


def _donor(ctx: SimpleNamespace, *, confirmed: bool) -> Case:
    wish = _wish(ctx)
    donor = resident_register(phone="13600000001", name="爱心人士", password=PASSWORD)
    wish_claim(donor=donor, order_id=wish.pk)
    if confirmed:
        wish_claim_confirm(actor=ctx.people.resident, order_id=wish.pk)
    return Case(donor, wish)


def _other_volunteer(ctx: SimpleNamespace) -> Case:
    order, _volunteer = _offered_by_name(ctx)
    other = make_volunteer(221, ctx.tree.village_a, cadre=ctx.people.city_cadre)
    return Case(other.user, order)


def _as(name: str) -> Callable[[SimpleNamespace], Case]:
    return lambda ctx: Case(getattr(ctx.people, name), _order(ctx))


# persona → (how to meet the order, what they read of its contact)
PERSONAS: dict[str, tuple[Callable[[SimpleNamespace], Case], str]] = {
    "resident_owner": (_as("resident"), CLEAR),
    "other_resident": (
        lambda ctx: Case(
            resident_register(phone="13600000009", name="王邻居", password=PASSWORD), _order(ctx)
        ),
        ABSENT,
    ),
    "volunteer_holding": (_held, CLEAR),
    "volunteer_completed_2_days_ago": (lambda ctx: _completed(ctx, days_ago=2), CLEAR),
    "volunteer_completed_4_days_ago": (lambda ctx: _completed(ctx, days_ago=4), MASKED),
    "volunteer_offered_by_name": (
        lambda ctx: (lambda pair: Case(pair[1].user, pair[0]))(_offered_by_name(ctx)),
        MASKED,
    ),
    "team_member_offered": (_team_member_offered, MASKED),
    "other_volunteer": (_other_volunteer, ABSENT),
    "village_cadre": (_as("village_cadre"), CLEAR),
    "township_cadre": (_as("township_cadre"), CLEAR),
    "county_cadre": (_as("county_cadre"), CLEAR),
    "city_cadre": (_as("city_cadre"), CLEAR),
    "outsider_cadre": (_as("outsider_cadre"), ABSENT),
    "donor_before_confirmation": (lambda ctx: _donor(ctx, confirmed=False), MASKED),
    "donor_after_confirmation": (lambda ctx: _donor(ctx, confirmed=True), CLEAR),
    "anonymous": (lambda ctx: Case(None, _order(ctx)), SIGN_IN),
}

CADRES = ("village_cadre", "township_cadre", "county_cadre", "city_cadre", "outsider_cadre")
