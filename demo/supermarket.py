"""The demo's love supermarket (爱心超市): a few items at 珠晖区's county center and at
衡州路街道, and one redemption by the demo volunteer (李志愿, 13700000001) waiting at the
counter, so /volunteer/supermarket/ has a shelf and /volunteer/redemptions/ a record, and
the cadres' admin (后台“积分兑换”) a hand-over to confirm.

Everything goes through the services: the items through item_save, the volunteer's points
through a county cadre's entry with its reason (ledger_adjust), the redemption through
redemption_request, which holds the points and the stock as a real one does.

Idempotent: an item already at its center under its name is left as a cadre keeps it; the
points entry is one by its source id; the redemption is made once (while the volunteer has
none).
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from points.models import Kind, PointsEntry, Redemption, Source, SupermarketItem
from points.services.ledger import ledger_adjust
from points.services.supermarket import item_save, redemption_request
from practice.models import Center
from volunteers.models import Volunteer

COUNTY = "430405"  # 珠晖区
TOWNSHIP = "430405007"  # 衡州路街道
# The source id of the demo's points entry (source "cadre"): far from any real record's.
DEMO_POINTS_RECORD = 7_100_000
DEMO_POINTS = 200


@dataclass(frozen=True)
class DemoItem:
    center: str
    name: str
    price: int
    stock: int
    description: str = ""


DEMO_ITEMS = [
    DemoItem(COUNTY, "大米（5 公斤）", 80, 20, "本地优质籼米，爱心企业捐赠。"),
    DemoItem(COUNTY, "食用油（1.8 升）", 60, 15),
    DemoItem(TOWNSHIP, "洗衣液（2 公斤）", 30, 30),
    DemoItem(TOWNSHIP, "毛巾两条装", 15, 40),
    DemoItem(TOWNSHIP, "理发券", 20, 10, "凭兑换编号到街道便民理发点使用一次。"),
]
# What the demo volunteer has redeemed, waiting to be collected.
DEMO_REDEMPTION = ("毛巾两条装", 2)


def seed_supermarket(*, cadre: User, volunteer: Volunteer) -> int:
    """``cadre`` is 珠晖区's county cadre (the items' keeper); ``volunteer`` the demo's
    first volunteer. Returns the number of items made by this run."""
    made = 0
    for row in DEMO_ITEMS:
        center = Center.objects.get(code=row.center)
        if SupermarketItem.objects.filter(center=center, name=row.name).exists():
            continue
        item_save(
            actor=cadre,
            item=SupermarketItem(
                center=center,
                name=row.name,
                description=row.description,
                price=row.price,
                stock=row.stock,
            ),
        )
        made += 1
    record = DEMO_POINTS_RECORD + volunteer.pk
    # Looked up first: the ledger tells a repeat from its constraint's name, which only
    # PostgreSQL reports, and the demo also runs on SQLite.
    given = PointsEntry.objects.filter(
        volunteer=volunteer, source=Source.CADRE, source_id=record, kind=Kind.ADJUSTED
    )
    if not given.exists():
        ledger_adjust(
            actor=cadre,
            volunteer_id=volunteer.pk,
            source_id=record,
            reason="补录往年线下志愿服务积分（演示数据）",
            points=DEMO_POINTS,
        )
    if not Redemption.objects.filter(volunteer=volunteer).exists():
        name, quantity = DEMO_REDEMPTION
        item = SupermarketItem.objects.get(center__code=TOWNSHIP, name=name)
        volunteer.refresh_from_db()
        redemption_request(volunteer=volunteer, item_id=item.pk, quantity=quantity)
    return made
