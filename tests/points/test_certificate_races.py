"""A volunteer's certificate form sent twice at once (a double tap, two tabs): the second
request waits on the first's lock of the volunteer's row, then finds the certificate the
first issued and gives it back, so one certificate is written."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from points.models import Certificate
from points.services.certificates import certificate_request
from points.services.ledger import hours_credit
from tests.support.rivals import before_insert_into, rival_between
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_requests_at_once_for_the_same_period_write_one_certificate(people):
    # given a volunteer with hours in the period
    volunteer = Volunteer.objects.get(user=people.volunteer)
    assert hours_credit(
        volunteer_id=volunteer.pk, source="order", source_id=1, hours=Decimal("2.00")
    )

    # Hengyang's date now, not at import: the hours were credited today there.
    today = timezone.localdate()

    def request() -> Certificate:
        return certificate_request(
            user=people.volunteer, start=today - datetime.timedelta(days=30), end=today
        )

    # when: a rival sends the same form, on its own connection, just before our INSERT
    with rival_between(request, before_insert_into(Certificate)) as rival:
        ours = request()
    theirs = rival.finish()

    # then
    assert Certificate.objects.count() == 1
    assert ours.number == theirs.number
    assert (ours.hours, ours.services) == (Decimal("2.00"), 1)
