"""Every write to volunteer profiles."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from practice.models import Center, Level
from volunteers.models import Volunteer


@transaction.atomic
def volunteer_create(
    *,
    user: User,
    home_center: Center,
    status: str = Volunteer.Status.PENDING,
    joined_on: datetime.date | None = None,
) -> Volunteer:
    """Give ``user`` a volunteer profile at their home village or community. A system-level
    write (seed data, roster import); the review flow decides the status for applicants."""
    if home_center.level != Level.VILLAGE:
        raise DomainError(
            _("所属阵地应为村（社区）级。"), code="home_not_village", field="home_center"
        )
    if Volunteer.objects.filter(user=user).exists():
        raise DomainError(_("该用户已是志愿者。"), code="already_volunteer")
    return Volunteer.objects.create(
        user=user, home_center=home_center, status=status, joined_on=joined_on
    )
