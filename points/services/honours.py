"""The annual honours (评选表彰, docs/points.md "Leaderboards and honours"): a county's or
the city's cadre nominates a volunteer of their subtree for a year, with a reason, from the
year's figures; a city cadre confirms or rejects; the confirmed are published
(points.views.honours). Every write in a transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.http import account_of
from accounts.models import User
from core.errors import ConflictError, DomainError, NotInScope
from points.errors import PointErrorCode
from points.models import Honour, HoursSummary
from points.services.stars import TierRefused
from practice.models import CadreRole, Level
from practice.scoping import ROLE_COLUMNS, manages_whole_tree, scope_queryset
from volunteers.models import Volunteer

H = Honour.Status
# The tiers that nominate: the honours are the city's and the counties' (区县) lists.
NOMINATING_LEVELS = (Level.CITY, Level.COUNTY)


def _nominating_roles(actor: User) -> list[tuple[int, str, int, int, int]]:
    return list(
        CadreRole.objects.filter(
            user=account_of(actor), center__level__in=NOMINATING_LEVELS
        ).values_list(*ROLE_COLUMNS)
    )


def may_nominate(actor: User) -> bool:
    return actor.is_superuser or bool(_nominating_roles(actor))


@transaction.atomic
def honour_nominate(*, actor: User, volunteer_id: int, year: int, reason: str) -> Honour:
    """Nominate an active volunteer living in the subtree of one of the actor's county or
    city roles, for ``year``, with a reason; the year's certified hours (the leaderboard's
    figure) are copied onto the nomination. Once per volunteer and year."""
    reason = reason.strip()
    if not reason:
        raise DomainError(
            _("请填写推荐理由。"), code=PointErrorCode.REASON_REQUIRED, field="reason"
        )
    volunteers = Volunteer.objects.filter(pk=volunteer_id, status=Volunteer.Status.ACTIVE)
    in_scope = scope_queryset(volunteers, actor, via="home_center").first()
    if in_scope is None:
        raise NotInScope(
            _("志愿者不存在或不在您的管辖范围内。"),
            code=PointErrorCode.HONOUR_VOLUNTEER_NOT_IN_SCOPE,
        )
    if (
        not actor.is_superuser
        and not scope_queryset(
            volunteers, actor, via="home_center", roles=_nominating_roles(actor)
        ).exists()
    ):
        raise TierRefused(
            _("年度表彰由县（市、区）级或市级干部提名。"), code=PointErrorCode.HONOUR_TIER_REFUSED
        )
    hours = (
        HoursSummary.objects.filter(volunteer_id=volunteer_id, year=year)
        .values_list("hours", flat=True)
        .first()
    )
    if hours is None or hours <= 0:
        raise DomainError(
            _("该志愿者本年度没有认证服务时长，不能提名。"), code=PointErrorCode.HONOUR_NO_HOURS
        )
    try:
        with transaction.atomic():
            return Honour.objects.create(
                volunteer=in_scope,
                year=year,
                hours=hours,
                reason=reason[:500],
                nominated_by=actor,
                home_center_id=in_scope.home_center_id,
                township_id=in_scope.township_id,
                county_id=in_scope.county_id,
            )
    except IntegrityError as exc:
        raise ConflictError(
            _("该志愿者本年度已被提名。"), code=PointErrorCode.HONOUR_TWICE
        ) from exc


@transaction.atomic
def honour_decide(*, actor: User, honour_id: int, confirm: bool) -> Honour:
    """A city cadre confirms (published at once) or rejects a nomination still open."""
    if not manages_whole_tree(actor):
        raise TierRefused(_("年度表彰由市级干部审定。"), code=PointErrorCode.HONOUR_CITY_ONLY)
    honour = Honour.objects.select_for_update().filter(pk=honour_id).first()
    if honour is None:
        raise NotInScope(_("提名不存在。"), code=PointErrorCode.HONOUR_VOLUNTEER_NOT_IN_SCOPE)
    if honour.status != H.NOMINATED:
        raise ConflictError(_("该提名已审定。"), code=PointErrorCode.HONOUR_DECIDED)
    honour.status = H.CONFIRMED if confirm else H.REJECTED
    honour.decided_by = actor
    honour.decided_at = timezone.now()
    honour.save(update_fields=["status", "decided_by", "decided_at"])
    return honour
