"""The demo's love supermarket: items at 珠晖区 and 衡州路街道, and one redemption by the
demo volunteer waiting at the counter, seeded once however often the demo is seeded. Loads
the real division file: a few seconds."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from demo.supermarket import DEMO_ITEMS, DEMO_POINTS, DEMO_REDEMPTION
from points.models import Kind, PointsEntry, Redemption, Source, SupermarketItem
from points.selectors.ledger import balances_recomputed
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_supermarket_and_one_redemption_once():
    # given the demo, seeded twice
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())

    # then the items are there once, and one redemption holds its points and stock
    assert SupermarketItem.objects.count() == len(DEMO_ITEMS)
    assert set(SupermarketItem.objects.values_list("center__code", flat=True)) == {
        "430405",
        "430405007",
    }
    volunteer = Volunteer.objects.get(user__phone="13700000001")
    redemption = Redemption.objects.get()
    name, quantity = DEMO_REDEMPTION
    assert (redemption.volunteer, redemption.item.name, redemption.quantity) == (
        volunteer,
        name,
        quantity,
    )
    assert redemption.status == Redemption.Status.REQUESTED
    assert redemption.item.stock == 40 - quantity
    volunteer.refresh_from_db()
    assert volunteer.points == balances_recomputed(volunteer_id=volunteer.pk).points
    assert (
        PointsEntry.objects.filter(
            source=Source.REDEMPTION, source_id=redemption.pk, kind=Kind.REDEEMED
        )
        .values_list("points", flat=True)
        .get()
        == -redemption.points
    )
    assert PointsEntry.objects.filter(reason__contains="演示", points=DEMO_POINTS).count() == 1
    assert "/volunteer/supermarket/" in out.getvalue()

    # and the volunteer's pages show the shelf and the record
    client = Client()
    client.force_login(volunteer.user)
    shelf = client.get("/volunteer/supermarket/")
    assert shelf.status_code == 200
    assert len(shelf.context["items"]) == len(DEMO_ITEMS)
    mine = client.get("/volunteer/redemptions/").content.decode()
    assert f"{name} × {quantity}" in mine
    assert "待领取" in mine
