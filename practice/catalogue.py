"""The starting service menu a new deployment offers city-wide, drawn from what Hengyang's
centers actually run. Cadres edit it from there in the admin."""

from __future__ import annotations

from django.db import transaction

from practice.models import Center, Platform, Service
from practice.services import service_save

STARTING_MENU: list[tuple[str, str, str]] = [
    (Platform.THEORY, "党史与政策宣讲", "讲师团进村入户，讲党史、讲政策、讲身边事。"),
    (Platform.THEORY, "法律咨询", "志愿律师解答婚姻家庭、土地流转、劳动用工等问题。"),
    (Platform.EDUCATION, "留守儿童课业辅导", "返乡大学生和教师志愿者辅导作业、陪伴阅读。"),
    (Platform.EDUCATION, "心理疏导", "心理咨询志愿者为老人、青少年和困难群众谈心疏导。"),
    (Platform.EDUCATION, "微心愿", "群众说出一个小心愿，志愿者或爱心人士认领帮忙实现。"),
    (Platform.CULTURE, "文艺培训", "广场舞、花鼓戏、书法、版画等文艺培训。"),
    (Platform.CULTURE, "垃圾分类宣传", "入户宣传垃圾分类，指导分类投放。"),
    (Platform.SCIENCE, "健康义诊", "医务志愿者量血压、测血糖、讲解慢病防治。"),
    (Platform.SCIENCE, "买菜送药", "为独居老人、行动不便群众代购生活用品和药品。"),
    (Platform.FITNESS, "健身指导", "社会体育指导员指导科学健身、器材使用。"),
]
# Items of the menu through which residents post micro-wishes (Service.is_wish) rather than
# order a service.
WISH_SERVICES = frozenset({"微心愿"})


@transaction.atomic
def service_menu_install(*, city: Center) -> int:
    """Offer the starting menu at ``city``; entries already there are left as cadres made
    them. Returns how many were added."""
    existing = set(Service.objects.filter(center=city).values_list("name", flat=True))
    added = 0
    for sort_order, (platform, name, description) in enumerate(STARTING_MENU, start=1):
        if name in existing:
            continue
        service_save(
            actor=None,
            service=Service(
                center=city,
                platform=platform,
                name=name,
                description=description,
                sort_order=sort_order * 10,
                is_wish=name in WISH_SERVICES,
            ),
        )
        added += 1
    return added
