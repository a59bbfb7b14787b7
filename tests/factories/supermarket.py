"""Love supermarket items and a volunteer's points, through the services (the item's
checks, the ledger's copied columns and cached balance)."""

from __future__ import annotations

from points.models import Kind, Source, SupermarketItem
from points.services.ledger import points_credit
from points.services.supermarket import item_save
from practice.models import Center
from volunteers.models import Volunteer

# Source ids of the points the tests give (source "cadre"): apart from any order's.
GIFT_BASE = 900_000


def stock_item(center: Center, name: str, *, price: int = 10, stock: int = 5, **fields: object):
    return item_save(
        actor=None,
        item=SupermarketItem(center=center, name=name, price=price, stock=stock, **fields),
    )


def give_points(volunteer: Volunteer, points: int, source_id: int = 1) -> None:
    assert points_credit(
        volunteer_id=volunteer.pk,
        source=Source.CADRE,
        source_id=GIFT_BASE + source_id,
        points=points,
        kind=Kind.ADJUSTED,
        reason="测试发放积分",
    )
