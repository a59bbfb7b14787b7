from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from points.models.ledger import copied_center_column
from practice.models import Center
from practice.scoping import AncestorColumns
from volunteers.models import Volunteer


class Certificate(models.Model):
    """A service certificate (志愿服务证明): a volunteer's hours and services over a period,
    frozen when it is issued, with the issuing (recording) center and a number anyone can
    verify through the link printed on it.

    The figures, the name and the masked ID number are copies taken at issue time: the
    certificate says what the ledger said that day, and a later correction of the ledger
    is a new certificate, not an edit of this one. Nothing here is ever updated, apart from
    the copied ancestor columns, which follow a moved center (practice.ancestry) as the
    hours ledger's do, so that a county's certificates stay one index range.

    The verification code of the link is not stored: it is an HMAC of the number and the
    frozen figures (points.certificates.verification_code), so a row altered in the
    database no longer verifies either.
    """

    number = models.CharField(_("证明编号"), max_length=24, unique=True, editable=False)
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="certificates"
    )
    # The volunteer's home, township and county at issue time (their scope columns), as on
    # the hours ledger: the cadres of where the volunteer lives list the certificate.
    home_center = copied_center_column(_("所属村（社区）"), null=False)
    township = copied_center_column(_("所属乡镇（街道）"), null=True)
    county = copied_center_column(_("所属县（市、区）"), null=True)
    real_name = models.CharField(_("姓名"), max_length=50, editable=False)
    id_number_first4 = models.CharField(max_length=4, editable=False)
    id_number_last4 = models.CharField(max_length=4, editable=False)
    national_number = models.CharField(
        _("全国志愿服务信息系统编号"), max_length=32, blank=True, editable=False
    )
    period_start = models.DateField(_("起始日期"), editable=False)
    period_end = models.DateField(_("截止日期"), editable=False)
    hours = models.DecimalField(_("服务时长"), max_digits=10, decimal_places=2, editable=False)
    services = models.PositiveIntegerField(_("服务次数"), editable=False)
    issuing_center = models.ForeignKey(
        Center,
        verbose_name=_("出具单位"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("开具人"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # Requested by the volunteer on their own page (issued in the name of their township
    # institute), rather than issued by a cadre.
    self_service = models.BooleanField(_("志愿者自助开具"), default=False, editable=False)
    issued_at = models.DateTimeField(_("开具时间"), editable=False)

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="home_center"
    )

    class Meta:
        verbose_name = _("志愿服务证明")
        verbose_name_plural = _("志愿服务证明")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="certificate_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(hours__gte=0), name="certificate_hours_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["volunteer", "-id"], name="certificate_volunteer_newest"),
            models.Index(fields=["county", "-id"], name="certificate_county_newest"),
            models.Index(fields=["township", "-id"], name="certificate_township_newest"),
            models.Index(fields=["home_center", "-id"], name="certificate_village_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.number}（{self.real_name}）"
