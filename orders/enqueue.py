"""The one place orders' writes hand work to the workers, once their transaction commits.

The services and the state machine call these; the tasks (orders.tasks) call the services.
So that neither side imports the other, a task is named here, not imported: it is looked
up by name among the tasks registered in this process, and when it is not there (a web
process never imports orders.tasks) the message is sent by name. The names are the tasks'
registered names, fixed by beat's schedule and the queue routes in config/settings.py.
"""

from __future__ import annotations

from celery import Task, current_app
from celery.canvas import Signature

from core.tasks import enqueue_on_commit, wake_on_commit

AUTO_DISPATCH_TASK = "orders.tasks.auto_dispatch_task"
NOTIFY_PENDING_TASK = "orders.tasks.notify_pending_task"


def _task(name: str) -> Task | Signature:
    # The registered task when this process has imported it (a worker, a test): publishing
    # through it is what a task's own apply_async does. Otherwise a signature by name, which
    # sends the message without the task's code.
    task = current_app.tasks.get(name)
    return task if task is not None else current_app.signature(name)


def auto_dispatch_on_commit(order_id: int) -> None:
    """Offer the order automatically once it is committed (a worker runs orders.dispatch)."""
    enqueue_on_commit(_task(AUTO_DISPATCH_TASK), order_id)


def notify_on_commit() -> None:
    """Wake the notifier once committed: it tells what the outbox (OrderEvent.notified_at,
    Order.flag_told_at) holds untold."""
    wake_on_commit(_task(NOTIFY_PENDING_TASK))
