from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)


@shared_task(name="core.tasks.heartbeat_task", ignore_result=True)
def heartbeat_task(source: str = "worker") -> None:
    from core.services import heartbeat_record

    heartbeat_record(source=source)


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Send ``task`` once the current transaction commits, never before: a worker must not
    look for rows that are not there yet, nor act on a change that was rolled back.

    A broker that is down must not fail the request whose data is already committed: the
    error is logged and the periodic sweeps pick the work up from the database.
    """

    def send() -> None:
        try:
            task.apply_async(args=args)
        except Exception:  # noqa: BLE001 - any broker failure; the sweep is the fallback
            logger.warning("could not enqueue %s%r; the periodic sweep will", task.name, args)

    transaction.on_commit(send)
