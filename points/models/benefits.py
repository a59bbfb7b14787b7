from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from practice.models import Center

# The star levels of the national star-volunteer rules.
MAX_STARS = 5
STAR_CHOICES = [
    (1, _("一星")),
    (2, _("二星")),
    (3, _("三星")),
    (4, _("四星")),
    (5, _("五星")),
]


class Benefit(TimeStampedModel):
    """One benefit (礼遇) of the catalogue: what a volunteer of at least ``min_stars`` stars
    gets from ``provider`` (a scenic spot, a bus company, a hospital...).

    A benefit belongs to the center that offers it, and reaches the volunteers living in
    that center's subtree: the city's everywhere, a county's in that county. Where it
    extends to the volunteer's children the catalogue says so (``extends_to_children``);
    the portal records nothing about the children themselves.
    """

    class Category(models.TextChoices):
        SCENIC = "scenic", _("景区游览")
        TRANSPORT = "transport", _("交通出行")
        HEALTH = "health", _("健康体检")
        PRIORITY = "priority", _("优先服务")
        CHILDREN = "children", _("子女关爱")
        OTHER = "other", _("其他礼遇")

    center = models.ForeignKey(
        Center, verbose_name=_("提供阵地"), on_delete=models.PROTECT, related_name="benefits"
    )
    title = models.CharField(_("礼遇名称"), max_length=80)
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    provider = models.CharField(
        _("提供单位"), max_length=80, help_text=_("如景区、公交公司、医院的名称。")
    )
    description = models.TextField(_("礼遇说明"), max_length=1000, blank=True)
    min_stars = models.PositiveSmallIntegerField(
        _("最低星级"),
        choices=STAR_CHOICES,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_STARS)],
        help_text=_("达到该星级（1–5 星）的志愿者可享受。"),
    )
    extends_to_children = models.BooleanField(
        _("惠及子女"),
        default=False,
        help_text=_("勾选后，礼遇目录注明该礼遇惠及志愿者子女；平台不收集子女的任何信息。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("星级礼遇")
        verbose_name_plural = _("星级礼遇")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_stars__gte=1, min_stars__lte=MAX_STARS),
                name="benefit_min_stars_1_to_5",
                violation_error_message=_("最低星级应为 1 至 5 星。"),
            ),
            models.UniqueConstraint(
                fields=["center", "title"],
                name="benefit_title_unique_per_center",
                violation_error_message=_("该阵地已有同名礼遇。"),
            ),
        ]
        indexes = [
            # A volunteer's catalogue: the few centers above their home, by level.
            models.Index(fields=["center", "min_stars"], name="benefit_center_stars"),
        ]

    def __str__(self) -> str:
        return self.title
