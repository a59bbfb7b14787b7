"""Every write to the leaderboards' summaries (points.models.leaderboards).

- ``summaries_refresh``: the volunteers of one batch of the recheck outbox re-derived from
  the ledger, one upsert whatever the batch's size (points.services.stars.recheck_drain).
  An hours entry itself writes no summary: its transaction stays three statements, and the
  boards follow within the drain's run (woken at the entry's commit, beat every minute).
- ``summaries_rebuild``: the volunteers of an id range re-derived from the ledger, two
  statements whatever the range's size; ``leaderboards_rebuild`` walks every range and
  then the teams.
- ``team_summaries_rebuild``: every team's figures from its current members' rows, in one
  transaction (beat, every TEAM_BOARD_REFRESH_SECONDS).

The same SQL runs on PostgreSQL and SQLite (the demo).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from core.locks import transaction_lock
from points.models.leaderboards import ALL_TIME
from points.models.ledger import HoursEntry
from volunteers.models import Volunteer

SUMMARIES_LOCK = "points.hourssummary"

INSERT_SUMMARIES_SQL = (
    "INSERT INTO points_hourssummary"
    " (volunteer_id, year, home_center_id, township_id, county_id, hours)"
    " SELECT v.id, e.year, v.home_center_id, v.township_id, v.county_id, e.total"
)

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


def _ledger_sums_sql(entries: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """``entries`` grouped by (volunteer, year) and by volunteer alone, as one SELECT of
    (volunteer_id, year, total). The year is Django's own extraction in the portal's time
    zone (Asia/Shanghai), the same on both backends: an entry counts in its local year."""
    entries = entries.order_by()
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


def summaries_refresh_lock() -> None:
    """The refreshes' share of SUMMARIES_LOCK, for a caller to take before it locks anything
    the ledger's writers wait on (the drain, before its outbox rows): then a rebuild under
    way holds up only the drain, never an entry. Refreshes share it with each other (each
    drain batch holds volunteers no other holds); a rebuild takes it alone, since its
    DELETE and INSERT are two statements a refresh between them would break (a key
    inserted twice) or undo (an older snapshot written last)."""
    transaction_lock(SUMMARIES_LOCK, shared=True)


@transaction.atomic
def summaries_refresh(*, volunteer_ids: Iterable[int]) -> int:
    """Re-derive the summary rows of these volunteers from the hours ledger, in one upsert:
    what the ledger holds now, whatever was or was not counted before, so a batch run twice
    leaves the same rows. Returns the rows written (a row already right is not).

    Only the drain of the recheck outbox calls it, holding the volunteers' outbox rows: an
    entry written meanwhile marks its volunteer again once the batch commits, and the next
    batch counts it."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return 0
    summaries_refresh_lock()
    sums_sql, params = _ledger_sums_sql(HoursEntry.objects.filter(volunteer_id__in=ids))
    with connection.cursor() as cursor:
        # "WHERE TRUE" lets SQLite read ON CONFLICT as the upsert's, not the join's.
        cursor.execute(
            f"{INSERT_SUMMARIES_SQL} FROM ({sums_sql}) AS e"
            " JOIN volunteers_volunteer AS v ON v.id = e.volunteer_id WHERE TRUE"
            " ON CONFLICT (volunteer_id, year) DO UPDATE SET hours = excluded.hours,"
            " home_center_id = excluded.home_center_id, township_id = excluded.township_id,"
            " county_id = excluded.county_id"
            # A row that already holds the figures is left alone: a volunteer's past years
            # do not move with a new entry, and each row written is an entry in every
            # board index.
            " WHERE points_hourssummary.hours <> excluded.hours"
            " OR points_hourssummary.home_center_id <> excluded.home_center_id"
            " OR COALESCE(points_hourssummary.township_id, 0) <> COALESCE(excluded.township_id, 0)"
            " OR COALESCE(points_hourssummary.county_id, 0) <> COALESCE(excluded.county_id, 0)",
            params,
        )
        return int(cursor.rowcount)


@transaction.atomic
def summaries_rebuild(*, low: int, high: int, ledger: QuerySet[Any] | None = None) -> int:
    """Re-derive the summary rows of volunteers ``low <= id < high`` from the hours ledger:
    a DELETE and an INSERT … SELECT, nothing read into Python. An entry written meanwhile
    has marked its volunteer for the drain, whose refresh waits for this transaction and
    then counts it. Returns the rows written. ``ledger`` is the hours
    entries' queryset of a migration's historical model (the current one by default)."""
    entries = HoursEntry.objects.all() if ledger is None else ledger
    sums_sql, params = _ledger_sums_sql(
        entries.filter(volunteer_id__gte=low, volunteer_id__lt=high)
    )
    transaction_lock(SUMMARIES_LOCK)
    with connection.cursor() as cursor:
        cursor.execute(DELETE_RANGE_SQL, (low, high))
        cursor.execute(
            f"{INSERT_SUMMARIES_SQL}"
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
