"""The full recalculation (docs/points.md, "The full recalculation"): every volunteer's cached
hours and points compared with the ledgers' sums and repaired where they drifted, and every
volunteer whose eligibility the cache would change handed to the star levels' recheck.

Set-based: a run walks the volunteers by id range, a chunk per transaction, with three
statements a chunk whatever its size (the drift found, the drift repaired, the rechecks
marked) and nothing of the volunteers read into Python. Its progress is its row, so a run
cut short (its time limit, a killed worker) goes on from the next chunk."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ConflictError, DomainError
from points.enqueue import recalculation_on_commit, recheck_on_commit
from points.errors import PointErrorCode
from points.models import Recalculation, StarCertification
from points.selectors.stars import current_policy
from practice.scoping import manages_whole_tree
from volunteers.models import Volunteer

R = Recalculation.Status

# Hours are compared at two places, as stored: on SQLite (the demo) a sum is a float.
DRIFT_SQL = """
INSERT INTO points_recalculationdrift
    (recalculation_id, volunteer_id, cached_hours, ledger_hours, cached_points,
     ledger_points, repaired)
SELECT %(run)s, v.id, v.hours, ROUND(COALESCE(h.total, 0), 2), v.points,
       COALESCE(p.total, 0), FALSE
  FROM volunteers_volunteer AS v
  LEFT JOIN (SELECT volunteer_id, SUM(hours) AS total FROM points_hoursentry
              WHERE volunteer_id >= %(low)s AND volunteer_id < %(high)s
              GROUP BY volunteer_id) AS h ON h.volunteer_id = v.id
  LEFT JOIN (SELECT volunteer_id, SUM(points) AS total FROM points_pointsentry
              WHERE volunteer_id >= %(low)s AND volunteer_id < %(high)s
              GROUP BY volunteer_id) AS p ON p.volunteer_id = v.id
 WHERE v.id >= %(low)s AND v.id < %(high)s
   AND (ROUND(v.hours, 2) <> ROUND(COALESCE(h.total, 0), 2) OR v.points <> COALESCE(p.total, 0))
"""

# The cache takes the ledgers' figures only where it still holds what the drift found: an
# entry written since moved the balance by its own amount, and the next run looks again.
REPAIR_SQL = """
UPDATE volunteers_volunteer
   SET hours = d.ledger_hours, points = d.ledger_points
  FROM points_recalculationdrift AS d
 WHERE d.recalculation_id = %(run)s
   AND d.volunteer_id >= %(low)s AND d.volunteer_id < %(high)s
   AND d.volunteer_id = volunteers_volunteer.id
   AND volunteers_volunteer.hours = d.cached_hours
   AND volunteers_volunteer.points = d.cached_points
"""

REPAIRED_SQL = """
UPDATE points_recalculationdrift
   SET repaired = TRUE
 WHERE recalculation_id = %(run)s
   AND volunteer_id >= %(low)s AND volunteer_id < %(high)s
   AND EXISTS (SELECT 1 FROM volunteers_volunteer AS v
                WHERE v.id = points_recalculationdrift.volunteer_id
                  AND v.hours = points_recalculationdrift.ledger_hours
                  AND v.points = points_recalculationdrift.ledger_points)
"""


def _recheck_sql(policy_size: int) -> str:
    """Volunteers of the range whose hours reach a level they have no certification of, or
    have fallen below the threshold of one not yet under review: the star levels' recheck
    (stars_recheck) decides what to do with each, as after any ledger entry."""
    reached = " OR ".join(
        f"(v.hours >= %(threshold_{n})s AND NOT EXISTS (SELECT 1 FROM points_starcertification"
        f" AS c WHERE c.volunteer_id = v.id AND c.level = %(level_{n})s))"
        for n in range(policy_size)
    )
    fallen = (
        "EXISTS (SELECT 1 FROM points_starcertification AS c WHERE c.volunteer_id = v.id"
        " AND c.under_review = FALSE AND c.status <> %(rejected)s"
        " AND c.threshold_hours > v.hours)"
    )
    return f"""
