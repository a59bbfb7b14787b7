"""Issuing service certificates: by a cadre for a volunteer in scope, or by the volunteer
for themselves. A certificate is written once and never changed (points.models.Certificate)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, NotInScope
from points.certificates import new_number
from points.errors import PointErrorCode
from points.models import Certificate
from points.selectors.certificates import issuing_centers, self_service_issuer_id, service_record
from practice.models import Center
from volunteers.models import Volunteer
from volunteers.selectors import volunteer_of, volunteers_in_scope

# A volunteer whose application was never approved has no service to certify.
UNCERTIFIABLE_STATUSES = (Volunteer.Status.PENDING, Volunteer.Status.REJECTED)
# The ledger starts with the portal: nothing before this can be on it.
EARLIEST_PERIOD_START = datetime.date(2000, 1, 1)
NUMBER_ATTEMPTS = 5


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def certificate_period_check(
    start: datetime.date, end: datetime.date, *, today: datetime.date | None = None
) -> None:
    """Refuse a period a certificate cannot cover: reversed, reaching past today (in the
    portal's time zone), longer than CERTIFICATE_MAX_YEARS, or before the ledger began.
    The one rule for the volunteer's page, the admin and any later surface."""
    today = today or timezone.localdate()
    if end < start:
        raise DomainError(
            _("截止日期不能早于起始日期。"),
            code=PointErrorCode.CERTIFICATE_PERIOD_REVERSED,
            field="period_end",
        )
    if end > today:
        raise DomainError(
            _("证明期间不能晚于今天（%(today)s）。") % {"today": today.isoformat()},
            code=PointErrorCode.CERTIFICATE_PERIOD_IN_FUTURE,
            field="period_end",
        )
    years = settings.CERTIFICATE_MAX_YEARS
    if start <= _years_before(end, years):
        raise DomainError(
            _("一份证明的期间最长为 %(years)d 年，请缩短期间或分开开具。") % {"years": years},
            code=PointErrorCode.CERTIFICATE_PERIOD_TOO_LONG,
            field="period_start",
        )
    if start < EARLIEST_PERIOD_START:
        raise DomainError(
            _("起始日期不能早于 %(day)s。") % {"day": EARLIEST_PERIOD_START.isoformat()},
            code=PointErrorCode.CERTIFICATE_PERIOD_TOO_EARLY,
            field="period_start",
        )


def _check_certifiable(volunteer: Volunteer) -> None:
    if volunteer.status in UNCERTIFIABLE_STATUSES:
        raise DomainError(
            _("志愿者申请审核通过后才能开具志愿服务证明。"),
            code=PointErrorCode.CERTIFICATE_VOLUNTEER_NOT_APPROVED,
        )


def _certificate_create(
    *,
    volunteer: Volunteer,
    start: datetime.date,
    end: datetime.date,
    issuing_center: Center,
    issued_by: User,
    self_service: bool,
    figures: tuple[Decimal, int] | None = None,
) -> Certificate:
    """Freeze the figures (``figures``, when the caller has read them in this transaction)
    and write the certificate under a fresh number. The caller has checked who may issue
    it and the period."""
    hours, services = figures or service_record(volunteer.pk, start, end)
    issued_at = timezone.now()
    for attempt in range(NUMBER_ATTEMPTS):
        certificate = Certificate(
            number=new_number(
                year=timezone.localdate(issued_at).year,
                issuing_center_code=issuing_center.code,
            ),
            volunteer=volunteer,
            home_center_id=volunteer.home_center_id,
            township_id=volunteer.township_id,
            county_id=volunteer.county_id,
            real_name=volunteer.real_name,
            id_number_first4=volunteer.id_number_first4,
            id_number_last4=volunteer.id_number_last4,
            national_number=volunteer.national_number,
            period_start=start,
            period_end=end,
            hours=hours,
            services=services,
            issuing_center=issuing_center,
            issued_by=issued_by,
            self_service=self_service,
            issued_at=issued_at,
        )
        try:
            # A savepoint: a number drawn twice (one in 10^11) is drawn again, and the
            # caller's transaction goes on.
            with transaction.atomic():
                certificate.save(force_insert=True)
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
            continue
        return certificate
    raise AssertionError("unreachable")


@transaction.atomic
def certificate_issue(
    *,
    actor: User,
    volunteer_id: int,
    start: datetime.date,
    end: datetime.date,
    issuing_center_id: int,
) -> Certificate:
    """A cadre issues a certificate for a volunteer living in their subtree, in the name of
    the volunteer's township institute or county center, whichever of them is in the
    cadre's scope (points.selectors.certificates.issuing_centers)."""
    volunteer = volunteers_in_scope(actor).filter(pk=volunteer_id).first()
    if volunteer is None:
        raise NotInScope(
            _("志愿者不存在或不在您的管辖范围内。"),
            code=PointErrorCode.CERTIFICATE_VOLUNTEER_NOT_IN_SCOPE,
        )
    _check_certifiable(volunteer)
    certificate_period_check(start, end)
    allowed = {center.pk: center for center in issuing_centers(actor, volunteer)}
    if issuing_center_id not in allowed:
        raise DomainError(
            _(
                "出具单位须为该志愿者所在、且在您管辖范围内的乡镇（街道）实践所或县（市、区）实践中心。"
            ),
            code=PointErrorCode.CERTIFICATE_ISSUER_NOT_ALLOWED,
            field="issuing_center",
        )
    return _certificate_create(
        volunteer=volunteer,
        start=start,
        end=end,
        issuing_center=allowed[issuing_center_id],
        issued_by=actor,
        self_service=False,
    )


@transaction.atomic
def certificate_request(*, user: User, start: datetime.date, end: datetime.date) -> Certificate:
    """A volunteer's own certificate, issued in the name of their township institute
    (points.selectors.certificates.self_service_issuer_id). Asking again for the same
    period while the figures are unchanged gives the certificate already issued, so a
    form sent twice makes one certificate."""
    volunteer = volunteer_of(user)
    if volunteer is None:
        raise DomainError(
            _("您还不是志愿者，无法开具志愿服务证明。"),
            code=PointErrorCode.CERTIFICATE_NOT_A_VOLUNTEER,
        )
    _check_certifiable(volunteer)
    certificate_period_check(start, end)
    issuer_id = self_service_issuer_id(volunteer)
    issuer = Center.objects.filter(pk=issuer_id).first() if issuer_id else None
    if issuer is None:
        raise DomainError(
            _("您的所属村（社区）尚未归入乡镇（街道），请联系所在社区开具证明。"),
            code=PointErrorCode.CERTIFICATE_NO_ISSUER,
        )
    # Serialise one volunteer's requests: two forms sent at once make one certificate.
    Volunteer.objects.select_for_update().filter(pk=volunteer.pk).first()
    hours, services = service_record(volunteer.pk, start, end)
    same = (
        Certificate.objects.filter(
            volunteer=volunteer,
            self_service=True,
            period_start=start,
            period_end=end,
            issuing_center=issuer,
            hours=hours,
            services=services,
            real_name=volunteer.real_name,
            national_number=volunteer.national_number,
        )
        .order_by("-id")
        .first()
    )
    if same is not None:
        return same
    return _certificate_create(
        volunteer=volunteer,
        start=start,
        end=end,
        issuing_center=issuer,
        issued_by=user,
        self_service=True,
        figures=(hours, services),
    )
