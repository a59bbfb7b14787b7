"""The demo's embedded stack for real: SQLite and the filesystem broker, no server at all.

Everything runs as separate processes with the demo's environment (no DATABASE_URL,
REDIS_URL or CELERY_BROKER_URL) in a temporary PORTAL_VAR_DIR: ``manage.py migrate``, a
``celery worker --pool=solo``, a publisher (``manage.py shell``) and ``celery beat``. The
test reads the SQLite file directly.
"""

from __future__ import annotations

import pytest

from tests.core.conftest import VENV_BIN, wait_for

pytestmark = [pytest.mark.broker, pytest.mark.timeout(90)]


def test_task_enqueued_by_another_process_runs_on_the_worker(embedded_site, embedded_worker):
    embedded_site.run(
        str(VENV_BIN / "python"),
        "manage.py",
        "shell",
        "-c",
        "from core.tasks import heartbeat_task; heartbeat_task.delay('embedded')",
    )

    row = wait_for(
        lambda: embedded_site.heartbeat("embedded"),
        timeout=60,
        what=lambda: f"the 'embedded' row; worker log:\n{embedded_site.log(embedded_worker)}",
    )
    assert row[0] == 1
    assert embedded_worker.poll() is None, embedded_site.log(embedded_worker)
    # The broker's state stays in the var dir, not in the directory the worker started from.
    assert (embedded_site.broker_dir / "control" / "celery.exchange").is_file()
    assert list((embedded_site.broker_dir / "queue").iterdir()) == []


def test_beat_enqueues_heartbeats_that_the_worker_records(embedded_site, embedded_worker):
    beat = embedded_site.start(
        "beat",
        str(VENV_BIN / "celery"),
        "-A",
        "config",
        "beat",
        "--loglevel=INFO",
        extra_env={"HEARTBEAT_INTERVAL_SECONDS": "1"},
    )
    try:
        # Two beats: beat keeps scheduling, and the worker keeps consuming.
        row = wait_for(
            lambda: (row := embedded_site.heartbeat("worker")) and row[0] >= 2 and row,
            timeout=60,
            what=lambda: (
                f"two beat-scheduled heartbeats; beat log:\n{embedded_site.log(beat)}\n"
                f"worker log:\n{embedded_site.log(embedded_worker)}"
            ),
        )
        assert row[0] >= 2
        assert beat.poll() is None, embedded_site.log(beat)
        assert "Sending due task heartbeat" in embedded_site.log(beat)
        # With no --schedule, beat keeps its schedule in the var dir.
        assert list(embedded_site.var_dir.glob("celerybeat-schedule*"))
    finally:
        embedded_site.stop(beat)
    assert beat.returncode is not None
