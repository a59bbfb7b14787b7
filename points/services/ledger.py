"""Every write to the hours and points ledgers."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Subquery

from points.models.ledger import HoursEntry
from volunteers.models import Volunteer


@transaction.atomic
def hours_credit(*, volunteer_id: int, source: str, source_id: int, hours: Decimal) -> bool:
    """Credit ``hours`` once for ``source``/``source_id``: True if this call credited them,
    False if that source was credited before (a retry, a redelivered task).

    The entry copies the volunteer's home, township and county (the scoping columns) in
    the INSERT itself, from subqueries: no read of the volunteer first."""
    volunteer = Volunteer.objects.filter(pk=volunteer_id)
    try:
        with transaction.atomic():
            HoursEntry.objects.create(
                volunteer_id=volunteer_id,
                home_center_id=Subquery(volunteer.values("home_center_id")),
                township_id=Subquery(volunteer.values("township_id")),
                county_id=Subquery(volunteer.values("county_id")),
                source=source,
                source_id=source_id,
                hours=hours,
            )
    except IntegrityError:
        return False
    # The cached balance moves in SQL, never read-modify-write in Python.
    volunteer.update(hours=F("hours") + hours)
    return True
