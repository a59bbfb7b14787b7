"""The demo's living village: 王江社区, its township 衡州路街道 and its county 珠晖区 staffed
with volunteers whom automatic dispatch can really pick, so that a new user's first order is
dispatched within seconds during the on-call periods.

What automatic dispatch asks of a candidate (orders.selectors, the ranking) and what the
data here gives each one: active (approved, 在册); insured on the day (valid a year, renewed
by a later run once it comes within a month of lapsing); a skill the service calls for (the
menu's services are given the skills they need, unless cadres set some already); free in
the weekly slot (volunteers.availability: every skill of the menu is on call in every slot
of the week in the village itself); the same village first, then the township, then the
county. Each also has some history: past orders served, rated and credited in the hours
ledger, made through the order services and then moved back in time.

Everything is idempotent: a run creates only what is missing, and history only for the
volunteers it creates.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.services import resident_register
from orders.models import Order, OrderEvent
from orders.proof import proof_code
from orders.services import (
    order_accept,
    order_complete,
    order_dispatch,
    order_place,
    order_rate,
    order_start,
)
from points.models import HoursEntry, PointsEntry, Source
from practice.models import Center, Level, Service
from volunteers.availability import ALL_SLOTS, DAYS, PERIODS, SLOT_BITS
from volunteers.identity import compose_id_number
from volunteers.models import Skill, Team, TeamMembership, Volunteer
from volunteers.services import (
    team_member_add,
    team_save,
    volunteer_create,
    volunteer_update_insurance,
    volunteer_update_preferences,
)

VILLAGE = "430405007006"  # 王江社区
TOWNSHIP = "430405007"  # 衡州路街道
COUNTY = "430405"  # 珠晖区
NEIGHBOUR_VILLAGES = ("430405007007", "430405007008")  # 新园社区, 白渔潭社区
OTHER_TOWNSHIP_VILLAGES = ("430405009007", "430405009009", "430405009012")  # 广东路街道

# The station's contact shown on the home page (the city center) and the village's own.
CENTER_CONTACTS = {
    "430400": ("衡阳市蒸湘区解放西路 8 号市民中心 3 楼", "0734-8000000"),
    VILLAGE: ("衡阳市珠晖区王江社区党群服务中心 1 楼", "0734-8000006"),
}

INSURER = "中国人寿衡阳市分公司"
INSURANCE_YEAR = datetime.timedelta(days=365)
INSURANCE_RENEW_WITHIN = datetime.timedelta(days=30)

# What each service of the starting menu calls for (the wish item calls for nobody in
# particular: any volunteer may bring a gift).
SERVICE_SKILLS = {
    "党史与政策宣讲": ("宣讲授课",),
    "法律咨询": ("法律服务",),
    "留守儿童课业辅导": ("课业辅导",),
    "心理疏导": ("心理咨询",),
    "文艺培训": ("文艺演出与培训",),
    "垃圾分类宣传": ("宣讲授课", "家政与生活照料"),
    "健康义诊": ("医疗护理",),
    "买菜送药": ("家政与生活照料", "驾驶"),
    "健身指导": ("健身指导",),
}


def _slots(days: tuple[str, ...], periods: tuple[str, ...]) -> int:
    mask = 0
    for day in days:
        for period in periods:
            mask |= SLOT_BITS[f"{day}_{period}"]
    return mask


_ALL_DAYS = tuple(day for day, _label in DAYS)
_WEEKDAYS = _ALL_DAYS[:5]
_WEEKEND = _ALL_DAYS[5:]
_ALL_PERIODS = tuple(period for period, *_rest in PERIODS)
WEEK = ALL_SLOTS  # retired: free any time of the week
DAYTIME = _slots(_ALL_DAYS, ("morning", "afternoon"))
WORKDAYS = _slots(_WEEKDAYS, _ALL_PERIODS)
AFTER_WORK = _slots(_ALL_DAYS, ("evening",)) | _slots(_WEEKEND, _ALL_PERIODS)
MORNINGS = _slots(_ALL_DAYS, ("morning",))


@dataclass(frozen=True)
class DemoVolunteer:
    name: str
    village: str
    skills: tuple[str, ...]
    availability: int
    party_member: bool = False


# Phones 137 0000 01xx: a block kept for the demo (the demo accounts are 13x0000000x).
# Every skill of the menu has someone free all week in 王江社区 itself, so an order there
# is dispatched in the village whatever the slot; others are free part of the week.
DEMO_VOLUNTEERS: tuple[DemoVolunteer, ...] = (
    DemoVolunteer("王秀英", VILLAGE, ("医疗护理", "心理咨询"), WEEK, True),
    DemoVolunteer("刘建国", VILLAGE, ("宣讲授课", "法律服务"), WEEK, True),
    DemoVolunteer("陈淑芬", VILLAGE, ("课业辅导", "文艺演出与培训"), WEEK),
    DemoVolunteer("杨志强", VILLAGE, ("驾驶", "家政与生活照料"), WEEK),
    DemoVolunteer("赵丽华", VILLAGE, ("健身指导", "文艺演出与培训"), WEEK),
    DemoVolunteer("黄伟", VILLAGE, ("法律服务", "心理咨询"), WEEK, True),
    DemoVolunteer("周桂兰", VILLAGE, ("家政与生活照料", "医疗护理"), DAYTIME),
    DemoVolunteer("吴海燕", VILLAGE, ("课业辅导", "信息技术"), AFTER_WORK),
    DemoVolunteer("徐明", VILLAGE, ("驾驶", "信息技术"), AFTER_WORK),
    DemoVolunteer("孙晓红", VILLAGE, ("心理咨询", "课业辅导"), WORKDAYS),
    DemoVolunteer("胡德胜", VILLAGE, ("宣讲授课", "健身指导"), MORNINGS, True),
    DemoVolunteer("朱小芳", VILLAGE, ("文艺演出与培训", "家政与生活照料"), AFTER_WORK),
    DemoVolunteer("高建军", VILLAGE, ("健身指导", "驾驶"), DAYTIME),
    DemoVolunteer("林静", VILLAGE, ("医疗护理", "课业辅导"), AFTER_WORK),
    DemoVolunteer("何玉梅", VILLAGE, ("家政与生活照料", "宣讲授课"), WORKDAYS),
    DemoVolunteer("郭强", VILLAGE, ("法律服务", "信息技术"), AFTER_WORK),
    DemoVolunteer("马俊", NEIGHBOUR_VILLAGES[0], ("驾驶", "家政与生活照料"), WORKDAYS),
    DemoVolunteer("罗春梅", NEIGHBOUR_VILLAGES[0], ("医疗护理",), DAYTIME),
    DemoVolunteer("梁文博", NEIGHBOUR_VILLAGES[0], ("课业辅导", "信息技术"), AFTER_WORK),
    DemoVolunteer("宋佳", NEIGHBOUR_VILLAGES[0], ("心理咨询",), WEEK),
    DemoVolunteer("郑国庆", NEIGHBOUR_VILLAGES[0], ("宣讲授课",), MORNINGS, True),
    DemoVolunteer("谢婷", NEIGHBOUR_VILLAGES[1], ("文艺演出与培训", "健身指导"), AFTER_WORK),
    DemoVolunteer("韩磊", NEIGHBOUR_VILLAGES[1], ("法律服务",), WORKDAYS),
    DemoVolunteer("唐雪梅", NEIGHBOUR_VILLAGES[1], ("家政与生活照料",), WEEK),
    DemoVolunteer("冯志刚", NEIGHBOUR_VILLAGES[1], ("驾驶",), DAYTIME),
    DemoVolunteer("邓丽", NEIGHBOUR_VILLAGES[1], ("课业辅导",), WEEK),
    DemoVolunteer("曹勇", OTHER_TOWNSHIP_VILLAGES[0], ("医疗护理", "驾驶"), WEEK),
    DemoVolunteer("彭慧", OTHER_TOWNSHIP_VILLAGES[0], ("心理咨询",), AFTER_WORK),
    DemoVolunteer("曾凡", OTHER_TOWNSHIP_VILLAGES[0], ("宣讲授课", "法律服务"), WEEK, True),
    DemoVolunteer("肖亮", OTHER_TOWNSHIP_VILLAGES[1], ("健身指导",), WEEK),
    DemoVolunteer("田甜", OTHER_TOWNSHIP_VILLAGES[1], ("文艺演出与培训",), WEEK),
    DemoVolunteer("董建华", OTHER_TOWNSHIP_VILLAGES[1], ("家政与生活照料",), DAYTIME),
    DemoVolunteer("袁芳", OTHER_TOWNSHIP_VILLAGES[2], ("课业辅导", "心理咨询"), WORKDAYS),
    DemoVolunteer("潘宇", OTHER_TOWNSHIP_VILLAGES[2], ("信息技术", "驾驶"), AFTER_WORK),
    DemoVolunteer("蒋敏", OTHER_TOWNSHIP_VILLAGES[2], ("医疗护理",), WEEK),
    DemoVolunteer("蔡文", OTHER_TOWNSHIP_VILLAGES[2], ("法律服务", "宣讲授课"), DAYTIME),
)
FIRST_DEMO_VOLUNTEER_PHONE = 13700000101


def demo_volunteer_phone(index: int) -> str:
    return str(FIRST_DEMO_VOLUNTEER_PHONE + index)


# Residents whose past orders the history is made of.
HISTORY_RESIDENTS = (("13900000002", "王阿姨"), ("13900000003", "李大爷"))
# A past order for each service: its title, address and the volunteer's summary.
HISTORY_ORDERS = {
    "医疗护理": ("健康义诊", "给老伴量血压、测血糖", "血压偏高，已叮嘱按时服药、少盐饮食。"),
    "心理咨询": ("心理疏导", "独居老人想找人说说话", "陪老人聊了一下午，约好下周再来。"),
    "宣讲授课": ("党史与政策宣讲", "楼栋党史学习小课堂", "讲了衡阳保卫战的故事，居民听得很认真。"),
    "法律服务": ("法律咨询", "咨询房屋租赁合同问题", "讲解了押金条款，建议补签书面合同。"),
    "课业辅导": ("留守儿童课业辅导", "孩子周末数学作业辅导", "辅导了分数应用题，孩子已掌握。"),
    "文艺演出与培训": ("文艺培训", "社区广场舞排练指导", "教了两支新曲目的队形变化。"),
    "家政与生活照料": ("买菜送药", "帮忙代购一周的蔬菜", "菜已送到，冰箱也帮忙整理好了。"),
    "驾驶": ("买菜送药", "陪奶奶去医院复查取药", "已陪同复查，药已取回。"),
    "健身指导": ("健身指导", "教老人用小区健身器材", "示范了三种器材的正确用法。"),
}
RATING_COMMENTS = ("服务很耐心，谢谢志愿者！", "来得很准时，非常满意。", "很热心，下次还找你们。")


@dataclass
class SeedReport:
    created: int = 0
    existing: int = 0
    history: int = 0
    renewed: int = 0


def _centers(codes: list[str]) -> dict[str, Center]:
    return {center.code: center for center in Center.objects.filter(code__in=codes)}


def _set_contacts() -> None:
    """Fill the contact of the city center and the demo village, unless cadres did."""
    for code, (address, phone) in CENTER_CONTACTS.items():
        Center.objects.filter(code=code, address="", contact_phone="").update(
            address=address, contact_phone=phone
        )


def _link_service_skills(city: Center) -> None:
    """Give the menu's services the skills they call for, where cadres set none."""
    skills = {skill.name: skill for skill in Skill.objects.filter(is_active=True)}
    for service in Service.objects.filter(center=city, name__in=SERVICE_SKILLS):
        if service.skills.exists():
            continue
        for name in SERVICE_SKILLS[service.name]:
            if name in skills:
                skills[name].services.add(service)


