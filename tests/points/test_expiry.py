"""Points expire by the year they were earned: those of year Y at the end of year Y+1, when
the rules say so (off by default), in one statement for everyone, once."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from points.models import Kind, PointsEntry, Source
from points.selectors.ledger import balances_cached, balances_recomputed
from points.services.ledger import points_credit, points_expire, service_award
from points.services.rules import rules_publish
from points.tasks import points_expire_task
from tests.factories.volunteers import make_volunteer
from tests.points.conftest import balances

pytestmark = pytest.mark.django_db

HENGYANG = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(year: int, month: int = 6, day: int = 1, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=HENGYANG)


def earned(volunteer, source_id: int, hours: str, when: datetime.datetime) -> None:
    """Hours and their points awarded, dated ``when`` (the ledger's history as it would be)."""
    assert service_award(
        volunteer_id=volunteer.pk, source=Source.ORDER, source_id=source_id, hours=Decimal(hours)
    )
    PointsEntry.objects.filter(source_id=source_id).update(created_at=when)


def spent(volunteer, source_id: int, points: int, when: datetime.datetime) -> None:
    assert points_credit(
        volunteer_id=volunteer.pk,
        source=Source.REDEMPTION,
        source_id=source_id,
        points=-points,
        kind=Kind.REDEEMED,
    )
    PointsEntry.objects.filter(source=Source.REDEMPTION, source_id=source_id).update(
        created_at=when
    )


@pytest.fixture
def expiring(people):
    return rules_publish(
        actor=people.city_cadre,
        points_per_hour=Decimal(10),
        rating_bonus=5,
        order_cap=None,
        expiry_enabled=True,
        coefficients={},
    )


def expired(volunteer) -> list[tuple[int, int]]:
    return list(
        PointsEntry.objects.filter(volunteer=volunteer, kind="expired")
        .order_by("source_id")
        .values_list("source_id", "points")
    )


def test_expiry_is_off_by_default(volunteer):
    earned(volunteer, 1, "3.00", at(2020))
    assert points_expire(today=datetime.date(2026, 1, 1)) == 0
    assert expired(volunteer) == []
    assert balances(volunteer) == (Decimal("3.00"), 30)


def test_points_of_year_y_expire_at_the_end_of_year_y_plus_1(volunteer, expiring):
    # given: 30 points earned in 2024, 20 in 2025
    earned(volunteer, 1, "3.00", at(2024))
    earned(volunteer, 2, "2.00", at(2025))
    # when: on the last day of 2025 nothing is due; on the first of 2026, 2024's points are
    before = points_expire(today=datetime.date(2025, 12, 31))
    after = points_expire(today=datetime.date(2026, 1, 1))
    # then
    assert (before, after) == (0, 1)
    assert expired(volunteer) == [(2024, -30)]
    assert balances(volunteer) == (Decimal("5.00"), 20)


def test_the_year_boundary_is_hengyangs(volunteer, expiring):
    # given: earned at 23:30 on 31 December 2024 in Hengyang (15:30 UTC), and at 00:30 on
    # 1 January 2025 (16:30 UTC on 31 December)
    earned(volunteer, 1, "1.00", at(2024, 12, 31, 23).replace(minute=30))
    earned(volunteer, 2, "2.00", at(2025, 1, 1, 0).replace(minute=30))
    # when
    points_expire(today=datetime.date(2026, 1, 1))
    # then: only the first was earned in 2024
    assert expired(volunteer) == [(2024, -10)]


def test_points_spent_go_first_from_the_oldest(volunteer, expiring):
    # given: 30 earned in 2024, 20 in 2025, 25 spent in 2025
    earned(volunteer, 1, "3.00", at(2024))
    earned(volunteer, 2, "2.00", at(2025))
    spent(volunteer, 1, 25, at(2025, 9))
    # when
    points_expire(today=datetime.date(2026, 1, 1))
    # then: 5 of 2024's points were left to expire; 2025's 20 stay
    assert expired(volunteer) == [(2024, -5)]
    assert balances(volunteer)[1] == 20


def test_a_second_run_of_the_same_year_expires_nothing(volunteer, expiring):
    earned(volunteer, 1, "3.00", at(2024))
    assert points_expire(today=datetime.date(2026, 1, 1)) == 1
    assert points_expire(today=datetime.date(2026, 3, 1)) == 0
    assert expired(volunteer) == [(2024, -30)]
    assert balances(volunteer)[1] == 0


def test_a_later_year_counts_what_expired_before(volunteer, expiring):
    # given: 2024's points expired at the end of 2025; 2025's are due at the end of 2026
    earned(volunteer, 1, "3.00", at(2024))
    earned(volunteer, 2, "2.00", at(2025))
    points_expire(today=datetime.date(2026, 1, 1))
    # when
    points_expire(today=datetime.date(2027, 1, 1))
    # then
    assert expired(volunteer) == [(2024, -30), (2025, -20)]
    assert balances(volunteer)[1] == 0
    assert balances_cached(volunteer_id=volunteer.pk) == balances_recomputed(
        volunteer_id=volunteer.pk
    )


def test_one_statement_expires_everyone(tree, volunteer, expiring):
    # given: three volunteers with 2024 points, one with only 2025 points
    others = [make_volunteer(number, tree.village_a2) for number in (2, 3, 4)]
    for number, person in enumerate([volunteer, *others[:2]], start=1):
        earned(person, number, "1.00", at(2024))
    earned(others[2], 9, "1.00", at(2025))
    # when
    with CaptureQueriesContext(connection) as queries:
        count = points_expire(today=datetime.date(2026, 1, 1))
    # then: the rules are read, then one statement writes the entries and the balances
    assert count == 3
    writes = [q["sql"] for q in queries.captured_queries if "points_pointsentry" in q["sql"]]
    assert len(writes) == 1
    assert writes[0].lstrip().startswith("WITH")
    assert [balances(person)[1] for person in [volunteer, *others]] == [0, 0, 0, 10]
    entry = PointsEntry.objects.get(volunteer=others[0], kind="expired")
    assert (entry.home_center_id, entry.county_id) == (tree.village_a2.pk, tree.county_a.pk)


def test_the_daily_task_expires_once_and_only_when_the_rules_say_so(volunteer, expiring):
    # given: points earned two years back, as beat's daily run would meet them today
    earned(volunteer, 1, "3.00", at(timezone.localdate().year - 2))
    # when: the task runs on two days
    first, second = points_expire_task(), points_expire_task()
    # then
    assert (first, second) == (1, 0)
    assert [points for _year, points in expired(volunteer)] == [-30]
    assert balances_cached(volunteer_id=volunteer.pk) == balances_recomputed(
        volunteer_id=volunteer.pk
    )


def test_the_daily_task_does_nothing_while_expiry_is_off(volunteer):
    earned(volunteer, 1, "3.00", at(timezone.localdate().year - 2))
    assert points_expire_task() == 0
    assert expired(volunteer) == []


def test_beat_runs_the_expiry_every_day():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["points-expire"]
    assert (entry["task"], entry["schedule"]) == (points_expire_task.name, 24 * 3600.0)
