"""The demo's service certificate (志愿服务证明): one issued by 衡州路街道's cadre, in the name
of the township's institute, for a demo volunteer of 王江社区 with real service history
(王秀英, 13700000101: two past orders, 3.50 hours), so that the volunteer's page
(/volunteer/certificates/) lists it with its PDF, the cadres' admin ("志愿服务证明") shows
it, and its printed verification link opens for anyone.

Idempotent: a volunteer who holds a certificate already gets no second one.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from points.certificates import verification_code
from points.models import Certificate
from points.services.certificates import certificate_issue
from volunteers.models import Volunteer

# The period: the last 60 days, which holds the village history's orders (5 to ~90 days
# back, the first volunteer's at 5 and 16 days).
PERIOD_DAYS = 60


def seed_certificate(*, volunteer: Volunteer, cadre: User) -> Certificate:
    """The demo volunteer's certificate, issued by ``cadre`` (a township cadre) as the
    volunteer's township institute; the one they hold already on a second run."""
    existing = Certificate.objects.filter(volunteer=volunteer).order_by("id").first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    assert volunteer.township_id is not None  # the demo's villages all hang under a township
    return certificate_issue(
        actor=cadre,
        volunteer_id=volunteer.pk,
        start=today - datetime.timedelta(days=PERIOD_DAYS),
        end=today,
        issuing_center_id=volunteer.township_id,
    )


def verification_path(certificate: Certificate) -> str:
    return reverse(
        "points:certificate_verify", args=[certificate.number, verification_code(certificate)]
    )
