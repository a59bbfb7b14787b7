from __future__ import annotations

import logging

from core.tasks import portal_task

logger = logging.getLogger(__name__)


@portal_task(name="accounts.tasks.signin_records_purge_task")
def signin_records_purge_task() -> dict[str, int]:
    from accounts.signin import signin_records_purge

    counts = signin_records_purge()
    logger.info("sign-in records purged: %s", counts)
    return counts
