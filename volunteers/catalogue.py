"""The starting skill list. Migration 0002 installs a frozen copy of it; this one serves
code that must make sure it is there (tests that flush the database, a repaired install)."""

from __future__ import annotations

from volunteers.models import Skill

DEFAULT_SKILLS = [
    "课业辅导",
    "医疗护理",
    "法律服务",
    "心理咨询",
    "驾驶",
    "宣讲授课",
    "文艺演出与培训",
    "信息技术",
    "健身指导",
    "家政与生活照料",
]


def default_skills_install() -> int:
    """Add whichever default skills are missing; cadres' edits to the others stay."""
    existing = set(Skill.objects.filter(name__in=DEFAULT_SKILLS).values_list("name", flat=True))
    missing = [
        Skill(name=name, sort_order=order * 10)
        for order, name in enumerate(DEFAULT_SKILLS, start=1)
        if name not in existing
    ]
    Skill.objects.bulk_create(missing)
    return len(missing)
