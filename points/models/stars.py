"""Star levels (星级认证): the versioned thresholds, each volunteer's certification of each
level through eligibility, a cadre's confirmation and the public notice (公示), the
objections raised during the notice, and the outbox of volunteers whose hours changed."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from points.models.ledger import copied_center_column
from practice.scoping import AncestorColumns
from volunteers.models import Volunteer

STAR_LEVELS = (1, 2, 3, 4, 5)
# The national star-volunteer rules' defaults, version 1 of the policy: cumulative certified
# hours per level and the tier that certifies it (migration 0006 seeds the same rows).
DEFAULT_POLICY = (
    (1, "100", "county"),
    (2, "300", "county"),
    (3, "600", "city"),
    (4, "1000", "city"),
    (5, "1500", "province"),
)


class CertifyingTier(models.TextChoices):
    """Who certifies a level: a county's cadres (or the city's) for 1 and 2 stars, the
    city's for 3 and 4; 5 stars are recommended by the city to the province, which grants
    them, and the portal records the grant."""

    COUNTY = "county", _("县级认定")
    CITY = "city", _("市级认定")
    PROVINCE = "province", _("市级推荐、省级认定")


class StarPolicy(models.Model):
    """One level of one version of the thresholds. A new version is a new set of five rows;
    rows are never edited, so a certification names the version that made it eligible."""

    version = models.PositiveIntegerField(_("版本"))
    level = models.PositiveSmallIntegerField(
        _("星级"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    threshold_hours = models.DecimalField(_("累计服务时长（小时）"), max_digits=8, decimal_places=2)
    certifying_tier = models.CharField(_("认定层级"), max_length=16, choices=CertifyingTier.choices)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("星级标准")
        verbose_name_plural = _("星级标准")
        ordering = ["-version", "level"]
        constraints = [
            models.UniqueConstraint(fields=["version", "level"], name="star_policy_level_once"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="star_policy_level_1_to_5"
            ),
            models.CheckConstraint(
                condition=models.Q(threshold_hours__gt=0), name="star_policy_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.level}★ ≥ {self.threshold_hours}"


class StarCertification(models.Model):
    """A volunteer's way to one star level, one row per volunteer and level.

    eligible → confirmed (by a cadre of the certifying tier or above, in scope; the notice
    runs until ``notice_ends_at``) → certified once the notice is over; an objection during
    the notice holds it (objected) until a cadre decides; rejected ends it. Five stars go
    eligible → recommended (to the province) → granted. The level in force is read by
    points.selectors.current_star_level from these rows alone: a confirmed row past its
    notice counts whether or not the publishing task has marked it certified yet.

    ``under_review`` is raised when the volunteer's certified hours fall below the
    threshold (a reversal): the level stays until a cadre keeps or revokes it.

    home_center, township and county copy the volunteer's home (as HoursEntry does), so a
    cadre's lists are index ranges; they follow moved centers (practice.ancestry).
    """

    class Status(models.TextChoices):
        ELIGIBLE = "eligible", _("待认定")
        CONFIRMED = "confirmed", _("公示中")
        OBJECTED = "objected", _("有异议，暂缓")
        CERTIFIED = "certified", _("已认定")
        REJECTED = "rejected", _("未认定")
        RECOMMENDED = "recommended", _("已推荐至省级")
        GRANTED = "granted", _("省级已认定")

    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("志愿者"),
        on_delete=models.PROTECT,
        related_name="star_certifications",
    )
    level = models.PositiveSmallIntegerField(_("星级"))
    policy_version = models.PositiveIntegerField(_("标准版本"))
    threshold_hours = models.DecimalField(_("达标时长"), max_digits=8, decimal_places=2)
    certifying_tier = models.CharField(_("认定层级"), max_length=16, choices=CertifyingTier.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ELIGIBLE
    )
    under_review = models.BooleanField(_("时长回落待复核"), default=False)
    home_center = copied_center_column(_("所属村（社区）"), null=False)
    township = copied_center_column(_("所属乡镇（街道）"), null=True)
    county = copied_center_column(_("所属县（市、区）"), null=True)
    eligible_at = models.DateTimeField(_("达标时间"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    notice_ends_at = models.DateTimeField(_("公示截止"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_reason = models.CharField(_("处理意见"), max_length=200, blank=True)
    # Set by the publishing task when it has told the volunteer of the certification.
    certified_told_at = models.DateTimeField(_("认定通知时间"), null=True, blank=True)

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="home_center"
    )

    class Meta:
        verbose_name = _("星级认定")
        verbose_name_plural = _("星级认定")
        constraints = [
            # Also the index of current_star_level: one volunteer's rows by level.
            models.UniqueConstraint(fields=["volunteer", "level"], name="star_once_per_level"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="star_level_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["county", "-id"], name="star_county_newest"),
            models.Index(fields=["township", "-id"], name="star_township_newest"),
            models.Index(fields=["home_center", "-id"], name="star_village_newest"),
            # The cadres' lists by status (eligible, in notice, objected) in each scope.
            models.Index(fields=["county", "status", "-id"], name="star_county_status"),
            models.Index(fields=["township", "status", "-id"], name="star_township_status"),
            # The public notice, newest first: the few rows in their notice period.
            models.Index(
                fields=["-id"],
                condition=models.Q(status__in=["confirmed", "objected"]),
                name="star_in_notice",
            ),
            # The publishing task: confirmed rows whose notice has ended.
            models.Index(
                fields=["notice_ends_at"],
                condition=models.Q(status="confirmed"),
                name="star_notice_ending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.level}★（{self.get_status_display()}）"


class StarObjection(models.Model):
    """An objection to a certification in its notice, by anyone signed in, with a reason.
    The objector is shown to the cadres who decide, never to the volunteer."""

    class Decision(models.TextChoices):
        UPHOLD = "uphold", _("异议成立，不予认定")
        DISMISS = "dismiss", _("异议不成立，继续认定")

    certification = models.ForeignKey(
        StarCertification,
        verbose_name=_("星级认定"),
        on_delete=models.CASCADE,
        related_name="objections",
    )
    objector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("异议人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("异议理由"), max_length=500)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    decision = models.CharField(_("处理结果"), max_length=16, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("星级公示异议")
        verbose_name_plural = _("星级公示异议")
        constraints = [
            # One objection per person and certification: a second one adds nothing.
            models.UniqueConstraint(
                fields=["certification", "objector"], name="star_objection_once_per_person"
            ),
        ]
        indexes = [
            models.Index(
                fields=["certification"],
                condition=models.Q(decision=""),
                name="star_objection_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.certification_id}: {self.reason[:20]}"


class StarRecheck(models.Model):
    """The outbox of volunteers whose certified hours changed: one row per volunteer,
    written in the transaction of the ledger entry, so a burst of entries for one volunteer
    collapses to one row; points.services.stars.recheck_drain empties it in batches."""

    volunteer = models.OneToOneField(
        Volunteer, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    marked_at = models.DateTimeField(_("标记时间"))

    class Meta:
        verbose_name = _("星级待复核志愿者")
        verbose_name_plural = _("星级待复核志愿者")

    def __str__(self) -> str:
        return str(self.volunteer_id)
