"""The demo's living village (demo/village.py): the volunteers seed_demo makes are real
candidates for automatic dispatch, in every slot of the week, for every service of the menu,
and a second run changes nothing."""

from __future__ import annotations

import datetime
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from accounts.services import resident_register
from demo.village import DEMO_VOLUNTEERS, VILLAGE
from orders.dispatch import auto_dispatch
from orders.models import Order, OrderEvent
from orders.selectors import dispatch_candidates
from orders.services import order_place
from points.models import HoursClaim, HoursEntry
from practice.models import Center, Service
from volunteers.availability import DAYS, PERIODS
from volunteers.models import Team, TeamMembership, Volunteer

pytestmark = pytest.mark.django_db

HENGYANG = zoneinfo.ZoneInfo("Asia/Shanghai")


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def next_monday(hour: int) -> datetime.datetime:
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    return datetime.datetime.combine(monday, datetime.time(hour, 30), tzinfo=HENGYANG)


def first_order(service: Service, *, phone: str = "13912345678") -> Order:
    """A new user's first order at 王江社区, as the order form places it."""
    resident = User.objects.filter(phone=phone).first() or resident_register(
        phone=phone, name="新用户", password="Demo#2026pass"
    )
    return order_place(
        resident=resident,
        service=service,
        center=Center.objects.get(code=VILLAGE),
        title=f"第一次点单：{service.name}",
        address="王江社区5栋302",
        contact_phone=phone,
    )


def menu_services() -> list[Service]:
    return list(Service.objects.filter(center__code="430400", is_active=True).order_by("id"))


def test_a_new_users_first_order_is_dispatched_automatically_in_the_village():
    # given the demo data as shipped
    seed()
    service = Service.objects.get(name="买菜送药")
    order = first_order(service)

    # when the real automatic dispatcher runs at ten on a Monday morning
    assert auto_dispatch(order_id=order.pk, at=next_monday(10)) is True

    # then it is offered to an insured 王江社区 volunteer with a skill the service asks for
    order.refresh_from_db()
    assert order.status == Order.Status.DISPATCHED
    assert order.flagged_at is None
    volunteer = order.dispatched_volunteer
    assert volunteer.home_center.code == VILLAGE
    assert volunteer.status == Volunteer.Status.ACTIVE
    assert volunteer.insurance_valid_until >= next_monday(10).date()
    wanted = set(service.skills.values_list("name", flat=True))
    assert wanted == {"家政与生活照料", "驾驶"}
    assert wanted & set(volunteer.skills.values_list("name", flat=True))
    assert OrderEvent.objects.filter(order=order, to_status=Order.Status.DISPATCHED).count() == 1


def test_every_service_finds_a_village_volunteer_in_every_slot_of_the_week():
    seed()
    services = menu_services()
    assert len(services) == 10
    orders = [first_order(service) for service in services]
    monday = next_monday(0).date()
    missing = []
    for offset, (_day, _label) in enumerate(DAYS):
        for _period, _plabel, start, _end in PERIODS:
            at = datetime.datetime.combine(
                monday + datetime.timedelta(days=offset), datetime.time(start), tzinfo=HENGYANG
            )
            for order in orders:
                found = dispatch_candidates(order, at=at, limit=1)
                if not found or found[0].home_center.code != VILLAGE:
                    missing.append((at.strftime("%a %H"), order.service.name))
    assert missing == []


def test_at_night_nobody_is_on_call_and_the_order_waits_unflagged():
    seed()
    order = first_order(Service.objects.get(name="健康义诊"))
    assert auto_dispatch(order_id=order.pk, at=next_monday(23)) is False
    order.refresh_from_db()
    assert (order.status, order.flagged_at) == (Order.Status.PLACED, None)


def test_the_volunteers_have_teams_history_and_hours_and_a_reseed_changes_nothing():
    out = seed()
    volunteers = Volunteer.objects.filter(user__phone__startswith="137000001")
    assert volunteers.count() == len(DEMO_VOLUNTEERS) >= 30
    assert f"新建 {len(DEMO_VOLUNTEERS)}" in out
    assert set(volunteers.values_list("status", flat=True)) == {Volunteer.Status.ACTIVE}
    village = volunteers.filter(home_center__code=VILLAGE)
    assert village.count() >= 15
    # every one of them is in their village's standing team
    assert all(
        TeamMembership.objects.filter(
            volunteer=v, team__kind=Team.Kind.STANDING, team__center=v.home_center
        ).exists()
        for v in volunteers
    )
    # history: rated orders served by them, each credited once in the hours ledger, in the past
    # (the one order whose hours wait for its resident, demo/proof.py, is not history)
    waiting = HoursClaim.objects.filter(order_id__isnull=False).values("order_id")
    served = Order.objects.filter(accepted_by__in=volunteers).exclude(pk__in=waiting)
    assert served.count() >= 15
    assert set(served.values_list("status", flat=True)) == {Order.Status.RATED}
    assert not served.filter(completed_at__gte=timezone.now() - datetime.timedelta(days=4)).exists()
    assert HoursEntry.objects.filter(source_id__in=served.values("pk")).count() == served.count()
    assert all(v.hours > 0 for v in village.filter(pk__in=served.values("accepted_by")))
    # the history's events are not news for anybody
    assert not OrderEvent.objects.filter(order__in=served, notified_at__isnull=True).exists()
    counts = (
        User.objects.count(),
        Volunteer.objects.count(),
        Order.objects.count(),
        OrderEvent.objects.count(),
        HoursEntry.objects.count(),
        TeamMembership.objects.count(),
        Team.objects.count(),
    )

    again = seed()

    assert (
        User.objects.count(),
        Volunteer.objects.count(),
        Order.objects.count(),
        OrderEvent.objects.count(),
        HoursEntry.objects.count(),
        TeamMembership.objects.count(),
        Team.objects.count(),
    ) == counts
    assert f"新建 0，已有 {len(DEMO_VOLUNTEERS)}" in again
    # and a demo volunteer signs in with the demo password
    assert volunteers.first().user.check_password("Hengyang@2026")


def test_insurance_about_to_lapse_is_renewed_by_the_next_run():
    seed()
    volunteer = Volunteer.objects.get(user__phone="13700000101")
    Volunteer.objects.filter(pk=volunteer.pk).update(
        insurance_valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    out = seed()
    volunteer.refresh_from_db()
    assert volunteer.insurance_valid_until > timezone.localdate() + datetime.timedelta(days=300)
    assert "续保 1 人" in out
