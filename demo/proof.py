"""The demo's proof of service (docs/points.md, "Proof of service"), so that a new user sees
both waits: 张群众 (13900000001) has an order checked out without the code, whose hours wait
for them to confirm on its page; and a village volunteer has reported off-platform service
(补录) that waits for a cadre in the admin (待认证时长). Both made through the services;
idempotent, by the claims already there."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from orders.models import Order
from orders.services import order_accept, order_complete, order_dispatch, order_place, order_start
from points.models import HoursClaim
from points.services.proof import offline_claim_submit
from practice.models import Service
from volunteers.models import Volunteer


def seed_proof_examples(*, resident: User, server: Volunteer, reporter: Volunteer) -> None:
    if not HoursClaim.objects.filter(resident=resident).exists():
        order = order_place(
            resident=resident,
            service=Service.objects.get(center__level="city", name="买菜送药"),
            center=server.home_center,
            title="帮忙取药",
            address=f"{server.home_center.name}3栋201",
            contact_phone=resident.phone,
        )
        order_dispatch(actor=None, order_id=order.pk, volunteer=server)
        order_accept(volunteer=server, order_id=order.pk)
        order_start(volunteer=server, order_id=order.pk)
        Order.objects.filter(pk=order.pk).update(
            started_at=timezone.now() - datetime.timedelta(hours=1, minutes=35)
        )
        # Checked out without the resident's code: the hours wait for them.
        order_complete(volunteer=server, order_id=order.pk, summary="药已取回并送到家中")
    if not HoursClaim.objects.filter(volunteer=reporter, kind=HoursClaim.Kind.OFFLINE).exists():
        offline_claim_submit(
            volunteer=reporter,
            served_on=timezone.localdate() - datetime.timedelta(days=2),
            hours=Decimal("3.00"),
            description="参加社区文明劝导志愿服务（线下组织，未在平台派单）",
        )