def _insure(actor: User, volunteer: Volunteer, today: datetime.date, number: str) -> bool:
    valid = volunteer.insurance_valid_until
    if valid is not None and valid >= today + INSURANCE_RENEW_WITHIN:
        return False
    volunteer_update_insurance(
        actor=actor,
        volunteer=volunteer,
        insurer=INSURER,
        insurance_number=number,
        valid_until=today + INSURANCE_YEAR,
    )
    return True


def _standing_team(center: Center) -> Team:
    team = Team.objects.filter(center=center, kind=Team.Kind.STANDING).first()
    if team is None:
        tier = Team.TIER_NAMES[Level(center.level)]
        team = team_save(
            actor=None,
            team=Team(center=center, kind=Team.Kind.STANDING, name=f"{center.name}志愿服务{tier}"),
        )
    return team


def _join(actor: User, team: Team, volunteer: Volunteer, role: str) -> None:
    if not team.memberships.filter(volunteer=volunteer, left_on__isnull=True).exists():
        team_member_add(actor=actor, team=team, volunteer=volunteer, role=role)


def _history(volunteer: Volunteer, skill: str, resident: User, index: int, days_ago: int) -> Order:
    """One past order served by ``volunteer``: placed, offered, accepted, checked in, out
    with its hours, and rated, all through the order services; then moved ``days_ago``
    back in time, its events marked as told (they are history, nobody needs telling)."""
    service_name, title, summary = HISTORY_ORDERS[skill]
    service = Service.objects.get(center__level="city", name=service_name)
    order = order_place(
        resident=resident,
        service=service,
        center=volunteer.home_center,
        title=title,
        address=f"{volunteer.home_center.name}{index % 9 + 1}栋{index % 5 + 1}0{index % 3 + 1}",
        contact_phone=resident.phone,
    )
    order_dispatch(actor=None, order_id=order.pk, volunteer=volunteer)
    order_accept(volunteer=volunteer, order_id=order.pk)
    order_start(volunteer=volunteer, order_id=order.pk)
    hours = Decimal("1.50") if index % 2 else Decimal("2.00")
    # Checked in ``hours`` ago, so that the hours claimed are within what elapsed.
    Order.objects.filter(pk=order.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=float(hours), minutes=5)
    )
    # The resident read the volunteer their code at check-out: the hours are certified.
    order_complete(
        volunteer=volunteer,
        order_id=order.pk,
        summary=summary,
        hours=hours,
        proof_code=proof_code(order.pk),
    )
    order_rate(
        resident=resident,
        order_id=order.pk,
        score=5 if index % 3 else 4,
        comment=RATING_COMMENTS[index % len(RATING_COMMENTS)],
    )
    back = datetime.timedelta(days=days_ago)
    Order.objects.filter(pk=order.pk).update(
        created_at=F("created_at") - back,
        updated_at=F("updated_at") - back,
        accepted_at=F("accepted_at") - back,
        started_at=F("started_at") - back,
        completed_at=F("completed_at") - back,
        accept_deadline=F("accept_deadline") - back,
    )
    OrderEvent.objects.filter(order=order).update(at=F("at") - back, notified_at=F("at") - back)
    for ledger in (HoursEntry, PointsEntry):
        ledger.objects.filter(source=Source.ORDER, source_id=order.pk).update(
            created_at=F("created_at") - back
        )
    return order


