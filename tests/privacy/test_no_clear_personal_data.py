"""No phone or resident ID number in clear outside the columns that must hold them (issue 9,
item 7): not in any other column, not in Redis (cache values, task messages), not in the
app's or Celery's log, not in PostgreSQL's log.

These tests are marked ``privacy_scan`` and run after every other test (tests/privacy/
conftest.py), so Redis and the logs hold whatever the whole run left there. The tables are
flushed by transactional tests, so the scan first runs a scenario of its own (a roster
previewed and abandoned, a roster imported, an order placed, an account renamed in the
admin, a failed insert, a log line with a number in it). The tests after the scan plant a
number in each place and check that the scanner finds it, so the scan can fail.

Redis: every database of the test server (0-15); ``PRIVACY_SCAN_REDIS_DBS`` (e.g. "8,9")
narrows it where other runs share the server.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import logging
import os

import pytest
import redis
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

import volunteers.roster_admin  # noqa: F401  (registers the roster admin)
from accounts.models import User
from core.logging import PersonalDataFilter, mask_personal_data
from core.models import Notification
from orders.services import order_place
from practice.models import Platform, Service
from tests.conftest import VOLUNTEER_ID_NUMBER
from tests.privacy.scanner import (
    database_of,
    database_url,
    scan_log,
    scan_redis,
    scan_tables,
    scan_text,
)
from volunteers.identity import compose_id_number
from volunteers.roster import IMPORT_COLUMNS

pytestmark = [pytest.mark.privacy_scan, pytest.mark.timeout(180)]

ROSTER_ID = compose_id_number("430405", datetime.date(1985, 6, 1), 517)
ROSTER_PHONE = "13612345678"
LOGGED_PHONE = "13898765432"
FAILED_INSERT_PHONE = "13711223344"


def redis_databases() -> list[int]:
    """The run's own databases of the shared server, the broker's and the cache's (what
    other runs and benchmarks keep in the others is not this run's doing), unless
    PRIVACY_SCAN_REDIS_DBS names others."""
    chosen = os.environ.get("PRIVACY_SCAN_REDIS_DBS", "")
    return [int(part) for part in chosen.split(",") if part.strip()] or sorted(
        {database_of(settings.REDIS_URL), database_of(settings.CACHES["default"]["LOCATION"])}
    )


def pg_log_lines(run_record):
    """Keep only this run's sessions: Debian's prefix names user@database, and each session
    this process opened has its backend pid recorded."""
    database = connection.settings_dict["NAME"]
    pids = {f"[{pid}]" for pid in run_record.backend_pids}

    def keep(line: str) -> bool:
        return f"@{database} " in line or any(pid in line for pid in pids)

    return keep


def scan_pg_log(run_record):
    assert run_record.pg_log is not None, "no PostgreSQL server log found to scan"
    return scan_log(run_record.pg_log, start=run_record.pg_log_start, keep=pg_log_lines(run_record))


def roster_csv(rows) -> io.BytesIO:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(IMPORT_COLUMNS)
    writer.writerows(rows)
    file = io.BytesIO(out.getvalue().encode("utf-8-sig"))
    file.name = "roster.csv"
    return file


def run_the_scenario(client, people, tree) -> None:
    """What a day of the portal writes: every place a number could leak to gets its chance."""
    import_url = reverse("admin:volunteers_volunteerroster_import")
    process_url = reverse("admin:volunteers_volunteerroster_process_import")
    client.force_login(people.county_cadre)
    # a roster previewed and left: it stays in the cache until it expires
    abandoned = [["王弃", "13612340000", compose_id_number("430405", datetime.date(1970, 1, 2), 11),
                  tree.village_a.code, "", "否", "", "", ""]]  # fmt: skip
    client.post(import_url, {"import_file": roster_csv(abandoned), "format": "0", "resource": "0"})
    # a roster imported: its rows wait as invitations
    rows = [["王导", ROSTER_PHONE, ROSTER_ID, tree.village_a.code, "", "是", "", "", ""]]
    preview = client.post(
        import_url, {"import_file": roster_csv(rows), "format": "0", "resource": "0"}
    )
    form = preview.context["confirm_form"]
    assert client.post(process_url, dict(form.initial)).status_code == 302
    # an account renamed in the admin: its history is kept for years
    client.post(
        reverse("admin:accounts_user_change", args=[people.volunteer.pk]),
        {"name": "李志愿改", "is_active": "on"},
    )
    # an order: its contact phone is one of the listed columns; the task message carries ids
    service = Service.objects.create(center=tree.city, platform=Platform.CULTURE, name="文艺演出")
    order_place(
        resident=people.resident,
        service=service,
        center=tree.village_a,
        title="需要文艺演出",
        address="王江社区 3 栋",
        contact_phone=people.resident.phone,
    )
    # a failed insert: PostgreSQL logs the error, never the values
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(phone=people.resident.phone, name="重复")])
    # a log line with numbers, as a careless caller (or a library) writes one
    logging.getLogger("portal.privacy").warning(
        "call %s about %s", LOGGED_PHONE, VOLUNTEER_ID_NUMBER
    )


@pytest.mark.privacy_scan(scan=True)
@pytest.mark.django_db(transaction=True)
def test_no_number_in_clear_outside_its_columns_after_the_suite(client, people, tree, run_record):
    # given whatever the whole run left, and a scenario of our own
    run_the_scenario(client, people, tree)
    for handler in logging.getLogger().handlers:
        handler.flush()

    # when
    tables = scan_tables(connection)
    stores = scan_redis(settings.REDIS_URL, redis_databases())
    app_log = scan_log(run_record.log_path)
    pg_log = scan_pg_log(run_record)

    # then
    assert [str(finding) for finding in tables] == []
    assert [str(finding) for finding in stores] == []
    assert [str(finding) for finding in app_log] == []
    assert [str(finding) for finding in pg_log] == []
    # and the places were really written: the log line masked, the insert's error logged
    written = run_record.log_path.read_text(encoding="utf-8")
    assert "call 138****5432 about" in written
    pg_written = run_record.pg_log.read_bytes()[run_record.pg_log_start :].decode(errors="replace")
    assert "accounts_user_phone_key" in pg_written


# --- the scanner finds what is planted: the scan can fail ------------------------------------


@pytest.mark.django_db
def test_the_table_scan_finds_a_number_planted_in_any_column(people):
    Notification.objects.create(user=people.resident, key="plant", title="请回电 13511112222")
    people.volunteer.name = f"身份证{VOLUNTEER_ID_NUMBER}"
    people.volunteer.save(update_fields=["name"])

    found = {(finding.place, finding.value) for finding in scan_tables(connection)}

    assert ("core_notification.title", "13511112222") in found
    assert ("accounts_user.name", VOLUNTEER_ID_NUMBER) in found
    # the listed columns are not findings
    assert not any(place == "accounts_user.phone" for place, _value in found)


def test_the_redis_scan_finds_numbers_in_keys_values_and_task_bodies():
    client = redis.Redis.from_url(settings.REDIS_URL)
    body = base64.b64encode(json.dumps([["13522223333"], {}, {}]).encode()).decode()
    try:
        client.set("privacy-plant", f"id {VOLUNTEER_ID_NUMBER}")
        client.set("privacy-plant-13533334444", "x")
        client.lpush("privacy-plant-queue", json.dumps({"body": body, "headers": {}}))

        found = {
            finding.value
            for finding in scan_redis(
                settings.REDIS_URL, [client.connection_pool.connection_kwargs.get("db", 0)]
            )
        }
    finally:
        client.delete("privacy-plant", "privacy-plant-13533334444", "privacy-plant-queue")

    assert {VOLUNTEER_ID_NUMBER, "13533334444", "13522223333"} <= found


def test_the_redis_scan_reads_each_database_it_is_given_not_only_the_urls():
    # given a number planted in the cache's database, beside the broker's the URL names
    broker = database_of(settings.REDIS_URL)
    cache = database_of(settings.CACHES["default"]["LOCATION"])
    assert cache != broker
    client = redis.Redis.from_url(database_url(settings.REDIS_URL, cache))
    try:
        client.set("privacy-plant-cache", "13544446666")
        # when each database is scanned through the broker's URL
        in_cache = {finding.value for finding in scan_redis(settings.REDIS_URL, [cache])}
        in_broker = {finding.value for finding in scan_redis(settings.REDIS_URL, [broker])}
    finally:
        client.delete("privacy-plant-cache")
    # then the number is found where it is, and only there
    assert "13544446666" in in_cache
    assert "13544446666" not in in_broker
    assert cache in redis_databases()


def test_the_log_scan_finds_a_planted_line(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("ok\nresident 13544445555 called\n", encoding="utf-8")

    assert [finding.value for finding in scan_log(log)] == ["13544445555"]


def test_a_number_is_found_beside_chinese_or_punctuation_not_inside_a_token():
    # A task's delivery tag once held "13672016188" inside its hex digits: no number.
    text = (
        "手机13544445555，tel:13544445556 (13544445557) "
        "fff76ec2-4631-436b-a514-b13672016188 key13544445558x"
    )
    assert [finding.value for finding in scan_text("text", text)] == [
        "13544445555",
        "13544445556",
        "13544445557",
    ]


@pytest.mark.django_db
def test_the_pg_log_scan_finds_a_number_the_server_logged(run_record):
    with connection.cursor() as cursor:
        cursor.execute("DO $$ BEGIN RAISE LOG 'privacy plant 13555556666'; END $$;")

    assert "13555556666" in {finding.value for finding in scan_pg_log(run_record)}


# --- the mechanisms --------------------------------------------------------------------------


@pytest.mark.django_db
def test_portal_sessions_keep_failed_statements_out_of_the_server_log():
    with connection.cursor() as cursor:
        cursor.execute("SHOW log_min_error_statement")
        statement_level = cursor.fetchone()[0]
        cursor.execute("SHOW log_error_verbosity")
        verbosity = cursor.fetchone()[0]

    assert (statement_level, verbosity) == ("panic", "terse")


def test_the_filter_masks_message_arguments_and_exceptions():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("portal.privacy.unit")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("phone %s id %s", "13812345678", VOLUNTEER_ID_NUMBER)
        try:
            raise ValueError(f"Key (phone)=(13912345678) already exists, {VOLUNTEER_ID_NUMBER}")
        except ValueError:
            logger.exception("insert failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True

    written = stream.getvalue()
    assert scan_text("stream", written) == []
    assert "phone 138****5678 id 4304**********" in written
    assert "139****5678" in written
    assert mask_personal_data("order 202612020001234 at 1701234567890") == (
        "order 202612020001234 at 1701234567890"
    )


def test_a_worker_that_sets_up_its_own_logging_masks_too():
    from config.celery import app

    root = logging.getLogger()
    kept_handlers, kept_level = list(root.handlers), root.level
    log = type(app.log)
    was_setup = log._setup
    try:
        log._setup = False
        app.log.setup(loglevel="INFO")
        worker_handlers = [handler for handler in root.handlers if handler not in kept_handlers]
        assert worker_handlers
        assert all(
            any(isinstance(f, PersonalDataFilter) for f in handler.filters)
            for handler in worker_handlers
        )
    finally:
        root.handlers[:] = kept_handlers
        root.setLevel(kept_level)
        log._setup = was_setup
