"""Thin, idempotent tasks: each calls one service and is safe to run twice or at once.

Nothing in points imports this module back: the services wake the drain by name through
points.enqueue, so the imports stay one-way."""

from __future__ import annotations

from django.conf import settings

from core.tasks import portal_task, woken
from points.enqueue import (
    RECALCULATION_CONTINUE_TASK,
    STARS_PUBLISH_TASK,
    STARS_RECHECK_TASK,
    SUPERMARKET_RELEASE_TASK,
)

# A run hands on to the next task between chunks once RECALCULATION_TIME_LIMIT has passed;
# the task's own limit leaves two minutes beyond it for the chunk under way (the workers'
# default limit of a minute would cut every run short and roll its chunk back).
RECALCULATION_TASK_LIMIT = settings.RECALCULATION_TIME_LIMIT + 120


@portal_task(name=STARS_RECHECK_TASK)
def stars_recheck_task() -> int:
    """Drain the "volunteers to recheck" outbox in batches: their leaderboard rows and their
    stars follow their hours entries. Woken after each ledger entry
    (one queued run for any number of entries), and run by beat every minute for what a
    wake missed (the broker was down, a worker was killed)."""
    from points.services.stars import recheck_drain

    woken(stars_recheck_task)
    return recheck_drain()


@portal_task(name=STARS_PUBLISH_TASK)
def stars_publish_task() -> int:
    """Mark the stars whose notice ended as certified and tell their volunteers (beat)."""
    from points.services.stars import certifications_publish

    return certifications_publish()


@portal_task(name=RECALCULATION_CONTINUE_TASK, time_limit=RECALCULATION_TASK_LIMIT)
def recalculation_continue_task() -> bool:
    """Carry the running recalculation on for RECALCULATION_TIME_LIMIT seconds (beat every
    few minutes, and woken by a cadre's start); nothing when none runs. Two at once share
    the chunks (each chunk's row lock is taken with SKIP LOCKED)."""
    from points.services.recalculation import recalculation_run, recalculation_running

    woken(recalculation_continue_task)
    running = recalculation_running()
    if running is None:
        return True
    return recalculation_run(recalculation_id=running.pk)


@portal_task(name="points.tasks.recalculation_nightly_task", time_limit=RECALCULATION_TASK_LIMIT)
def recalculation_nightly_task() -> bool:
    """Start the nightly run (unless one still runs) and carry it on."""
    from core.errors import ConflictError
    from points.services.recalculation import (
        recalculation_run,
        recalculation_running,
        recalculation_start,
    )

    running = recalculation_running()
    if running is None:
        try:
            running = recalculation_start()
        except ConflictError:
            running = recalculation_running()
            if running is None:
                return True
    return recalculation_run(recalculation_id=running.pk)


@portal_task(name="points.tasks.points_expire_task", time_limit=RECALCULATION_TASK_LIMIT)
def points_expire_task() -> int:
    """The yearly expiry of points, when the rules in force have it on (beat, every day):
    one statement for the whole city, which writes only on the first run after a year is
    due (the ledger's key makes every later run of that year write nothing). Its limit is
    the recalculation's: at city scale the statement reads both years of the ledger."""
    from points.services.ledger import points_expire

    return points_expire()


@portal_task(name=SUPERMARKET_RELEASE_TASK)
def supermarket_release_task() -> int:
    """Give back the love supermarket's redemptions not collected in time (beat). Safe to
    run twice or at once: SKIP LOCKED batches and the ledger's key."""
    from points.services.supermarket import redemptions_release

    return redemptions_release()


@portal_task(name="points.tasks.team_boards_refresh_task")
def team_boards_refresh_task() -> int:
    """The team leaderboards re-summed from their current members' rows (beat, every ten
    minutes): one transaction, safe twice or at once (the second waits, then writes the
    same)."""
    from points.services.leaderboards import team_summaries_rebuild

    return team_summaries_rebuild()


@portal_task(
    name="points.tasks.leaderboards_nightly_task",
    time_limit=settings.LEADERBOARDS_REBUILD_TIME_LIMIT,
)
def leaderboards_nightly_task() -> int:
    """Every volunteer's summary re-derived from the ledger by id-range chunks (beat, once
    a day): a home moved without a new entry shows on the boards by the next morning."""
    from points.services.leaderboards import leaderboards_rebuild

    return leaderboards_rebuild()
