"""Two awards of the same source at once (a task redelivered while the first still runs, a
double submit): the second waits on the first's row of the unique key and writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from points.models import HoursEntry, PointsEntry, Source
from points.services.ledger import service_award
from tests.support.rivals import before_insert_into, rival_between
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db(transaction=True)


def award(volunteer_id: int) -> bool:
    return service_award(
        volunteer_id=volunteer_id, source=Source.ORDER, source_id=42, hours=Decimal("2.00")
    )


def test_a_concurrent_double_award_writes_one_entry_in_each_ledger(people):
    # given
    volunteer = Volunteer.objects.get(user=people.volunteer)
    # when: a rival awards the same order, on its own connection, just before our INSERT
    with rival_between(lambda: award(volunteer.pk), before_insert_into(HoursEntry)) as rival:
        ours = award(volunteer.pk)
    theirs = rival.finish()
    # then
    assert sorted([ours, theirs]) == [False, True]
    assert HoursEntry.objects.filter(source_id=42).count() == 1
    assert PointsEntry.objects.filter(source_id=42).count() == 1
    fresh = Volunteer.objects.get(pk=volunteer.pk)
    assert (fresh.hours, fresh.points) == (Decimal("2.00"), 20)
