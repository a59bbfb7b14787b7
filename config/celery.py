import logging
import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_database_connections(**_kwargs: Any) -> None:
    """Treat each task as Django treats a request: keep the connection while it is younger
    than CONN_MAX_AGE and still usable, drop it otherwise. (Celery's own Django fixup would
    close it around every task; CELERY_DB_REUSE_MAX in settings turns that off.)"""
    from django.db import close_old_connections

    close_old_connections()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _mask_personal_data_in_worker_logs(logger: logging.Logger, **_kwargs: Any) -> None:
    """A worker replaces the root logger's handlers with its own (worker_hijack_root_logger)
    and so drops the filter settings put there: put it back on Celery's handlers."""
    from core.logging import add_filter_to_handlers

    add_filter_to_handlers(logger)
