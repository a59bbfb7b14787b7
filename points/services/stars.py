"""Every write of star levels (星级认证): eligibility from certified hours, a cadre's
confirmation, the public notice and its objections, the review after a reversal, and the
outbox that makes eligibility, and the leaderboards, follow each ledger entry.

Each service runs in a transaction and locks the certification it changes; the tier and the
scope are asked of points.selectors.may_certify and practice.scoping, nowhere else."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ConflictError, DomainError, NotInScope
from core.notify import Message, notifications_send_many
from points.enqueue import recheck_on_commit
from points.errors import PointErrorCode
from points.models import CertifyingTier, StarCertification, StarObjection, StarRecheck
from points.selectors.stars import current_policy, may_certify
from points.services.leaderboards import summaries_refresh, summaries_refresh_lock
from practice.scoping import scope_queryset
from volunteers.models import Volunteer

C = StarCertification.Status
NOTICE_LINK = "/stars/notice/"


class TierRefused(DomainError):
    """A cadre in scope whose tier may not certify this level: the API's 403."""

    http_status = 403


def _level_name(level: int) -> str:
    return _("%(level)d星级") % {"level": level}


# ---------------------------------------------------------------------------------------------
# The outbox: volunteers whose certified hours changed


def mark_for_recheck(volunteer_ids: Iterable[int]) -> None:
    """Record that these volunteers' hours changed, in the caller's transaction (the ledger
    entry's), and wake the drain once it commits.

    One row per volunteer: marking one twice refreshes ``marked_at``. The upsert waits for
    a drain holding the row (FOR UPDATE) and, once the drain has deleted it, inserts it
    again, so a change made while its volunteer was being rechecked is rechecked again
    rather than lost with the drained row."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return
    now = timezone.now()
    StarRecheck.objects.bulk_create(
        [StarRecheck(volunteer_id=pk, marked_at=now) for pk in ids],
        update_conflicts=True,
        unique_fields=["volunteer"],
        update_fields=["marked_at"],
    )
    recheck_on_commit()


def recheck_drain(*, batch: int | None = None, max_batches: int = 100) -> int:
    """Recheck the volunteers of the outbox, ``batch`` at a time (STAR_RECHECK_BATCH), each
    batch one transaction that takes rows no other drain holds (SKIP LOCKED), re-derives
    their leaderboard rows, rechecks their stars and deletes the rows; return how many were
    rechecked.

    A drain killed mid-batch rolls back and leaves its rows for the next run; one run twice,
    or two at once, recheck each volunteer once per mark, and a recheck is idempotent
    anyway. ``max_batches`` bounds a run (beat's next run goes on)."""
    batch = batch or settings.STAR_RECHECK_BATCH
    done = 0
    for _round in range(max_batches):
        with transaction.atomic():
            summaries_refresh_lock()
            ids = list(
                StarRecheck.objects.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            summaries_refresh(volunteer_ids=ids)
            stars_recheck(volunteer_ids=ids)
            StarRecheck.objects.filter(pk__in=ids).delete()
        done += len(ids)
    return done


@transaction.atomic
def stars_recheck(*, volunteer_ids: Iterable[int]) -> list[tuple[int, int]]:
    """Compare these volunteers' cached certified hours (Volunteer.hours) with the current
    policy: every level newly crossed (hours ≥ threshold, so 100.00 reaches 100) becomes an
    eligible certification and its volunteer is told; every open certification whose
    threshold the hours have fallen below is flagged for a cadre's review, never dropped.
    Returns the (volunteer id, level) pairs made eligible.

    A handful of statements whatever the number of volunteers: the policy, the volunteers,
    their certifications, one insert, one update, the inbox. Only active volunteers become
    eligible; rows that exist are left alone (a rejected level is not reopened)."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return []
    policy = current_policy()
    volunteers = list(
        Volunteer.objects.filter(pk__in=ids, status=Volunteer.Status.ACTIVE).values_list(
            "pk", "user_id", "hours", "home_center_id", "township_id", "county_id"
        )
    )
    existing = set(
        StarCertification.objects.filter(volunteer_id__in=ids).values_list("volunteer_id", "level")
    )
    new = []
    told = []
    for pk, user_id, hours, home_id, township_id, county_id in volunteers:
        for step in policy:
            if hours < step.threshold_hours or (pk, step.level) in existing:
                continue
            new.append(
                StarCertification(
                    volunteer_id=pk,
                    level=step.level,
                    policy_version=step.version,
                    threshold_hours=step.threshold_hours,
                    certifying_tier=step.certifying_tier,
                    home_center_id=home_id,
                    township_id=township_id,
                    county_id=county_id,
                )
            )
            told.append(
                Message(
                    user_id=user_id,
                    key=f"star-eligible:{pk}:{step.level}",
                    title=_("您已达到%(level)s志愿者认定条件") % {"level": _level_name(step.level)},
                    body=_("累计服务时长已达 %(hours)s 小时，待%(tier)s。")
                    % {
                        "hours": step.threshold_hours,
                        "tier": CertifyingTier(step.certifying_tier).label,
                    },
                )
            )
    # A concurrent recheck of the same volunteer may have inserted a row since: the unique
    # (volunteer, level) keeps one, and the inbox key keeps one message.
    StarCertification.objects.bulk_create(new, ignore_conflicts=True)
    hours_now = Volunteer.objects.filter(pk=OuterRef("volunteer_id")).values("hours")[:1]
    StarCertification.objects.filter(volunteer_id__in=ids, under_review=False).exclude(
        status=C.REJECTED
    ).filter(threshold_hours__gt=Subquery(hours_now)).update(under_review=True)
    notifications_send_many(told)
    return [(row.volunteer_id, row.level) for row in new]


# ---------------------------------------------------------------------------------------------
# A cadre's decisions


def _managed(actor: User, certification_id: int) -> StarCertification:
    """The certification, locked, if it lies in the actor's scope (else 404, as absent) and
    the actor's tier may certify it (else 403, with the rule)."""
    certification = (
        scope_queryset(StarCertification.objects.all(), actor, via="home_center")
        .select_for_update(of=("self",))
        .filter(pk=certification_id)
        .first()
    )
    if certification is None:
        raise NotInScope(_("未找到该星级认定。"), code=PointErrorCode.STAR_NOT_IN_SCOPE)
    if not may_certify(actor, certification):
        rule = {
            CertifyingTier.COUNTY: _("一星、二星由县级或市级干部认定。"),
            CertifyingTier.CITY: _("三星、四星由市级干部认定。"),
            CertifyingTier.PROVINCE: _("五星由市级干部推荐至省级认定。"),
        }[CertifyingTier(certification.certifying_tier)]
        raise TierRefused(
            _("您无权认定%(level)s志愿者：%(rule)s")
            % {"level": _level_name(certification.level), "rule": rule},
            code=PointErrorCode.STAR_TIER_REFUSED,
        )
    return certification


def _not_in_state(certification: StarCertification) -> ConflictError:
    return ConflictError(
        _("该星级认定当前为“%(status)s”，不能进行此操作。")
        % {"status": certification.get_status_display()},
        code=PointErrorCode.STAR_NOT_ELIGIBLE,
    )


def _tell(certification: StarCertification, key: str, title: str, body: str = "") -> None:
    user_id = Volunteer.objects.filter(pk=certification.volunteer_id).values("user_id")
    notifications_send_many(
        [
            Message(
                user_id=user_id.get()["user_id"],
                key=f"{key}:{certification.pk}",
                title=title,
                body=body,
                link=NOTICE_LINK,
            )
        ]
    )


@transaction.atomic
def certification_confirm(
    *, actor: User, certification_id: int, now: datetime.datetime | None = None
) -> StarCertification:
    """A cadre of the certifying tier confirms an eligible level: 1 to 4 stars go on public
    notice for STAR_NOTICE_DAYS days, after which they are in force; 5 stars are recommended
    to the province. Refused while under review, or when the volunteer's certified hours
    have fallen below the threshold since it became eligible."""
    certification = _managed(actor, certification_id)
    if certification.status != C.ELIGIBLE:
        raise _not_in_state(certification)
    hours = Volunteer.objects.filter(pk=certification.volunteer_id).values("hours").get()["hours"]
    if certification.under_review or hours < certification.threshold_hours:
        raise ConflictError(
            _("该志愿者的累计服务时长已低于认定标准，请先复核。"),
            code=PointErrorCode.STAR_UNDER_REVIEW,
        )
    now = now or timezone.now()
    certification.confirmed_by = actor
    certification.confirmed_at = now
    if certification.certifying_tier == CertifyingTier.PROVINCE:
        certification.status = C.RECOMMENDED
    else:
        certification.status = C.CONFIRMED
        certification.notice_ends_at = now + datetime.timedelta(days=settings.STAR_NOTICE_DAYS)
    certification.save(update_fields=["status", "confirmed_by", "confirmed_at", "notice_ends_at"])
    return certification


def _checked_reason(reason: object, *, missing: str) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise DomainError(missing, code=PointErrorCode.STAR_REASON_REQUIRED, field="reason")
    if len(text) > 200:
        raise DomainError(
            _("理由最多 200 个字。"), code=PointErrorCode.STAR_REASON_REQUIRED, field="reason"
        )
    return text


@transaction.atomic
def certification_reject(
    *, actor: User, certification_id: int, reason: str, now: datetime.datetime | None = None
) -> StarCertification:
    """A cadre of the tier refuses an eligible level (or a recommendation the province did
    not grant), with a reason the volunteer is told."""
    reason = _checked_reason(reason, missing=_("请填写不予认定的理由。"))
    certification = _managed(actor, certification_id)
    if certification.status not in (C.ELIGIBLE, C.RECOMMENDED):
        raise _not_in_state(certification)
    _close(certification, actor, reason, now or timezone.now())
    return certification


def _close(
    certification: StarCertification, actor: User, reason: str, now: datetime.datetime
) -> None:
    certification.status = C.REJECTED
    certification.under_review = False
    certification.decided_by = actor
    certification.decided_at = now
    certification.decision_reason = reason
    certification.save(
        update_fields=["status", "under_review", "decided_by", "decided_at", "decision_reason"]
    )
    _tell(
        certification,
        "star-rejected",
        _("您的%(level)s认定未通过") % {"level": _level_name(certification.level)},
        reason,
    )


@transaction.atomic
def certification_grant(
    *, actor: User, certification_id: int, now: datetime.datetime | None = None
) -> StarCertification:
    """Record that the province granted a recommended five-star level: in force at once
    (the province ran its own notice)."""
    certification = _managed(actor, certification_id)
    if certification.status != C.RECOMMENDED:
        raise ConflictError(
            _("只有已推荐至省级的认定才能登记省级认定结果。"),
            code=PointErrorCode.STAR_NOT_RECOMMENDED,
        )
    certification.status = C.GRANTED
    certification.decided_by = actor
    certification.decided_at = now or timezone.now()
    certification.certified_told_at = certification.decided_at
    certification.save(update_fields=["status", "decided_by", "decided_at", "certified_told_at"])
    _tell(
        certification,
        "star-certified",
        _("恭喜！您已被认定为%(level)s志愿者") % {"level": _level_name(certification.level)},
    )
    return certification


@transaction.atomic
def certification_review_decide(
    *, actor: User, certification_id: int, keep: bool, reason: str = ""
) -> StarCertification:
    """After the volunteer's hours fell below the threshold (a reversal), a cadre of the
    tier keeps the level (the flag is cleared) or revokes it, with a reason."""
    certification = _managed(actor, certification_id)
    if not certification.under_review:
        raise ConflictError(
            _("该星级认定没有待复核的时长回落。"), code=PointErrorCode.STAR_NOT_REVIEWED
        )
    if keep:
        certification.under_review = False
        certification.save(update_fields=["under_review"])
        return certification
    reason = _checked_reason(reason, missing=_("请填写撤销认定的理由。"))
    _close(certification, actor, reason, timezone.now())
    return certification


# ---------------------------------------------------------------------------------------------
# The public notice: objections


@transaction.atomic
def certification_object(
    *, user: User, certification_id: int, reason: str, now: datetime.datetime | None = None
) -> StarObjection:
    """Anyone signed in objects, with a reason, to a certification in its notice: the star
    is held (objected) until a cadre decides. The volunteer is told there is an objection,
    never by whom."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise DomainError(
            _("请填写异议理由。"), code=PointErrorCode.STAR_OBJECTION_REASON, field="reason"
        )
    if len(text) > 500:
        raise DomainError(
            _("异议理由最多 500 个字。"), code=PointErrorCode.STAR_OBJECTION_REASON, field="reason"
        )
    now = now or timezone.now()
    certification = (
        StarCertification.objects.select_for_update()
        .filter(pk=certification_id, status__in=(C.CONFIRMED, C.OBJECTED), notice_ends_at__gt=now)
        .first()
    )
    if certification is None:
        raise NotInScope(_("该星级认定不在公示期内。"), code=PointErrorCode.STAR_NOT_IN_NOTICE)
    if Volunteer.objects.filter(pk=certification.volunteer_id, user=user).exists():
        raise DomainError(
            _("不能对自己的星级认定提出异议。"), code=PointErrorCode.STAR_OBJECTION_OWN
        )
    if StarObjection.objects.filter(certification=certification, objector=user).exists():
        raise DomainError(
            _("您已对该认定提出过异议，请等待处理。"), code=PointErrorCode.STAR_OBJECTION_TWICE
        )
    objection = StarObjection.objects.create(
        certification=certification, objector=user, reason=text
    )
    if certification.status != C.OBJECTED:
        certification.status = C.OBJECTED
        certification.save(update_fields=["status"])
    _tell(
        certification,
        f"star-objected:{objection.pk}",
        _("您的%(level)s认定在公示期间收到异议") % {"level": _level_name(certification.level)},
        _("认定暂缓，待干部核实处理后通知您。"),
    )
    return objection


@transaction.atomic
def objection_decide(
    *, actor: User, objection_id: int, decision: str, reason: str = ""
) -> StarObjection:
    """A cadre of the tier decides an objection. Upheld: the certification is refused (and
    the other pending objections closed with it). Dismissed: once no objection is pending,
    the certification is confirmed again, in force as soon as its notice is over."""
    if decision not in StarObjection.Decision.values:
        raise DomainError(
            _("请选择“异议成立”或“异议不成立”。"), code=PointErrorCode.STAR_DECISION_INVALID
        )
    certification_id = (
        StarObjection.objects.filter(pk=objection_id).values_list("certification_id", flat=True)
    ).first()
    if certification_id is None:
        raise NotInScope(_("未找到该异议。"), code=PointErrorCode.STAR_NOT_IN_SCOPE)
    certification = _managed(actor, certification_id)
    objection = StarObjection.objects.select_for_update().get(pk=objection_id)
    if objection.decision:
        raise ConflictError(_("该异议已处理。"), code=PointErrorCode.STAR_OBJECTION_DECIDED)
    now = timezone.now()
    objection.decision = decision
    objection.decided_by = actor
    objection.decided_at = now
    objection.save(update_fields=["decision", "decided_by", "decided_at"])
    if decision == StarObjection.Decision.UPHOLD:
        StarObjection.objects.filter(certification=certification, decision="").update(
            decision=decision, decided_by=actor, decided_at=now
        )
        _close(certification, actor, reason.strip()[:200] or _("公示期间异议经核实成立。"), now)
    elif not StarObjection.objects.filter(certification=certification, decision="").exists():
        certification.status = C.CONFIRMED
        certification.save(update_fields=["status"])
    return objection


# ---------------------------------------------------------------------------------------------
# The end of the notice


def certifications_publish(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Mark the confirmed certifications whose notice has ended as certified and tell their
    volunteers, a batch per transaction; return how many. The level is in force from the
    end of the notice whether or not this ran (points.selectors.in_force): this only makes
    the status say so and sends the message. Safe to run twice, or two at once (SKIP
    LOCKED, and the inbox keys each message)."""
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            rows = list(
                StarCertification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("volunteer")
                .filter(status=C.CONFIRMED, notice_ends_at__lte=now)
                .order_by("notice_ends_at", "id")[:batch]
            )
            if not rows:
                return done
            StarCertification.objects.filter(pk__in=[row.pk for row in rows]).update(
                status=C.CERTIFIED, certified_told_at=now
            )
            notifications_send_many(
                Message(
                    user_id=row.volunteer.user_id,
                    key=f"star-certified:{row.pk}",
                    title=_("恭喜！您已被认定为%(level)s志愿者")
                    % {"level": _level_name(row.level)},
                    body=_("公示期满无异议，认定生效。"),
                    link=NOTICE_LINK,
                )
                for row in rows
            )
        done += len(rows)
