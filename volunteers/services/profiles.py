"""Volunteer profiles: applying, review, preferences, insurance, revealing an ID number,
and the cadre's direct creation."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ConflictError, DomainError, NotInScope
from practice.models import Center, Platform
from volunteers.availability import ALL_SLOTS
from volunteers.errors import VolunteerErrorCode
from volunteers.identity import decrypt_id_number
from volunteers.models import (
    PersonalDataReveal,
    Skill,
    Volunteer,
)
from volunteers.selectors import can_review, volunteers_in_scope
from volunteers.services.checks import (
    REAPPLYING_STATUSES,
    checked_home,
    checked_identity,
    profile_fill,
    profile_save,
    refuse_taken_id,
)
from volunteers.status import Who, check_move, record_move, status_move

logger = logging.getLogger("portal.volunteers")


def _checked_platforms(platforms: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(platforms))
    unknown = [code for code in chosen if code not in Platform.values]
    if unknown:
        raise DomainError(
            _("未知的服务平台：%(codes)s") % {"codes": "、".join(unknown)},
            code=VolunteerErrorCode.PLATFORM_UNKNOWN,
            field="platforms",
        )
    return chosen


def _checked_availability(availability: int) -> int:
    if not 0 <= availability <= ALL_SLOTS:
        raise DomainError(
            _("可服务时段无效。"),
            code=VolunteerErrorCode.AVAILABILITY_INVALID,
            field="availability",
        )
    return availability


def _checked_skills(skills: Iterable[Skill]) -> list[Skill]:
    chosen = list(skills)
    if any(not skill.is_active for skill in chosen):
        raise DomainError(
            _("所选技能已停用。"), code=VolunteerErrorCode.SKILL_INACTIVE, field="skills"
        )
    return chosen


@transaction.atomic
def volunteer_apply(
    *,
    user: User,
    real_name: str,
    id_number: str,
    home_center: Center,
    skills: Iterable[Skill] = (),
    platforms: Iterable[str] = (),
    availability: int = 0,
    is_party_member: bool = False,
) -> Volunteer:
    """A signed-in resident applies to be a volunteer; the application waits for review by
    a cadre of the home's township or above."""
    real_name = (real_name or "").strip()
    if not real_name:
        raise DomainError(
            _("请填写真实姓名。"), code=VolunteerErrorCode.NAME_REQUIRED, field="real_name"
        )
    if len(real_name) > 50:
        raise DomainError(
            _("姓名不能超过 50 个字。"), code=VolunteerErrorCode.NAME_TOO_LONG, field="real_name"
        )
    identity = checked_identity(id_number)
    township, county = checked_home(home_center)
    chosen_skills = _checked_skills(skills)
    chosen_platforms = _checked_platforms(platforms)
    availability = _checked_availability(availability)
    volunteer = Volunteer.objects.select_for_update().filter(user=user).first()
    if volunteer is not None and volunteer.status not in REAPPLYING_STATUSES:
        message = (
            _("您的志愿者申请正在审核中，请耐心等待。")
            if volunteer.status == Volunteer.Status.PENDING
            else _("您已是注册志愿者，无需重复申请。")
        )
        raise ConflictError(message, code=VolunteerErrorCode.ALREADY_APPLIED)
    before = volunteer.status if volunteer is not None else ""
    check_move(before, Volunteer.Status.PENDING, Who.APPLICANT)
    refuse_taken_id(identity.digest, except_volunteer=volunteer)
    volunteer = volunteer or Volunteer(user=user)
    profile_fill(
        volunteer,
        real_name=real_name,
        identity=identity,
        home_center=home_center,
        township=township,
        county=county,
    )
    volunteer.platforms = chosen_platforms
    volunteer.availability = availability
    volunteer.is_party_member = is_party_member
    volunteer.status = Volunteer.Status.PENDING
    volunteer.reviewed_by = None
    volunteer.reviewed_at = None
    volunteer.review_reason = ""
    profile_save(volunteer, taken_message=_("该身份证号码已登记为志愿者，不能重复申请。"))
    volunteer.skills.set(chosen_skills)
    record_move(volunteer, from_status=before, actor=user)
    return volunteer


