import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_database_connections(**_kwargs) -> None:
    """Treat each task as Django treats a request: keep the connection while it is younger
    than CONN_MAX_AGE and still usable, drop it otherwise. (Celery's own Django fixup would
    close it around every task; CELERY_DB_REUSE_MAX in settings turns that off.)"""
    from django.db import close_old_connections

    close_old_connections()
