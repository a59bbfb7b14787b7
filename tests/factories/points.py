"""Service hours, credited through points.services.ledger.hours_credit (it copies the scoping
columns in the INSERT, which a raw row would leave to the test to get right)."""

from __future__ import annotations

from decimal import Decimal

from points.models import HoursEntry
from points.services.ledger import hours_credit
from volunteers.models import Volunteer


def credit(volunteer: Volunteer, source_id: int, hours: str = "1.50") -> HoursEntry:
    """``hours`` for order ``source_id``, credited once; the entry it made."""
    assert hours_credit(
        volunteer_id=volunteer.pk, source="order", source_id=source_id, hours=Decimal(hours)
    )
    return HoursEntry.objects.get(source="order", source_id=source_id)
