"""The one place points' writes hand work to the workers, once their transaction commits.

As in orders.enqueue, a task is named here, not imported, so that the services never import
points.tasks (which imports them): looked up among the tasks registered in this process, or
sent by name when this process has not imported it (a web process)."""

from __future__ import annotations

from celery import Task, current_app
from celery.canvas import Signature

from core.tasks import wake_on_commit

STARS_RECHECK_TASK = "points.tasks.stars_recheck_task"
STARS_PUBLISH_TASK = "points.tasks.stars_publish_task"
RECALCULATION_CONTINUE_TASK = "points.tasks.recalculation_continue_task"
SUPERMARKET_RELEASE_TASK = "points.tasks.supermarket_release_task"


def _task(name: str) -> Task | Signature:
    task = current_app.tasks.get(name)
    return task if task is not None else current_app.signature(name)


def recheck_on_commit() -> None:
    """Wake the drain of the recheck outbox once committed: one queued run at a time, however
    many entries were written (core.tasks.wake_on_commit)."""
    wake_on_commit(_task(STARS_RECHECK_TASK))


def recalculation_on_commit() -> None:
    """Start carrying a recalculation on once its row is committed (a city cadre's start)."""
    wake_on_commit(_task(RECALCULATION_CONTINUE_TASK))