def _checked_reason(reason: str, *, required: bool, missing: str = "") -> str:
    """The reason trimmed, refused when required and empty (with ``missing`` if given) or
    longer than the event row keeps."""
    reason = (reason or "").strip()
    if required and not reason:
        raise DomainError(
            missing or _("请填写原因。"), code=VolunteerErrorCode.REASON_REQUIRED, field="reason"
        )
    if len(reason) > 200:
        raise DomainError(
            _("原因不能超过 200 个字。"), code=VolunteerErrorCode.REASON_TOO_LONG, field="reason"
        )
    return reason


def _not_in_scope() -> NotInScope:
    # One answer for "no such volunteer" and "not yours", so a cadre learns nothing of
    # volunteers outside their scope.
    return NotInScope(
        _("志愿者不存在或不在您的管辖范围内。"), code=VolunteerErrorCode.VOLUNTEER_NOT_IN_SCOPE
    )


def _reviewable(actor: User, volunteer_id: int) -> Volunteer:
    """Lock the volunteer for review, or answer as if it did not exist."""
    volunteer = (
        volunteers_in_scope(actor)
        .select_for_update(of=("self",))
        .select_related("home_center")
        .filter(pk=volunteer_id)
        .first()
    )
    if volunteer is None:
        raise _not_in_scope()
    if not can_review(actor, volunteer.home_center):
        raise DomainError(
            _("志愿者申请由乡镇（街道）及以上实践中心审核。"),
            code=VolunteerErrorCode.REVIEW_FORBIDDEN,
        )
    if volunteer.status != Volunteer.Status.PENDING:
        raise ConflictError(
            _("该申请当前状态为“%(status)s”，不能再审核。")
            % {"status": volunteer.get_status_display()},
            code=VolunteerErrorCode.NOT_PENDING,
        )
    return volunteer


@transaction.atomic
def volunteer_approve(*, actor: User, volunteer_id: int) -> Volunteer:
    volunteer = _reviewable(actor, volunteer_id)
    volunteer.joined_on = timezone.localdate()
    volunteer.reviewed_by = actor
    volunteer.reviewed_at = timezone.now()
    volunteer.review_reason = ""
    status_move(
        volunteer,
        to=Volunteer.Status.ACTIVE,
        actor=actor,
        who=Who.CADRE,
        fields=("joined_on", "reviewed_by", "reviewed_at", "review_reason"),
    )
    return volunteer


@transaction.atomic
def volunteer_reject(*, actor: User, volunteer_id: int, reason: str) -> Volunteer:
    reason = _checked_reason(reason, required=True, missing=_("请填写不通过的原因。"))
    volunteer = _reviewable(actor, volunteer_id)
    volunteer.reviewed_by = actor
    volunteer.reviewed_at = timezone.now()
    volunteer.review_reason = reason
    status_move(
        volunteer,
        to=Volunteer.Status.REJECTED,
        actor=actor,
        who=Who.CADRE,
        reason=reason,
        fields=("reviewed_by", "reviewed_at", "review_reason"),
    )
    return volunteer


def _managed(actor: User, volunteer_id: int) -> Volunteer:
    """Lock a volunteer in the cadre's scope, or answer as if it did not exist."""
    volunteer = (
        volunteers_in_scope(actor).select_for_update(of=("self",)).filter(pk=volunteer_id).first()
    )
    if volunteer is None:
        raise _not_in_scope()
    return volunteer


@transaction.atomic
def volunteer_suspend(*, actor: User, volunteer_id: int, reason: str) -> Volunteer:
    """A cadre in scope suspends an active volunteer, with a reason: no orders are offered
    to them until they are reinstated (dispatch ranks active volunteers only)."""
    reason = _checked_reason(reason, required=True)
    volunteer = _managed(actor, volunteer_id)
    status_move(volunteer, to=Volunteer.Status.SUSPENDED, actor=actor, who=Who.CADRE, reason=reason)
    return volunteer


@transaction.atomic
def volunteer_reinstate(*, actor: User, volunteer_id: int, reason: str = "") -> Volunteer:
    """A cadre in scope lifts a suspension: the volunteer is active again."""
    reason = _checked_reason(reason, required=False)
    volunteer = _managed(actor, volunteer_id)
    status_move(volunteer, to=Volunteer.Status.ACTIVE, actor=actor, who=Who.CADRE, reason=reason)
    return volunteer


