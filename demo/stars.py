"""The demo's star levels (星级认证), each reached the way a real one is: certified hours in
the ledger (a county cadre's 补录 of past service, with its reason), the recheck that makes
a volunteer eligible, and the county cadre's confirmation, followed by the public notice.

- 李志愿 (13700000001) holds two stars, confirmed a month ago: their notice is over, so
  their star card draws its QR code and their benefits page lists what two stars open.
- The first of 珠晖区's demo volunteers was confirmed for one star today: they are on the
  public notice (/stars/notice/) for STAR_NOTICE_DAYS days, open to objections.
- The second has reached 100 hours and waits for a county cadre's confirmation (后台
  “星级认定”, filter 待认定).
- The third is 3.5 hours short of the first star: their card says how far it is.

Idempotent: each 补录 is one ledger entry by its source id, a recheck makes a level eligible
once, and a confirmed level is not confirmed again.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from points.models import StarCertification
from points.services.ledger import ledger_adjust
from points.services.stars import certification_confirm, stars_recheck
from volunteers.models import Volunteer

# The level the demo's first volunteer holds.
DEMO_STARS = 2
# Source ids of the demo's 补录 entries (source "cadre"): far from any real record's.
DEMO_RECORD_BASE = 7_000_000


def _certified_hours(cadre: User, volunteer: Volunteer, hours: Decimal) -> None:
    """Bring the volunteer's certified hours up to ``hours`` by one 补录 entry."""
    volunteer.refresh_from_db()
    missing = hours - volunteer.hours
    if missing > 0:
        ledger_adjust(
            actor=cadre,
            volunteer_id=volunteer.pk,
            source_id=DEMO_RECORD_BASE + volunteer.pk,
            reason="补录往年线下志愿服务时长（演示数据）",
            hours=missing,
        )
    stars_recheck(volunteer_ids=[volunteer.pk])


def _confirm(cadre: User, volunteer: Volunteer, level: int, at: datetime.datetime) -> None:
    eligible = StarCertification.objects.filter(
        volunteer=volunteer, level=level, status=StarCertification.Status.ELIGIBLE
    ).first()
    if eligible is not None:
        certification_confirm(actor=cadre, certification_id=eligible.pk, now=at)


def seed_star_levels(*, cadre: User, starred: Volunteer, others: list[Volunteer]) -> None:
    """``cadre`` is 珠晖区's county cadre (who certifies one and two stars); ``starred`` the
    demo's first volunteer; ``others`` three of the village's demo volunteers."""
    month_ago = timezone.now() - datetime.timedelta(days=30)
    _certified_hours(cadre, starred, Decimal("312.50"))
    for level in range(1, DEMO_STARS + 1):
        _confirm(cadre, starred, level, month_ago)
    in_notice, waiting, close = others[:3]
    _certified_hours(cadre, in_notice, Decimal("104.00"))
    _confirm(cadre, in_notice, 1, timezone.now())
    _certified_hours(cadre, waiting, Decimal("100.00"))
    _certified_hours(cadre, close, Decimal("96.50"))
