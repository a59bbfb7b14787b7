"""Order fixtures: the service menu, dispatchable volunteers, a team, and a placed order.

Availability depends on the clock, so dispatch is always asked about the fixed moment ``AT``
(a Monday morning in Hengyang) with volunteers free in every slot unless a test says
otherwise.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from types import SimpleNamespace

import pytest

from accounts.models import User
from orders.models import Order
from practice.catalogue import service_menu_install
from practice.models import Center, Platform, Service
from practice.services import service_save
from tests.factories.orders import PHONE, OrderFactory
from tests.factories.volunteers import INSURED_UNTIL, make_dispatchable
from tests.factories.volunteers import make_team as factory_team
from tests.factories.volunteers import make_volunteer as factory_volunteer
from volunteers.availability import ALL_SLOTS
from volunteers.models import Skill, Team, TeamMembership, Volunteer
from volunteers.services import volunteer_update_insurance, volunteer_update_preferences

# Monday 2026-11-23, 10:00 in Hengyang: the mon_morning slot.
AT = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
__all__ = ["AT", "INSURED_UNTIL", "PHONE", "make_team", "make_volunteer", "place"]


def make_volunteer(
    number: int,
    center: Center,
    *,
    cadre: User,
    insured_until: datetime.date | None = INSURED_UNTIL,
    availability: int = ALL_SLOTS,
    skills: Iterable[Skill] = (),
    status: str = Volunteer.Status.ACTIVE,
) -> Volunteer:
    """An active volunteer of ``center``, insured and free all week unless told otherwise."""
    return make_dispatchable(
        factory_volunteer(number, center, status=status),
        cadre=cadre,
        insured_until=insured_until,
        availability=availability,
        skills=skills,
        insurance_number=f"P{number:06d}",
    )


@pytest.fixture
def menu(tree) -> SimpleNamespace:
    """The city-wide starting menu, plus one service offered by county B alone."""
    service_menu_install(city=tree.city)
    by_name = {service.name: service for service in Service.objects.filter(center=tree.city)}
    county_b_only = service_save(
        actor=None,
        service=Service(center=tree.county_b, platform=Platform.CULTURE, name="雁峰花鼓戏"),
    )
    return SimpleNamespace(
        errand=by_name["买菜送药"], clinic=by_name["健康义诊"], county_b_only=county_b_only
    )


def place(people, menu, center: Center, *, title: str = "帮忙买药", **overrides) -> Order:
    fields = {"resident": people.resident, "service": menu.errand, "center": center}
    fields.update(overrides)
    return OrderFactory(title=title, **fields)


@pytest.fixture
def order(tree, people, menu) -> Order:
    """A service order placed at village A by the persona resident."""
    return place(people, menu, tree.village_a)


@pytest.fixture
def helper(tree, people) -> Volunteer:
    """The persona volunteer made dispatchable: insured and free all week."""
    volunteer = Volunteer.objects.get(user=people.volunteer)
    volunteer_update_preferences(
        volunteer=volunteer, skills=[], platforms=[], availability=ALL_SLOTS
    )
    return volunteer_update_insurance(
        actor=people.city_cadre,
        volunteer=volunteer,
        insurer="中国人寿",
        insurance_number="P000001",
        valid_until=INSURED_UNTIL,
    )


def make_team(center: Center, actor, members: Iterable[Volunteer], name: str) -> Team:
    return factory_team(center, actor, members, name)


@pytest.fixture
def team(tree, people) -> SimpleNamespace:
    """Village A's unit with three members (not the persona volunteer)."""
    members = [
        make_volunteer(number, tree.village_a, cadre=people.city_cadre)
        for number in (101, 102, 103)
    ]
    unit = make_team(tree.village_a, people.city_cadre, members, "王江社区志愿服务小队")
    assert TeamMembership.objects.filter(team=unit).count() == 3
    return SimpleNamespace(team=unit, members=members)
