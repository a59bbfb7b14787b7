from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import StatusEvent, TimeStampedModel
from practice.models import Center, Level
from practice.scoping import AncestorColumns
from volunteers.identity import mask_id_number


class Skill(TimeStampedModel):
    """A skill volunteers offer and services call for; the list is kept by city cadres."""

    name = models.CharField(
        _("技能"), max_length=30, unique=True, error_messages={"unique": _("该技能已存在。")}
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)
    # The services that call for this skill (a service's ``skills``); a service listing
    # none takes anyone. Declared here, over the table practice made for it, so that
    # practice knows nothing of volunteers.
    services = models.ManyToManyField(
        "practice.Service",
        verbose_name=_("需要该技能的服务项目"),
        blank=True,
        related_name="skills",
        related_query_name="skills",
        db_table="practice_service_skills",
    )

    class Meta:
        verbose_name = _("志愿技能")
        verbose_name_plural = _("志愿技能")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Volunteer(TimeStampedModel):
    """A user's volunteer profile: what makes them a volunteer.

    The resident ID number is never stored in clear: an encrypted token, a keyed digest to
    find duplicates by, and the first and last four characters for the masked form. Gender
    and birth date are read off the number when it is saved.

    county and township copy the home center's ancestors so that "this county's volunteers,
    newest first" is one index range at city scale; services keep them in step when a
    center moves. hours and points are caches of the points ledgers; the star level is not
    kept here at all (points.selectors.stars.current_star_level reads the certifications).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        ACTIVE = "active", _("在册")
        SUSPENDED = "suspended", _("暂停")
        LEFT = "left", _("已退出")
        REJECTED = "rejected", _("未通过")

    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.PROTECT,
        related_name="volunteer",
    )
    real_name = models.CharField(_("真实姓名"), max_length=50, db_index=True)
    id_number_encrypted = models.TextField(_("身份证号码（密文）"), editable=False)
    id_number_digest = models.CharField(max_length=64, unique=True, editable=False)
    id_number_first4 = models.CharField(max_length=4, editable=False)
    id_number_last4 = models.CharField(max_length=4, editable=False)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    home_center = models.ForeignKey(
        Center,
        verbose_name=_("所属村（社区）"),
        on_delete=models.PROTECT,
        related_name="volunteers",
        limit_choices_to={"level": Level.VILLAGE},
    )
    township = models.ForeignKey(
        Center,
        verbose_name=_("所属乡镇（街道）"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
    )
    county = models.ForeignKey(
        Center,
        verbose_name=_("所属县（市、区）"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
    )
    skills = models.ManyToManyField(Skill, verbose_name=_("技能"), blank=True)
    platforms = models.JSONField(_("意向服务平台"), default=list, blank=True)
    availability = models.PositiveIntegerField(_("每周可服务时段"), default=0)
    is_party_member = models.BooleanField(_("中共党员"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    joined_on = models.DateField(_("加入日期"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_reason = models.CharField(_("审核意见"), max_length=200, blank=True)
    insurer = models.CharField(_("保险公司"), max_length=60, blank=True)
    insurance_number = models.CharField(_("保单号"), max_length=60, blank=True)
    insurance_valid_until = models.DateField(_("保险有效期至"), null=True, blank=True)
    hours = models.DecimalField(_("服务时长"), max_digits=10, decimal_places=2, default=Decimal(0))
    points = models.IntegerField(_("积分"), default=0)
    # The volunteer's number in the national volunteer service information system
    # (全国志愿服务信息系统), where they have one: printed on certificates beside the
    # portal's own number (``portal_number``), which is derived from the id, not stored.
    national_number = models.CharField(
        _("全国志愿服务信息系统编号"), max_length=32, blank=True, default=""
    )

    # Scoping filters on the copied ancestor columns (see practice.scoping).
    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="home_center"
    )

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        indexes = [
            models.Index(fields=["county", "-id"], name="volunteer_county_newest"),
            models.Index(fields=["township", "-id"], name="volunteer_township_newest"),
            models.Index(fields=["home_center", "-id"], name="volunteer_village_newest"),
            # The lists' status filter, newest first, for the city and inside a county or a
            # township (a village's own index range is short enough to filter as it goes).
            # Without them a rare status (rejected, suspended) walked the whole scope.
            models.Index(fields=["status", "-id"], name="volunteer_status_newest"),
            models.Index(fields=["county", "status", "-id"], name="volunteer_county_status"),
            # A county's volunteers' accounts from the index alone: the accounts list of a
            # county cadre hashes them once (volunteers.account_selectors.users_in_scope).
            models.Index(fields=["county", "user"], name="volunteer_county_user"),
            # The same for a township or a village cadre, whose few thousand accounts are
            # gathered from these alone and sorted in account order (newest first) before
            # any account row is read; from the table they cost a read of each volunteer.
            models.Index(fields=["township", "user"], name="volunteer_township_user"),
            models.Index(fields=["home_center", "user"], name="volunteer_village_user"),
            models.Index(fields=["township", "status", "-id"], name="volunteer_township_status"),
            # A name search (accounts.search: a prefix) inside a county, a township or a
            # village, listed by the name: the capped count and the page are each a short
            # range of these, where the name index alone first read the city's 115,000 王
            # (even a village's, intersected with its own range). The city walks the name
            # index itself.
            models.Index(
                fields=["county", "real_name"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="volunteer_county_name",
            ),
            models.Index(
                fields=["township", "real_name"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="volunteer_township_name",
            ),
            models.Index(
                fields=["home_center", "real_name"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="volunteer_village_name",
            ),
            # The lists' party-member filter, newest first (15% of volunteers): the count
            # stops at its cap inside a county or a township instead of reading the scope.
            models.Index(
                fields=["county", "-id"],
                condition=models.Q(is_party_member=True),
                name="volunteer_party_county",
            ),
            models.Index(
                fields=["township", "-id"],
                condition=models.Q(is_party_member=True),
                name="volunteer_party_township",
            ),
            # Who may be offered an order, tier by tier (orders.selectors): active and insured
            # is a range of these; a quarter of the active are insured on any day, so the
            # ranking visits a quarter of the rows it would through the tier column alone.
            # Availability and the id ride along, so that automatic dispatch, which needs no
            # more of the volunteer, ranks from the index alone: nine in ten of a village's
            # volunteers are not free in a given slot, and visiting each one's row cost half
            # of the ranking.
            models.Index(
                fields=["home_center", "insurance_valid_until"],
                condition=models.Q(status="active"),
                include=["availability", "id"],
                name="volunteer_on_call_village",
            ),
            models.Index(
                fields=["township", "insurance_valid_until"],
                condition=models.Q(status="active"),
                include=["availability", "id"],
                name="volunteer_on_call_township",
            ),
            models.Index(
                fields=["county", "insurance_valid_until"],
                condition=models.Q(status="active"),
                include=["availability", "id"],
                name="volunteer_on_call_county",
            ),
        ]

    def __str__(self) -> str:
        return self.real_name

    @property
    def is_active_volunteer(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number_first4, self.id_number_last4)

    @property
    def portal_number(self) -> str:
        return portal_number(self.pk)


# The portal's own volunteer number (志愿者编号): "HY" and the id on nine digits. Derived, not
# stored: a column would be 1.44 million rows to fill, and the id is already unique and
# never changes (a volunteer moving home keeps it).
PORTAL_NUMBER_PREFIX = "HY"


def portal_number(volunteer_id: int) -> str:
    return f"{PORTAL_NUMBER_PREFIX}{volunteer_id:09d}"


def volunteer_id_of_portal_number(number: str) -> int | None:
    """The id a portal number (as printed, any case, surrounding spaces) names, or None."""
    text = number.strip().upper()
    digits = text.removeprefix(PORTAL_NUMBER_PREFIX)
    if digits == text or not digits.isascii() or not digits.isdigit() or len(digits) > 12:
        return None
    return int(digits) or None


class Team(TimeStampedModel):
    """A volunteer team (志愿服务队) belonging to a center.

    Each center has at most one standing team; together they mirror the center tree (city
    corps, county brigades, township squads, village units), so a standing team's place in
    the tree is its center's. Specialist teams (a lecturer team, returning students, elders)
    hang under any center beside it.
    """

    class Kind(models.TextChoices):
        STANDING = "standing", _("常设队伍")
        SPECIALIST = "specialist", _("专业队伍")

    class Specialty(models.TextChoices):
        LECTURER = "lecturer", _("讲师团")
        RETURNING_STUDENTS = "returning_students", _("返乡大学生志愿服务队")
        ELDERS = "elders", _("五老志愿服务队")
        OTHER = "other", _("其他专业队伍")

    TIER_NAMES = {
        Level.CITY: _("总队"),
        Level.COUNTY: _("大队"),
        Level.TOWNSHIP: _("分队"),
        Level.VILLAGE: _("小队"),
    }

    center = models.ForeignKey(
        Center, verbose_name=_("所属阵地"), on_delete=models.PROTECT, related_name="teams"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    specialty = models.CharField(
        _("专业方向"), max_length=32, choices=Specialty.choices, blank=True
    )
    name = models.CharField(_("队伍名称"), max_length=100)
    description = models.TextField(_("简介"), max_length=1000, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        constraints = [
            models.UniqueConstraint(
                fields=["center"],
                condition=models.Q(kind="standing"),
                name="one_standing_team_per_center",
                violation_error_message=_("该阵地已有常设志愿服务队。"),
            ),
            models.CheckConstraint(
                condition=models.Q(kind="standing", specialty="")
                | (models.Q(kind="specialist") & ~models.Q(specialty="")),
                name="team_specialty_matches_kind",
                violation_error_message=_("专业队伍须选择专业方向，常设队伍不填。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tier_name(self) -> str:
        """总队/大队/分队/小队 for a standing team, the specialty for the others."""
        if self.kind == self.Kind.STANDING:
            return str(self.TIER_NAMES[Level(self.center.level)])
        return self.get_specialty_display()


class TeamMembership(TimeStampedModel):
    """A volunteer's time in a team. Leaving closes the row (left_on) rather than deleting
    it, so the team's history stays; one open row per volunteer and team."""

    class Role(models.TextChoices):
        LEADER = "leader", _("队长")
        DEPUTY = "deputy", _("副队长")
        MEMBER = "member", _("队员")

    team = models.ForeignKey(
        Team, verbose_name=_("队伍"), on_delete=models.CASCADE, related_name="memberships"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("职务"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_on = models.DateField(_("入队日期"))
    left_on = models.DateField(_("离队日期"), null=True, blank=True)
    # The team's center and the township, county and city above it (each the center itself
    # when the team hangs at that tier), copied so that a cadre's memberships, newest first,
    # are one index range at city scale (see practice.scoping); team_member_add fills them
    # and practice.ancestry keeps them in step when a center moves. Null only until the
    # migration that added them has filled the old rows.
    center = models.ForeignKey(
        Center,
        verbose_name=_("队伍所属阵地"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
        db_index=False,
    )
    township = models.ForeignKey(
        Center,
        verbose_name=_("所属乡镇（街道）"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
        db_index=False,
    )
    county = models.ForeignKey(
        Center,
        verbose_name=_("所属县（市、区）"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
        db_index=False,
    )
    city = models.ForeignKey(
        Center,
        verbose_name=_("所属市"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
        db_index=False,
    )

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="center", city="city"
    )

    class Meta:
        verbose_name = _("队员")
        verbose_name_plural = _("队员")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "volunteer"],
                condition=models.Q(left_on__isnull=True),
                name="one_open_membership_per_team",
                violation_error_message=_("该志愿者已在此队伍中。"),
            ),
        ]
        indexes = [
            models.Index(fields=["team", "role"], name="membership_team_role"),
            # A team's current members in the order rosters list them (role, joined_on,
            # id), and their count from the index alone: the team lists count only the
            # page's teams through it.
            models.Index(
                fields=["team", "role", "joined_on", "id"],
                condition=models.Q(left_on__isnull=True),
                name="membership_team_open",
            ),
            # Each tier's memberships newest first, one team's, and the leaders (a few
            # thousand in the city) newest first for any tier.
            models.Index(fields=["city", "-id"], name="membership_city_newest"),
            models.Index(fields=["county", "-id"], name="membership_county_newest"),
            models.Index(fields=["township", "-id"], name="membership_township_newest"),
            models.Index(fields=["center", "-id"], name="membership_center_newest"),
            models.Index(fields=["team", "-id"], name="membership_team_newest"),
            models.Index(fields=["role", "-id"], name="membership_role_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} @ {self.team}"


class PersonalDataReveal(models.Model):
    """The audit log of every time a cadre saw a volunteer's personal data in clear."""

    class Field(models.TextChoices):
        ID_NUMBER = "id_number", _("身份证号码")
        PHONE = "phone", _("手机号")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查看人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="reveals"
    )
    field = models.CharField(_("内容"), max_length=16, choices=Field.choices)
    revealed_at = models.DateTimeField(_("查看时间"), auto_now_add=True, db_index=True)
    client_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-revealed_at"]

    def __str__(self) -> str:
        return f"{self.actor} → {self.volunteer} ({self.field})"


class VolunteerRoster(Volunteer):
    """The volunteers seen as a roster: the admin's import and export of spreadsheets hang
    here, apart from the volunteer admin's review and edit pages."""

    class Meta:
        proxy = True
        verbose_name = _("志愿者花名册")
        verbose_name_plural = _("志愿者花名册")


class RosterInvitation(TimeStampedModel):
    """A roster row held until the person confirms it themself (issue 9, items 4 and 5).

    A cadre's roster row becomes a volunteer only by the phone's owner accepting it after
    signing in with that phone verified, so a row never adopts an account someone else
    signed up with, and the preview gives every row the same answer whatever exists outside
    the cadre's subtree. The row keeps no personal number in clear: the ID number as the
    volunteer profile keeps it, the phone as a keyed digest (to find the invitation when its
    owner signs in) and a masked form (for the cadre's list). Accepted, declined and expired
    rows are deleted.
    """

    home_center = models.ForeignKey(
        Center, verbose_name=_("所属村（社区）"), on_delete=models.PROTECT, related_name="+"
    )
    real_name = models.CharField(_("真实姓名"), max_length=50)
    id_number_encrypted = models.TextField(_("身份证号码（密文）"), editable=False)
    id_number_digest = models.CharField(max_length=64, editable=False)
    id_number_first4 = models.CharField(max_length=4, editable=False)
    id_number_last4 = models.CharField(max_length=4, editable=False)
    phone_digest = models.CharField(max_length=64, db_index=True, editable=False)
    phone_masked = models.CharField(_("手机号"), max_length=11, editable=False)
    skills = models.ManyToManyField(Skill, verbose_name=_("技能"), blank=True, related_name="+")
    is_party_member = models.BooleanField(_("中共党员"), default=False)
    insurer = models.CharField(_("保险公司"), max_length=60, blank=True)
    insurance_number = models.CharField(_("保单号"), max_length=60, blank=True)
    insurance_valid_until = models.DateField(_("保险有效期至"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("有效期至"), db_index=True)

    class Meta:
        verbose_name = _("花名册邀请")
        verbose_name_plural = _("花名册邀请")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.real_name}（{self.phone_masked}）@ {self.home_center_id}"

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number_first4, self.id_number_last4)


class VolunteerStatusEvent(StatusEvent):
    """One change of a volunteer's status (volunteers.status): who, when, from, to and why.

    Append-only: rows are written by volunteers.status.status_move in the transaction of the
    change and never edited or deleted. The volunteer's home path is copied as it was at the
    time (``follow_moves=False``): the record stays with the area that was responsible."""

    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("志愿者"),
        on_delete=models.CASCADE,
        related_name="status_events",
    )
    from_status = models.CharField(
        _("原状态"), max_length=16, choices=Volunteer.Status.choices, blank=True
    )
    to_status = models.CharField(_("新状态"), max_length=16, choices=Volunteer.Status.choices)
    home_center = models.ForeignKey(
        Center, verbose_name=_("所属阵地"), on_delete=models.PROTECT, related_name="+"
    )
    township = models.ForeignKey(
        Center,
        verbose_name=_("所属乡镇"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    county = models.ForeignKey(
        Center,
        verbose_name=_("所属县区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="home_center", follow_moves=False
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("志愿者状态记录")
        verbose_name_plural = _("志愿者状态记录")
        indexes = [
            models.Index(fields=["volunteer", "at"], name="volunteer_status_timeline"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id}: {self.from_status or '-'} → {self.to_status}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("VolunteerStatusEvent rows are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("VolunteerStatusEvent rows are append-only")
