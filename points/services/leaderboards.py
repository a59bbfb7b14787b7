"""Every write to the leaderboards' summaries (points.models.leaderboards).

- ``summary_add``: one hours entry's move of its volunteer's year and all-time rows, one
  upsert in the entry's own savepoint (hours_credit calls it), so the summary never
  disagrees with the ledger it sums.
- ``summaries_rebuild``: the volunteers of an id range re-derived from the ledger, two
  statements whatever the range's size, as the full recalculation walks its chunks;
  ``leaderboards_rebuild`` walks every range and then the teams.
- ``team_summaries_rebuild``: every team's figures from its current members' rows, in one
  transaction (beat, every TEAM_BOARD_REFRESH_SECONDS).

The same SQL runs on PostgreSQL and SQLite (the demo).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from points.models.leaderboards import ALL_TIME
from points.models.ledger import HoursEntry
from volunteers.models import Volunteer

# The volunteer's year row and all-time row, moved by the entry's hours and put where the
# volunteer lives now; both rows are locked in the same order by every entry of the
# volunteer, whose balance UPDATE (just before, in hours_credit) has serialised them anyway.
UPSERT_SQL = """
INSERT INTO points_hourssummary (volunteer_id, year, home_center_id, township_id, county_id, hours)
SELECT v.id, y.year, v.home_center_id, v.township_id, v.county_id, %(hours)s
  FROM volunteers_volunteer AS v
 CROSS JOIN (SELECT CAST(%(year)s AS INTEGER) AS year
             UNION ALL SELECT CAST(%(all_time)s AS INTEGER)) AS y
 WHERE v.id = %(volunteer)s
ON CONFLICT (volunteer_id, year) DO UPDATE
   SET hours = points_hourssummary.hours + excluded.hours,
       home_center_id = excluded.home_center_id,
       township_id = excluded.township_id,
       county_id = excluded.county_id
"""

DELETE_RANGE_SQL = """
DELETE FROM points_hourssummary WHERE volunteer_id >= %s AND volunteer_id < %s
"""

# Every team's current members' rows, summed per team and year. The team's place is on
# each of its memberships (the copied columns): no walk of the tree.
TEAMS_SQL = """
INSERT INTO points_teamhourssummary
    (team_id, year, hours, members, center_id, township_id, county_id, city_id, refreshed_at)
SELECT m.team_id, s.year, SUM(s.hours), COUNT(*), MAX(m.center_id), MAX(m.township_id),
       MAX(m.county_id), MAX(m.city_id), %s
  FROM volunteers_teammembership AS m
  JOIN volunteers_team AS t ON t.id = m.team_id
  JOIN points_hourssummary AS s ON s.volunteer_id = m.volunteer_id
  JOIN volunteers_volunteer AS v ON v.id = m.volunteer_id
 WHERE m.left_on IS NULL AND t.is_active = %s AND v.status = %s AND m.center_id IS NOT NULL
 GROUP BY m.team_id, s.year
"""


def entry_year(at: datetime.datetime) -> int:
    """The calendar year an entry written at ``at`` counts in: the portal's (Asia/Shanghai)."""
    return timezone.localtime(at, ZoneInfo(settings.TIME_ZONE)).year


def summary_add(*, volunteer_id: int, hours: Decimal, at: datetime.datetime) -> None:
    """Move the volunteer's summary rows of ``at``'s year and of all time by ``hours``.

    Only inside the transaction that writes the hours entry (hours_credit): the rows and
    the ledger must commit or roll back together."""
    with connection.cursor() as cursor:
        cursor.execute(
            UPSERT_SQL,
            {
                "hours": hours,
                "year": entry_year(at),
                "all_time": ALL_TIME,
                "volunteer": volunteer_id,
            },
        )


def _ledger_sums_sql(low: int, high: int, ledger: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """The ledger of the range grouped by (volunteer, year) and by volunteer alone, as one
    SELECT of (volunteer_id, year, total). The year is Django's own extraction in the
    portal's time zone, the same on both backends as ``entry_year``."""
    entries = ledger.filter(volunteer_id__gte=low, volunteer_id__lt=high).order_by()
    yearly = (
        entries.annotate(year=ExtractYear("created_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .values("volunteer_id", "year")
        .annotate(total=Sum("hours"))
    )
    yearly_sql, yearly_params = yearly.query.sql_with_params()
    overall = entries.values("volunteer_id").annotate(total=Sum("hours"))
    overall_sql, overall_params = overall.query.sql_with_params()
    sql = (
        f"SELECT y.volunteer_id, y.year, y.total FROM ({yearly_sql}) AS y"
        f" UNION ALL SELECT a.volunteer_id, {ALL_TIME}, a.total FROM ({overall_sql}) AS a"
    )
    return sql, (*yearly_params, *overall_params)


@transaction.atomic
def summaries_rebuild(*, low: int, high: int, ledger: QuerySet[Any] | None = None) -> int:
    """Re-derive the summary rows of volunteers ``low <= id < high`` from the hours ledger:
    a DELETE and an INSERT … SELECT, nothing read into Python. The rows of a volunteer
    with entries are locked for the transaction, so an entry written meanwhile waits and
    then adds to the rebuilt figure. Returns the rows written. ``ledger`` is the hours
    entries' queryset of a migration's historical model (the current one by default)."""
    sums_sql, params = _ledger_sums_sql(
        low, high, HoursEntry.objects.all() if ledger is None else ledger
    )
    with connection.cursor() as cursor:
        cursor.execute(DELETE_RANGE_SQL, (low, high))
        cursor.execute(
            "INSERT INTO points_hourssummary"
            " (volunteer_id, year, home_center_id, township_id, county_id, hours)"
            " SELECT v.id, e.year, v.home_center_id, v.township_id, v.county_id, e.total"
            f" FROM ({sums_sql}) AS e JOIN volunteers_volunteer AS v ON v.id = e.volunteer_id",
            params,
        )
        return int(cursor.rowcount)


@transaction.atomic
def team_summaries_rebuild(*, now: datetime.datetime | None = None) -> int:
    """Every team's figures from its current, active members' summary rows, replaced in one
    transaction (readers see the old figures until it commits). Returns the rows written."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A second rebuild at once waits here, then sees the first's rows: without it
            # its DELETE would miss them and its INSERT break the (team, year) key. Readers
            # are not blocked. SQLite (the demo) holds one writer at a time anyway.
            cursor.execute("LOCK TABLE points_teamhourssummary IN EXCLUSIVE MODE")
        cursor.execute("DELETE FROM points_teamhourssummary")
        cursor.execute(TEAMS_SQL, (now or timezone.now(), True, Volunteer.Status.ACTIVE))
        return int(cursor.rowcount)


def leaderboards_rebuild(*, chunk: int | None = None) -> int:
    """Every volunteer's summary re-derived, a chunk of ids per transaction, then the
    teams'. Returns the volunteer rows written."""
    chunk = chunk or settings.RECALCULATION_CHUNK
    ids = Volunteer.objects.aggregate(first=Min("pk"), last=Max("pk"))
    written = 0
    if ids["first"] is not None:
        low = ids["first"]
        while low <= ids["last"]:
            written += summaries_rebuild(low=low, high=low + chunk)
            low += chunk
    team_summaries_rebuild()
    return written