@transaction.atomic
def volunteer_leave(*, actor: User, volunteer_id: int, reason: str = "") -> Volunteer:
    """The volunteer leaves (退出), by their own wish or by a cadre in scope with a reason.
    A departed volunteer may apply again later (REAPPLYING_STATUSES)."""
    own = (
        Volunteer.objects.select_for_update(of=("self",))
        .filter(pk=volunteer_id, user=actor)
        .first()
    )
    if own is not None:
        reason = _checked_reason(reason, required=False)
        status_move(own, to=Volunteer.Status.LEFT, actor=actor, who=Who.SELF, reason=reason)
        return own
    reason = _checked_reason(reason, required=True)
    volunteer = _managed(actor, volunteer_id)
    status_move(volunteer, to=Volunteer.Status.LEFT, actor=actor, who=Who.CADRE, reason=reason)
    return volunteer


@transaction.atomic
def volunteer_update_preferences(
    *,
    volunteer: Volunteer,
    skills: Iterable[Skill],
    platforms: Iterable[str],
    availability: int,
) -> Volunteer:
    """The volunteer's own edit of what they can do and when."""
    volunteer.platforms = _checked_platforms(platforms)
    volunteer.availability = _checked_availability(availability)
    volunteer.save(update_fields=["platforms", "availability", "updated_at"])
    volunteer.skills.set(_checked_skills(skills))
    return volunteer


@transaction.atomic
def volunteer_update_insurance(
    *,
    actor: User,
    volunteer: Volunteer,
    insurer: str,
    insurance_number: str,
    valid_until: datetime.date | None,
) -> Volunteer:
    if not volunteers_in_scope(actor).filter(pk=volunteer.pk).exists():
        raise _not_in_scope()
    volunteer.insurer = insurer.strip()
    volunteer.insurance_number = insurance_number.strip()
    volunteer.insurance_valid_until = valid_until
    volunteer.save(
        update_fields=["insurer", "insurance_number", "insurance_valid_until", "updated_at"]
    )
    return volunteer


@transaction.atomic
def volunteer_update_national_number(
    *, actor: User, volunteer: Volunteer, national_number: str
) -> Volunteer:
    """A cadre in scope records the volunteer's number in the national volunteer service
    information system (全国志愿服务信息系统), printed on their service certificates beside
    the portal's own; blank while they have none. Certificates issued before keep the
    number they were issued with."""
    if not volunteers_in_scope(actor).filter(pk=volunteer.pk).exists():
        raise _not_in_scope()
    volunteer.national_number = national_number.strip()
    volunteer.save(update_fields=["national_number", "updated_at"])
    return volunteer


@transaction.atomic
def volunteer_reveal_id_number(
    *, actor: User, volunteer: Volunteer, client_address: str | None = None
) -> str:
    """The ID number in clear, for a cadre in scope; every reveal is written to the audit
    log in the same transaction, so there is no reveal without its record."""
    if actor.pk == volunteer.user_id:
        return decrypt_id_number(volunteer.id_number_encrypted)
    if not volunteers_in_scope(actor).filter(pk=volunteer.pk).exists():
        raise _not_in_scope()
    PersonalDataReveal.objects.create(
        actor=actor,
        volunteer=volunteer,
        field=PersonalDataReveal.Field.ID_NUMBER,
        client_address=client_address,
    )
    return decrypt_id_number(volunteer.id_number_encrypted)


@transaction.atomic
def volunteer_create(
    *,
    user: User,
    real_name: str,
    id_number: str,
    home_center: Center,
    status: str = Volunteer.Status.PENDING,
    joined_on: datetime.date | None = None,
) -> Volunteer:
    """A volunteer profile made by the system (seed data, roster import), not by applying."""
    identity = checked_identity(id_number)
    township, county = checked_home(home_center)
    if Volunteer.objects.filter(user=user).exists():
        raise DomainError(_("该用户已是志愿者。"), code=VolunteerErrorCode.ALREADY_VOLUNTEER)
    refuse_taken_id(identity.digest)
    volunteer = Volunteer(user=user, status=status, joined_on=joined_on)
    profile_fill(
        volunteer,
        real_name=(real_name or user.name).strip(),
        identity=identity,
        home_center=home_center,
        township=township,
        county=county,
    )
    volunteer.save()
    return volunteer
