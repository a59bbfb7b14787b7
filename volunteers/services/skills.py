"""The skills catalogue."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, clean_or_refuse
from practice.scoping import manages_whole_tree
from volunteers.errors import VolunteerErrorCode
from volunteers.models import (
    Skill,
)


def skill_validate(*, actor: User | None, skill: Skill) -> None:
    """The skill list is the city's: only a cadre of the whole tree (or the system, actor
    None) keeps it."""
    if actor is not None and not manages_whole_tree(actor):
        raise DomainError(
            _("志愿技能目录由市级中心维护。"), code=VolunteerErrorCode.SKILL_FORBIDDEN
        )
    skill.name = (skill.name or "").strip()
    clean_or_refuse(skill)


@transaction.atomic
def skill_save(*, actor: User | None, skill: Skill) -> Skill:
    """Add or change a skill; skills are switched off (is_active), never deleted, because
    volunteers and services keep referring to them."""
    skill_validate(actor=actor, skill=skill)
    skill.save()
    return skill
