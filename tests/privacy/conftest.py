"""What the privacy scan needs from the whole run: it goes last, and the run's app and Celery
log lines and its PostgreSQL sessions are recorded from the start.

- Items marked ``privacy_scan`` move to the end of the run, so the scan sees what every
  other test left behind (Redis, logs; the tables are rebuilt by the scan's own scenario,
  since transactional tests flush them).
- From collection on, every log record of the process (the app's, Django's, and Celery's
  in-process workers') is also written to a file through a handler built like the one
  settings.LOGGING configures, with the same filters: the file holds what the configured
  handlers would write.
- The PostgreSQL server log's size at the start is noted, and every database session this
  process opens has its backend pid recorded, so the scan reads only this run's lines.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import pytest
from celery.signals import after_setup_logger
from django.conf import settings
from django.db.backends.signals import connection_created
from django.utils.module_loading import import_string


class RunRecord:
    log_path: Path | None = None
    tee: logging.Handler | None = None
    pg_log: Path | None = None
    pg_log_start: int = 0
    backend_pids: set[int] = set()


RUN = RunRecord()


def _configured_filters() -> list[logging.Filter]:
    config = settings.LOGGING
    names = config["handlers"]["console"].get("filters", [])
    return [import_string(config["filters"][name]["()"])() for name in names]


def _keep_the_tee(logger, **_kwargs) -> None:
    if RUN.tee is not None and RUN.tee not in logger.handlers:
        logger.addHandler(RUN.tee)


def _record_backend_pid(sender, connection, **_kwargs) -> None:
    info = getattr(connection.connection, "info", None)
    pid = getattr(info, "backend_pid", None)
    if pid:
        RUN.backend_pids.add(pid)


def pg_log_path() -> Path | None:
    """The server's log file: the collector's current file, or Debian's per-cluster file."""
    candidates = sorted(
        Path("/var/log/postgresql").glob("postgresql-*.log"), key=lambda path: path.stat().st_mtime
    )
    return candidates[-1] if candidates else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items) -> None:
    # After pytest-django's own ordering (transactional tests last), so nothing it moves
    # can come after the scan. Within the group the scan itself (``scan=True``) goes
    # first: the tests after it plant numbers on purpose.
    last = [item for item in items if item.get_closest_marker("privacy_scan")]
    if not last:
        return
    last.sort(key=lambda item: not item.get_closest_marker("privacy_scan").kwargs.get("scan"))
    items[:] = [item for item in items if not item.get_closest_marker("privacy_scan")] + last
    handle, name = tempfile.mkstemp(prefix="portal-suite-", suffix=".log")
    os.close(handle)
    RUN.log_path = Path(name)
    tee = logging.FileHandler(name, encoding="utf-8")
    tee.setLevel(logging.DEBUG)
    tee.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for log_filter in _configured_filters():
        tee.addFilter(log_filter)
    RUN.tee = tee
    logging.getLogger().addHandler(tee)
    # A broker test's in-process worker empties the root logger's handlers (Celery's
    # worker_hijack_root_logger) and installs its own: put the record back beside them.
    after_setup_logger.connect(_keep_the_tee, weak=False)
    RUN.pg_log = pg_log_path()
    if RUN.pg_log is not None:
        RUN.pg_log_start = RUN.pg_log.stat().st_size
    connection_created.connect(_record_backend_pid, weak=False)


@pytest.fixture
def run_record() -> RunRecord:
    return RUN
