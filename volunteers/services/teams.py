"""Teams (志愿服务队) and their memberships."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ConflictError, DomainError, NotInScope, clean_or_refuse
from practice.ancestry import path_of
from practice.models import Center
from practice.scoping import center_in_scope
from volunteers.errors import VolunteerErrorCode
from volunteers.models import (
    Team,
    TeamMembership,
    Volunteer,
)
from volunteers.selectors import can_manage_members


def _require_team_scope(actor: User | None, center: Center) -> None:
    if actor is not None and not center_in_scope(actor, center):
        raise NotInScope(
            _("阵地不存在或不在您的管辖范围内。"), code=VolunteerErrorCode.CENTER_NOT_IN_SCOPE
        )


def team_validate(*, actor: User | None, team: Team) -> None:
    if team.pk is not None:
        original = Team.objects.select_related("center").get(pk=team.pk)
        _require_team_scope(actor, original.center)
    center = getattr(team, "center", None)
    if center is None:
        raise DomainError(
            _("请选择所属阵地。"), code=VolunteerErrorCode.CENTER_REQUIRED, field="center"
        )
    _require_team_scope(actor, center)
    team.name = (team.name or "").strip()
    if team.kind == Team.Kind.STANDING:
        team.specialty = ""
    clean_or_refuse(team)


@transaction.atomic
def team_save(*, actor: User | None, team: Team) -> Team:
    team_validate(actor=actor, team=team)
    moved = (
        team.pk is not None
        and Team.objects.filter(pk=team.pk).exclude(center_id=team.center_id).exists()
    )
    team.save()
    if moved:
        # The memberships copy the team's center and its path (TeamMembership.center).
        township_id, county_id, city_id = path_of(team.center)
        TeamMembership.objects.filter(team=team).update(
            center_id=team.center_id, township_id=township_id, county_id=county_id, city_id=city_id
        )
    return team


def _lives_under_team(volunteer: Volunteer, team: Team) -> bool:
    """Whether the volunteer's home lies in the subtree of the team's center, judged by the
    database on both rows as they are now, not on what the caller's instances remember."""
    team_covers_home = Team.objects.filter(
        pk=team.pk,
        center__tree_id=OuterRef("home_center__tree_id"),
        center__lft__lte=OuterRef("home_center__lft"),
        center__rght__gte=OuterRef("home_center__rght"),
    )
    return Volunteer.objects.filter(pk=volunteer.pk).filter(Exists(team_covers_home)).exists()


def team_member_validate(*, actor: User, team: Team, volunteer: Volunteer, role: str) -> None:
    """The checks of ``team_member_add`` without the write, so that a form can show them
    next to its fields; the unique constraint still decides a race between two adds.

    A team recruits where its center reaches: a city team from the whole city, a village
    unit from that village only. Whoever may manage the team manages (or leads) that
    subtree, so the rule also keeps a cadre from reaching volunteers outside their own.
    It is checked before the volunteer's status, so that a leader, who has no scope, learns
    nothing about people living elsewhere.
    """
    if not can_manage_members(actor, team):
        raise NotInScope(_("队伍不存在或您无权管理。"), code=VolunteerErrorCode.TEAM_NOT_MANAGED)
    if not _lives_under_team(volunteer, team):
        raise DomainError(
            _("只能添加家住本队所在阵地（含下级村、社区）的志愿者。"),
            code=VolunteerErrorCode.VOLUNTEER_OUTSIDE_TEAM_AREA,
            field="volunteer",
        )
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise DomainError(
            _("只有在册志愿者可以入队。"),
            code=VolunteerErrorCode.VOLUNTEER_NOT_ACTIVE,
            field="volunteer",
        )
    if role not in TeamMembership.Role.values:
        raise DomainError(_("队内职务无效。"), code=VolunteerErrorCode.ROLE_INVALID, field="role")
    if TeamMembership.objects.filter(team=team, volunteer=volunteer, left_on__isnull=True).exists():
        raise DomainError(
            _("该志愿者已在此队伍中。"), code=VolunteerErrorCode.ALREADY_MEMBER, field="volunteer"
        )


@transaction.atomic
def team_member_add(
    *,
    actor: User,
    team: Team,
    volunteer: Volunteer,
    role: str = TeamMembership.Role.MEMBER,
    joined_on: datetime.date | None = None,
) -> TeamMembership:
    team_member_validate(actor=actor, team=team, volunteer=volunteer, role=role)
    township_id, county_id, city_id = path_of(team.center)
    try:
        with transaction.atomic():
            return TeamMembership.objects.create(
                team=team,
                volunteer=volunteer,
                role=role,
                joined_on=joined_on or timezone.localdate(),
                center_id=team.center_id,
                township_id=township_id,
                county_id=county_id,
                city_id=city_id,
            )
    except IntegrityError as exc:
        raise DomainError(
            _("该志愿者已在此队伍中。"), code=VolunteerErrorCode.ALREADY_MEMBER
        ) from exc


@transaction.atomic
def team_member_set_role(*, actor: User, membership: TeamMembership, role: str) -> TeamMembership:
    if not can_manage_members(actor, membership.team):
        raise NotInScope(_("队伍不存在或您无权管理。"), code=VolunteerErrorCode.TEAM_NOT_MANAGED)
    if membership.left_on is not None:
        raise ConflictError(_("该队员已离队。"), code=VolunteerErrorCode.ALREADY_LEFT)
    if role not in TeamMembership.Role.values:
        raise DomainError(_("队内职务无效。"), code=VolunteerErrorCode.ROLE_INVALID, field="role")
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def team_member_remove(*, actor: User, membership: TeamMembership) -> TeamMembership:
    """Close the membership: the volunteer leaves the team today; the history stays."""
    if not can_manage_members(actor, membership.team):
        raise NotInScope(_("队伍不存在或您无权管理。"), code=VolunteerErrorCode.TEAM_NOT_MANAGED)
    if membership.left_on is not None:
        raise ConflictError(_("该队员已离队。"), code=VolunteerErrorCode.ALREADY_LEFT)
    membership.left_on = timezone.localdate()
    membership.save(update_fields=["left_on", "updated_at"])
    return membership
