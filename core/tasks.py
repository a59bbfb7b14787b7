from __future__ import annotations

from celery import shared_task


@shared_task(name="core.tasks.heartbeat_task", ignore_result=True)
def heartbeat_task(source: str = "worker") -> None:
    from core.services import heartbeat_record

    heartbeat_record(source=source)