INSERT INTO points_starrecheck (volunteer_id, marked_at)
SELECT v.id, %(now)s
  FROM volunteers_volunteer AS v
 WHERE v.id >= %(low)s AND v.id < %(high)s
   AND ((v.status = %(active)s AND ({reached or "FALSE"})) OR {fallen})
ON CONFLICT (volunteer_id) DO NOTHING
"""


def recalculation_start(*, actor: User | None = None) -> Recalculation:
    """Start a run over every volunteer: by the nightly task (``actor`` None) or by a city
    cadre from the admin. Refused while a run is going (one at a time, by the database)."""
    if actor is not None and not manages_whole_tree(actor):
        raise DomainError(
            _("只有市级干部可以发起全量重算。"), code=PointErrorCode.RECALCULATION_CITY_ONLY
        )
    ids = Volunteer.objects.aggregate(first=Min("pk"), last=Max("pk"))
    first, last = ids["first"] or 0, ids["last"] or 0
    try:
        with transaction.atomic():
            run = Recalculation.objects.create(
                started_by=actor,
                first_volunteer_id=first,
                next_volunteer_id=first,
                last_volunteer_id=last,
            )
    except IntegrityError as exc:
        raise ConflictError(
            _("已有一次重算正在进行，请等待其完成。"), code=PointErrorCode.RECALCULATION_RUNNING
        ) from exc
    if actor is not None:
        # A cadre's start is carried on by the workers at once; the nightly task runs its own.
        recalculation_on_commit()
    return run


def recalculation_step(*, recalculation_id: int, chunk: int | None = None) -> bool:
    """One chunk of the run, in one transaction with its progress: True once the run is
    done (this chunk was its last, or it was done before). A chunk another worker holds is
    left to it (SKIP LOCKED), as if done for now: False."""
    chunk = chunk or settings.RECALCULATION_CHUNK
    with transaction.atomic():
        run = (
            Recalculation.objects.select_for_update(skip_locked=True)
            .filter(pk=recalculation_id)
            .first()
        )
        if run is None:
            return False
        if run.status == R.DONE:
            return True
        low, high = run.next_volunteer_id, run.next_volunteer_id + chunk
        policy = current_policy()
        params: dict[str, Any] = {
            "run": run.pk,
            "low": low,
            "high": high,
            "now": timezone.now(),
            "active": Volunteer.Status.ACTIVE,
            "rejected": StarCertification.Status.REJECTED,
        }
        for n, step in enumerate(policy):
            params[f"threshold_{n}"] = step.threshold_hours
            params[f"level_{n}"] = step.level
        with connection.cursor() as cursor:
            cursor.execute(DRIFT_SQL, params)
            drifted = cursor.rowcount
            if drifted:
                cursor.execute(REPAIR_SQL, params)
                cursor.execute(REPAIRED_SQL, params)
            cursor.execute(_recheck_sql(len(policy)), params)
            rechecked = cursor.rowcount
        run.next_volunteer_id = high
        run.chunks += 1
        run.drifted += drifted
        run.rechecked += rechecked
        done = high > run.last_volunteer_id
        if done:
            run.status = R.DONE
            run.finished_at = timezone.now()
        run.save(
            update_fields=[
                "next_volunteer_id",
                "chunks",
                "drifted",
                "rechecked",
                "status",
                "finished_at",
            ]
        )
        if rechecked:
            recheck_on_commit()
        return done


def recalculation_run(
    *, recalculation_id: int, time_limit: float | None = None, chunk: int | None = None
) -> bool:
    """Chunks of the run until it is done (True) or ``time_limit`` seconds
    (RECALCULATION_TIME_LIMIT) have passed (False: the next call goes on)."""
    limit = settings.RECALCULATION_TIME_LIMIT if time_limit is None else time_limit
    started = time.monotonic()
    while True:
        if recalculation_step(recalculation_id=recalculation_id, chunk=chunk):
            return True
        running = Recalculation.objects.filter(pk=recalculation_id, status=R.RUNNING)
        if time.monotonic() - started >= limit or not running.exists():
            return False


def recalculation_running() -> Recalculation | None:
    return Recalculation.objects.filter(status=R.RUNNING).first()
