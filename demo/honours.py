"""The demo's annual honour: 李志愿, the board's first, nominated by 珠晖区's cadre for this
year and confirmed by the city's, so /honours/ has a row (docs/points.md)."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User
from points.models import Honour
from points.services.honours import honour_decide, honour_nominate
from volunteers.models import Volunteer


def seed_honour(*, volunteer: Volunteer, county_cadre: User, city_cadre: User) -> Honour:
    """Through the services, once: a second seed finds the honour made before."""
    year = timezone.localdate().year
    honour = Honour.objects.filter(volunteer=volunteer, year=year).first()
    if honour is None:
        honour = honour_nominate(
            actor=county_cadre,
            volunteer_id=volunteer.pk,
            year=year,
            reason="全年坚持为社区高龄老人买菜送药，服务时长全区领先。",
        )
    if honour.status == Honour.Status.NOMINATED:
        honour = honour_decide(actor=city_cadre, honour_id=honour.pk, confirm=True)
    return honour
