from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey

from core.models import TimeStampedModel


class Level(models.TextChoices):
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")
    TOWNSHIP = "township", _("乡镇（街道）级")
    VILLAGE = "village", _("村（社区）级")


# Depth in the tree of each level; the stored level must agree with it.
LEVEL_DEPTH = {Level.CITY: 0, Level.COUNTY: 1, Level.TOWNSHIP: 2, Level.VILLAGE: 3}
LEVEL_AT_DEPTH = {depth: level for level, depth in LEVEL_DEPTH.items()}


class Kind(models.TextChoices):
    CENTER = "center", _("实践中心")
    INSTITUTE = "institute", _("实践所")
    STATION = "station", _("实践站")
    BASE = "base", _("实践基地")


DEFAULT_KIND = {
    Level.CITY: Kind.CENTER,
    Level.COUNTY: Kind.CENTER,
    Level.TOWNSHIP: Kind.INSTITUTE,
    Level.VILLAGE: Kind.STATION,
}

_KIND_TITLE = {
    Kind.CENTER: _("新时代文明实践中心"),
    Kind.INSTITUTE: _("新时代文明实践所"),
    Kind.STATION: _("新时代文明实践站"),
    Kind.BASE: _("新时代文明实践基地"),
}

contact_phone_validator = RegexValidator(
    r"^[0-9][0-9-]{6,19}$", _("联系电话只能包含数字和连字符，7 到 20 位。"), code="contact_phone"
)
center_code_validator = RegexValidator(
    r"^[0-9A-Za-z]{4,20}$", _("编码应为 4 到 20 位数字或字母。"), code="center_code"
)


class Center(MPTTModel, TimeStampedModel):  # type: ignore[django-manager-missing]  # mptt: no types
    """A practice center, institute, station or base: one node of the four-tier tree.

    Official divisions carry their statistical division code; bases carry a code of their
    own choosing, unique like the rest.
    """

    parent = TreeForeignKey(
        "self",
        verbose_name=_("上级阵地"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(
        _("区划编码"),
        max_length=20,
        unique=True,
        validators=[center_code_validator],
        error_messages={"unique": _("该编码已被其他阵地使用。")},
    )
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices, db_index=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("纬度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("经度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    contact_phone = models.CharField(
        _("联系电话"), max_length=20, blank=True, validators=[contact_phone_validator]
    )
    is_active = models.BooleanField(_("启用"), default=True)
    # Off anywhere above an order's village, and its orders wait for a cadre to dispatch.
    auto_dispatch = models.BooleanField(_("自动派单"), default=True)

    class MPTTMeta:
        order_insertion_by = ["code"]
        # mptt's own depth attribute is called "level" by default; ours is the named tier.
        level_attr = "depth"

    class Meta:
        verbose_name = _("实践阵地")
        verbose_name_plural = _("实践阵地")
        indexes = [
            # "Is automatic dispatch off here or above?" is asked for every order dispatched:
            # the few centers that switched it off, by tree and left edge, instead of every
            # center of the tree.
            models.Index(
                fields=["tree_id", "lft"],
                condition=models.Q(auto_dispatch=False),
                name="center_dispatch_off",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(latitude__isnull=True) & models.Q(longitude__isnull=True))
                | (models.Q(latitude__isnull=False) & models.Q(longitude__isnull=False)),
                name="center_coordinates_both_or_neither",
                violation_error_message=_("经度和纬度应同时填写或同时留空。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        """The name people use for the place, e.g. 珠晖区新时代文明实践中心."""
        return f"{self.name}{_KIND_TITLE[Kind(self.kind)]}"


class Platform(models.TextChoices):
    """The five service platforms (五大平台) every center organises its services by."""

    THEORY = "theory", _("理论宣讲平台")
    EDUCATION = "education", _("教育服务平台")
    CULTURE = "culture", _("文化服务平台")
    SCIENCE = "science", _("科技与科普服务平台")
    FITNESS = "fitness", _("健身体育服务平台")


class Service(TimeStampedModel):
    """One item of the service menu residents order from (群众点单).

    A service belongs to the center that offers it: the city's menu is offered everywhere,
    a county's only inside that county.
    """

    center = models.ForeignKey(
        Center, verbose_name=_("提供阵地"), on_delete=models.PROTECT, related_name="services"
    )
    platform = models.CharField(_("服务平台"), max_length=16, choices=Platform.choices)
    name = models.CharField(_("服务名称"), max_length=60)
    description = models.TextField(_("服务说明"), max_length=1000, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("上架"), default=True)
    # Choosing this item posts a micro-wish (an order of kind "wish", up on the wish wall for
    # donors to claim) instead of an ordinary service order.
    is_wish = models.BooleanField(
        _("微心愿项目"),
        default=False,
        help_text=_("勾选后，群众选择此项目发布的是微心愿：上微心愿墙，由爱心人士认领。"),
    )
    # The most hours one order of this service credits (None: ORDER_MAX_HOURS): an errand
    # takes an hour or two, a day of care takes eight.
    max_hours = models.PositiveSmallIntegerField(
        _("单次时长上限（小时）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("一次服务最多计入的时长；留空则按全市统一上限。"),
    )
    # ``skills``, the skills a volunteer needs one of to fit (none: anyone fits), is the
    # reverse side of volunteers.Skill.services.

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["platform", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["center", "name"],
                name="service_name_unique_per_center",
                violation_error_message=_("该阵地已有同名服务项目。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CadreRole(TimeStampedModel):
    """Binds a user to one center as a cadre (干部): they manage that center's subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="cadre_roles",
    )
    center = models.ForeignKey(
        Center, verbose_name=_("所在阵地"), on_delete=models.PROTECT, related_name="cadre_roles"
    )
    title = models.CharField(_("职务"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("干部任职")
        verbose_name_plural = _("干部任职")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "center"],
                name="cadre_role_unique_per_center",
                violation_error_message=_("该用户已在此阵地任职。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.center}"
