"""The demo's benefits catalogue (礼遇).

Benefits are offered city-wide by the city center and in 珠晖区 by its county center, a few
per level, one extending to the volunteer's children. The demo's first volunteer (李志愿,
13700000001) holds two stars (demo/stars.py), so that their benefits page
(/volunteer/benefits/) lists what two stars open and, greyed, what three would.

Idempotent: a benefit already at its center under its title is left as a cadre keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass

from points.models import Benefit
from points.services.benefits import benefit_save
from practice.models import Center

CITY = "430400"
COUNTY = "430405"  # 珠晖区


@dataclass(frozen=True)
class DemoBenefit:
    center: str
    title: str
    category: str
    provider: str
    min_stars: int
    description: str = ""
    extends_to_children: bool = False


C = Benefit.Category
DEMO_BENEFITS = [
    DemoBenefit(
        CITY,
        "市内 A 级景区免门票",
        C.SCENIC,
        "衡阳市文化旅游广电体育局",
        1,
        "凭星级志愿者卡，本人免首道门票游览南岳衡山、石鼓书院等市内 A 级景区。",
    ),
    DemoBenefit(
        CITY,
        "市内公交免费乘车",
        C.TRANSPORT,
        "衡阳市公交集团",
        2,
        "凭星级志愿者卡免费乘坐市内公交线路。",
    ),
    DemoBenefit(
        CITY,
        "年度免费健康体检",
        C.HEALTH,
        "衡阳市中心医院",
        3,
        "每年一次免费基础健康体检，需提前预约。",
    ),
    DemoBenefit(
        CITY,
        "政务服务优先办理",
        C.PRIORITY,
        "衡阳市政务服务中心",
        4,
        "在市、县两级政务服务大厅享受优先办理。",
    ),
    DemoBenefit(
        CITY,
        "子女入学优先考虑",
        C.CHILDREN,
        "衡阳市教育局",
        5,
        "五星级志愿者子女在同等条件下优先考虑入学。",
        extends_to_children=True,
    ),
    DemoBenefit(
        COUNTY,
        "珠晖区图书馆优先借阅",
        C.PRIORITY,
        "珠晖区图书馆",
        1,
        "借阅图书时优先办理，借期延长一倍。",
    ),
    DemoBenefit(
        COUNTY,
        "子女暑期托管优先",
        C.CHILDREN,
        "珠晖区青少年活动中心",
        2,
        "志愿者子女报名暑期托管班时优先录取。",
        extends_to_children=True,
    ),
    DemoBenefit(
        COUNTY,
        "珠晖区人民医院挂号优先",
        C.HEALTH,
        "珠晖区人民医院",
        3,
        "门诊挂号、就诊优先。",
    ),
]


def seed_benefits() -> int:
    """The demo's benefits that are missing; how many were made."""
    centers = {center.code: center for center in Center.objects.filter(code__in=[CITY, COUNTY])}
    made = 0
    for item in DEMO_BENEFITS:
        center = centers[item.center]
        if Benefit.objects.filter(center=center, title=item.title).exists():
            continue
        benefit_save(
            actor=None,
            benefit=Benefit(
                center=center,
                title=item.title,
                category=item.category,
                provider=item.provider,
                min_stars=item.min_stars,
                description=item.description,
                extends_to_children=item.extends_to_children,
            ),
        )
        made += 1
    return made
