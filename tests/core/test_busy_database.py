"""The demo's SQLite, shared by the web process and the worker: a second writer waits for
the first instead of failing, and a wait that runs out is a Chinese 503, not a 500."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from core.middleware import BusyDatabaseMiddleware
from tests.core.conftest import BASE_DIR

# Two threads, two connections to one SQLite file, on the demo's settings. The second
# transaction reads before it writes, as a sign-up does (the code, then the account); it
# starts while the first holds the write lock and must wait for it, not fail.
TWO_WRITERS = textwrap.dedent(
    """
    import json, threading, time
    import django
    django.setup()
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS probe (n integer)")
    connection.close()
    first_holds_lock = threading.Event()
    outcome = {}

    def first():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO probe VALUES (1)")
            first_holds_lock.set()
            time.sleep(1.0)  # holding the lock while the second begins
        connection.close()

    def second():
        first_holds_lock.wait()
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM probe")
                    cursor.execute("INSERT INTO probe VALUES (2)")
            outcome["second"] = "written"
        except Exception as exc:
            outcome["second"] = str(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM probe")
        outcome["rows"] = cursor.fetchone()[0]
    print(json.dumps(outcome))
    """
)


def test_a_second_writer_on_the_demo_database_waits_for_the_first(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings", PORTAL_VAR_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", TWO_WRITERS],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"second": "written", "rows": 2}


def _middleware() -> BusyDatabaseMiddleware:
    return BusyDatabaseMiddleware(lambda request: pytest.fail("not reached"))


def test_a_wait_that_ran_out_answers_503_in_chinese_on_the_api_and_the_pages():
    busy = OperationalError("database is locked")
    api = _middleware().process_exception(RequestFactory().post("/api/v1/orders/"), busy)
    page = _middleware().process_exception(RequestFactory().post("/accounts/signup/"), busy)

    assert api.status_code == 503
    assert json.loads(api.content) == {"detail": "系统繁忙，请稍后再试一次。", "code": "busy"}
    assert page.status_code == 503
    assert "系统繁忙" in page.content.decode()


def test_any_other_database_error_is_left_a_fault():
    other = OperationalError("no such table: probe")
    assert _middleware().process_exception(RequestFactory().get("/"), other) is None