@transaction.atomic
def seed_village(*, password: str, cadre: User, legacy_volunteer: Volunteer | None) -> SeedReport:
    """Create the demo volunteers that are missing (with their history), renew lapsing
    insurance, and put everyone in their village's and township's standing teams.
    ``cadre`` is the county cadre who insures and enrols them; ``legacy_volunteer`` the
    demo's first volunteer (李志愿), made a real candidate too."""
    report = SeedReport()
    today = timezone.localdate()
    codes = [VILLAGE, TOWNSHIP, *NEIGHBOUR_VILLAGES, *OTHER_TOWNSHIP_VILLAGES, "430400"]
    centers = _centers(codes)
    _set_contacts()
    _link_service_skills(centers["430400"])
    skills = {skill.name: skill for skill in Skill.objects.all()}

    residents = []
    for phone, name in HISTORY_RESIDENTS:
        resident = User.objects.filter(phone=phone).first()
        if resident is None:
            resident = resident_register(phone=phone, name=name, password=None, phone_verified=True)
        residents.append(resident)

    phones = [demo_volunteer_phone(index) for index in range(len(DEMO_VOLUNTEERS))]
    users = {user.phone: user for user in User.objects.filter(phone__in=phones)}
    volunteers = {
        v.user.phone: v
        for v in Volunteer.objects.filter(user__phone__in=phones).select_related(
            "user", "home_center"
        )
    }
    new_users: list[int] = []
    created: list[tuple[int, Volunteer]] = []
    for index, (entry, phone) in enumerate(zip(DEMO_VOLUNTEERS, phones, strict=True)):
        volunteer = volunteers.get(phone)
        if volunteer is None:
            user = users.get(phone)
            if user is None:
                # No password hash per account (PBKDF2 costs most of a second): one for all,
                # set below.
                user = resident_register(
                    phone=phone, name=entry.name, password=None, phone_verified=True
                )
                new_users.append(user.pk)
            birth = datetime.date(1955 + index % 40, index % 12 + 1, index % 27 + 1)
            volunteer = volunteer_create(
                user=user,
                real_name=entry.name,
                id_number=compose_id_number(COUNTY, birth, 100 + index * 2 + (index % 2)),
                home_center=centers[entry.village],
                status=Volunteer.Status.ACTIVE,
                joined_on=today - datetime.timedelta(days=400 - index * 7),
            )
            volunteer_update_preferences(
                volunteer=volunteer,
                skills=[skills[name] for name in entry.skills],
                platforms=[],
                availability=entry.availability,
            )
            if entry.party_member:
                Volunteer.objects.filter(pk=volunteer.pk).update(is_party_member=True)
            created.append((index, volunteer))
            report.created += 1
        else:
            report.existing += 1
        if _insure(cadre, volunteer, today, f"ZHDEMO{today:%Y}{index + 1:04d}"):
            report.renewed += 1
        home = centers[entry.village]
        _join(cadre, _standing_team(home), volunteer, TeamMembership.Role.MEMBER)
        if entry.village in (VILLAGE, *NEIGHBOUR_VILLAGES):
            _join(cadre, _standing_team(centers[TOWNSHIP]), volunteer, TeamMembership.Role.MEMBER)
    if new_users:
        hashed = make_password(password)
        User.objects.filter(pk__in=[*new_users, *(r.pk for r in residents)]).update(password=hashed)
    elif any(not resident.has_usable_password() for resident in residents):
        User.objects.filter(pk__in=[r.pk for r in residents]).update(
            password=make_password(password)
        )

    if legacy_volunteer is not None:
        if not legacy_volunteer.availability:
            volunteer_update_preferences(
                volunteer=legacy_volunteer,
                skills=[skills["家政与生活照料"], skills["信息技术"]],
                platforms=[],
                availability=AFTER_WORK,
            )
        if _insure(cadre, legacy_volunteer, today, f"ZHDEMO{today:%Y}0000"):
            report.renewed += 1

    # Some history for the new ones: most village volunteers served once or twice.
    for index, volunteer in created:
        entry = DEMO_VOLUNTEERS[index]
        served = 2 if index % 3 == 0 else 1
        if entry.village != VILLAGE and index % 2:
            served = 0
        for turn in range(served):
            skill = entry.skills[turn % len(entry.skills)]
            if skill not in HISTORY_ORDERS:
                skill = entry.skills[0]
            if skill not in HISTORY_ORDERS:
                continue
            resident = residents[(index + turn) % len(residents)]
            _history(volunteer, skill, resident, index + turn, days_ago=5 + index * 2 + turn * 11)
            report.history += 1
    return report
