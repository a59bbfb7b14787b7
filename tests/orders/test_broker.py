"""Order dispatch when the broker fails: a real PostgreSQL, a real Redis, real workers.

Each test gets a private ``redis-server`` on a spare port, so stopping, freezing or flushing
it touches nobody else's queue; the Celery app publishes to it for the test. Workers are
either an embedded worker thread (``celery.contrib.testing``, same process: it sees this
test's settings) or real ``celery worker`` subprocesses on the test database.

Dispatch only offers an order to a volunteer free in the weekly slot of *now*, and there is
no slot at night. The in-process tests pin that slot (``daytime``) so they pass at any hour;
the subprocess test cannot, and expects whichever outcome the real clock gives.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection, connections
from django.utils import timezone

from config import celery_app
from core.models import Notification
from orders import selectors
from orders.dispatch import auto_dispatch
from orders.models import Order, OrderEvent
from orders.services import order_dispatch, order_place
from orders.tasks import auto_dispatch_task, dispatch_sweep_task, notify_pending_task
from practice.catalogue import service_menu_install
from practice.models import Service
from tests.core.conftest import BASE_DIR, VENV_BIN, _die_with_parent, wait_for
from tests.support.private_redis import (
    PrivateRedis,
    end_other_database_sessions,
    private_redis_published_to,
)
from volunteers.availability import ALL_SLOTS, SLOT_BITS, slot_bit_at
from volunteers.models import Volunteer

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]

# A request that publishes against a broker that refuses or does not answer must not be
# kept waiting (issue 9). What bounds the wait is checked as behaviour, not with a stopwatch:
# the publisher's transport has socket timeouts and no retry loop (``_publish_is_bounded``),
# the publish is tried once and logged, and the breaker then skips the broker.


def _publish_is_bounded() -> None:
    options = celery_app.conf.broker_transport_options
    assert options["max_retries"] == 0
    assert 0 < options["socket_timeout"] <= 1
    assert 0 < options["socket_connect_timeout"] <= 1


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    """A redis-server of this test's own, with the Celery app publishing to it."""
    with private_redis_published_to(preferred_port=6391, log_path=tmp_path / "redis.log") as server:
        yield server


@pytest.fixture
def private_worker(private_redis, transactional_db):
    """Start (on demand) an embedded solo worker consuming from the private Redis; stopped in
    teardown, before the tables are flushed."""
    stack = []

    def start():
        context = start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=20,
        )
        worker = context.__enter__()
        stack.append(context)
        return worker

    try:
        yield start
    finally:
        while stack:
            stack.pop().__exit__(None, None, None)
        end_other_database_sessions()


@pytest.fixture
def daytime(monkeypatch):
    """Pin the weekly slot dispatch looks at to Monday morning, whatever the clock says. The
    embedded worker runs in this process, so it sees the same slot."""
    monkeypatch.setattr(selectors, "slot_bit_at", lambda moment: SLOT_BITS["mon_morning"])
    # The sweep and the dispatcher ask whether it is night: it is not, and the slot began
    # at 06:00.
    monkeypatch.setattr(
        "orders.dispatch.slot_start",
        lambda moment: timezone.localtime(moment).replace(hour=6, minute=0, second=0),
    )


@pytest.fixture
def order_setup(tree, people, settings, api_client):
    """A service offered at village A (asking for no skill) and the persona volunteer made a
    candidate: insured and free in every slot. The sweep takes orders at once."""
    settings.DISPATCH_SWEEP_GRACE_SECONDS = 0
    service_menu_install(city=tree.city)
    service = Service.objects.filter(center=tree.city, skills__isnull=True).order_by("id").first()
    assert service is not None
    Volunteer.objects.filter(user=people.volunteer).update(
        insurance_valid_until=timezone.localdate() + datetime.timedelta(days=365),
        availability=ALL_SLOTS,
    )
    volunteer = Volunteer.objects.get(user=people.volunteer)

    def place(title: str = "帮忙修理水管") -> Order:
        return order_place(
            resident=people.resident,
            service=service,
            center=tree.village_a,
            title=title,
            address="王江社区 3 栋 201",
            contact_phone="13900000001",
        )

    def place_via_api(title: str) -> Order:
        api_client.force_authenticate(user=people.resident)
        response = api_client.post(
            "/api/v1/orders/",
            {
                "service": service.pk,
                "center": tree.village_a.pk,
                "title": title,
                "address": "王江社区 3 栋 201",
                "contact_phone": "13900000001",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "placed"
        return Order.objects.get(pk=response.json()["id"])

    place.via_api = place_via_api
    return place, volunteer


def _dispatched_events(order_id: int) -> int:
    return OrderEvent.objects.filter(order_id=order_id, to_status=Order.Status.DISPATCHED).count()


# --- 1. Broker down or hung while placing -------------------------------------------------


def test_orders_placed_while_redis_is_down_are_saved_and_swept_once_it_is_back(
    private_redis, private_worker, order_setup, daytime, caplog
):
    place, volunteer = order_setup
    private_redis.stop()
    assert not private_redis.answers()

    placed = []
    # Two through the service, one through the API (201 with the broker down).
    for number, placing in enumerate((place, place, place.via_api)):
        # Publishing fails once and is swallowed: the order is saved all the same.
        order = placing(f"停电时下的单 {number}")
        placed.append(order.pk)
    _publish_is_bounded()

    # The first publish was attempted, failed and was logged, and opened the broker's
    # breaker (said once); the next two skipped the broker instead of trying again. None
    # raised into the request.
    assert [r.getMessage() for r in caplog.records if r.name == "core.tasks"] == [
        f"could not enqueue orders.tasks.auto_dispatch_task({placed[0]},); the periodic sweep will"
    ]
    opened = [r.getMessage() for r in caplog.records if r.name == "core.redis_breaker"]
    assert len(opened) == 1
    assert opened[0].startswith(f"Redis at 127.0.0.1:{private_redis.port} did not answer")
    # Committed, and nothing dispatched them: no task reached a broker.
    assert (
        list(Order.objects.filter(pk__in=placed).values_list("status", flat=True))
        == [Order.Status.PLACED] * 3
    )

    private_redis.start()
    # The queue came back empty: the tasks were never published, only the sweep can find them.
    assert private_redis.client().llen("celery") == 0
    private_worker()
    dispatch_sweep_task.delay()

    def all_dispatched() -> bool:
        return Order.objects.filter(pk__in=placed, status=Order.Status.DISPATCHED).count() == 3

    wait_for(all_dispatched, timeout=30, what="the sweep to dispatch the three orders")
    for order_id in placed:
        order = Order.objects.get(pk=order_id)
        assert order.dispatched_volunteer_id == volunteer.pk
        assert _dispatched_events(order_id) == 1


def test_placing_against_a_hung_redis_tries_once_and_saves_the_order(
    private_redis, private_worker, order_setup, daytime, caplog
):
    place, volunteer = order_setup
    # Connect once while it answers, so the frozen server holds an open, silent connection.
    with celery_app.connection_for_write() as warm:
        warm.ensure_connection(max_retries=1)
    private_redis.freeze()
    try:
        order = place("卡住时下的单")
    finally:
        private_redis.thaw()
    _publish_is_bounded()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED
    # It did try, and gave up: the failure was logged and swallowed, not skipped.
    assert [r.getMessage() for r in caplog.records if r.name == "core.tasks"] == [
        f"could not enqueue orders.tasks.auto_dispatch_task({order.pk},); the periodic sweep will"
    ]

    # Back to life: whether or not the frozen publish got through, the order is dispatched
    # exactly once (by its task or by the sweep, whichever comes first). The publisher is not
    # reset: the pooled connection that timed out must not poison the next publish.
    private_worker()
    dispatch_sweep_task.delay()
    wait_for(
        lambda: Order.objects.get(pk=order.pk).status == Order.Status.DISPATCHED,
        timeout=30,
        what="the order to be dispatched after the broker came back",
    )
    dispatch_sweep_task.delay()
    auto_dispatch_task.delay(order.pk)
    _wait_until_queue_drained(private_redis)
    assert _dispatched_events(order.pk) == 1
    assert Order.objects.get(pk=order.pk).dispatched_volunteer_id == volunteer.pk


def test_steps_taken_while_redis_is_down_are_told_once_it_is_back(
    private_redis, private_worker, order_setup, people, caplog
):
    # given: an order, offered by a cadre while the broker is down
    place, volunteer = order_setup
    order = place("停电时派的单")
    private_redis.stop()
    offer = order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=volunteer)
    # then: the offer is committed, and the wake that failed was logged
    assert offer.status == Order.Status.DISPATCHED
    assert "could not wake orders.tasks.notify_pending_task; its periodic run will" in [
        record.getMessage() for record in caplog.records if record.name == "core.tasks"
    ]
    event = OrderEvent.objects.get(order=order, to_status=Order.Status.DISPATCHED)
    assert event.notified_at is None
    assert not Notification.objects.filter(key=f"order-event-{event.pk}").exists()

    # when: the broker is back and beat's periodic run reaches a worker
    private_redis.start()
    private_worker()
    notify_pending_task.delay()

    # then: the volunteer is told, once
    wait_for(
        lambda: Notification.objects.filter(key=f"order-event-{event.pk}").exists(),
        timeout=30,
        what="the notifier to tell the offer made while the broker was down",
    )
    told = Notification.objects.get(key=f"order-event-{event.pk}")
    assert (told.user_id, told.title) == (volunteer.user_id, "您有新的服务任务")
    wait_for(
        lambda: OrderEvent.objects.get(pk=event.pk).notified_at is not None,
        timeout=10,
        what="the event to be marked told",
    )


def test_a_flag_raised_while_redis_is_down_reaches_the_cadres_once_it_is_back(
    private_redis, private_worker, order_setup, daytime, people
):
    # given: nobody free, and the broker down while the order is found undispatchable
    place, volunteer = order_setup
    Volunteer.objects.filter(pk=volunteer.pk).update(availability=0)
    order = place("无人可派的单")
    private_redis.stop()
    assert auto_dispatch(order_id=order.pk) is False
    flagged = Order.objects.get(pk=order.pk)
    assert (flagged.flagged_at is not None, flagged.flag_told_at) == (True, None)
    # when: the broker is back and beat's periodic run of the notifier reaches a worker
    private_redis.start()
    private_worker()
    notify_pending_task.delay()
    # then: the village's, the township's and the county's cadres are told
    wait_for(
        lambda: Notification.objects.filter(
            user=people.county_cadre, key__startswith=f"order-flagged-{order.pk}-"
        ).exists(),
        timeout=30,
        what="the county's cadre to be told of the flag",
    )
    wait_for(
        lambda: Order.objects.get(pk=order.pk).flag_told_at is not None,
        timeout=10,
        what="the flag to be marked told",
    )
    # the village's, the township's and the county's cadres, each once
    told = Notification.objects.filter(key__startswith=f"order-flagged-{order.pk}-")
    assert sorted(told.values_list("user_id", flat=True)) == sorted(
        [people.village_cadre.pk, people.township_cadre.pk, people.county_cadre.pk]
    )


def test_a_task_that_finds_its_database_connection_broken_is_retried_on_a_new_one(
    private_redis, private_worker, order_setup, daytime, monkeypatch
):
    # given: a worker as deployed, keeping its connection between tasks without a health
    # check before each one; one task has run, so its connection is open and kept
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 600)
    monkeypatch.setitem(connections.settings["default"], "CONN_HEALTH_CHECKS", False)
    place, volunteer = order_setup
    private_worker()
    first = place("断线前的单")
    wait_for(
        lambda: Order.objects.get(pk=first.pk).status == Order.Status.DISPATCHED,
        timeout=30,
        what="the first order to be dispatched",
    )
    # when: the database drops every connection but this test's (a restart, as the worker
    # sees it)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= 1
    second = place("断线后的单")
    # then: its task failed on the dead connection, was retried on a new one, and
    # dispatched the order, once
    wait_for(
        lambda: Order.objects.get(pk=second.pk).status == Order.Status.DISPATCHED,
        timeout=30,
        what="the order placed after the connection broke to be dispatched by the retry",
    )
    assert _dispatched_events(second.pk) == 1


def _wait_until_queue_drained(server: PrivateRedis) -> None:
    client = server.client()
    try:
        wait_for(
            lambda: client.llen("celery") == 0 and client.hlen("unacked") == 0,
            timeout=30,
            what="the worker to empty the queue",
        )
    finally:
        client.close()


# --- 2. Redelivery -------------------------------------------------------------------------


def test_a_dispatch_task_delivered_twice_dispatches_once(
    private_redis, private_worker, order_setup, daytime
):
    place, volunteer = order_setup
    finished = []

    def on_postrun(sender=None, task_id=None, args=None, **kwargs):
        if sender is not None and sender.name == auto_dispatch_task.name:
            finished.append((task_id, tuple(args or ())))

    task_postrun.connect(on_postrun, weak=False)
    try:
        # No worker yet: the task placing enqueued waits in the queue, and the same message
        # (same task id) is delivered twice more, as Redis redelivers an unacknowledged one.
        order = place()
        assert private_redis.client().llen("celery") == 1
        auto_dispatch_task.apply_async(args=(order.pk,), task_id="redelivered-dispatch")
        auto_dispatch_task.apply_async(args=(order.pk,), task_id="redelivered-dispatch")
        private_worker()
        wait_for(lambda: len(finished) == 3, timeout=30, what="three runs of the task")
    finally:
        task_postrun.disconnect(on_postrun)

    assert [task_args for _id, task_args in finished] == [(order.pk,)] * 3
    assert sorted(task_id for task_id, _args in finished).count("redelivered-dispatch") == 2
    assert _dispatched_events(order.pk) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.DISPATCHED
    assert order.dispatched_volunteer_id == volunteer.pk


# --- 3. Late acknowledgement ---------------------------------------------------------------


def test_tasks_are_acknowledged_late_and_publishing_is_bounded():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["socket_timeout"] == 0.5
    assert conf.broker_transport_options["socket_connect_timeout"] == 0.5
    # One connection attempt and one publish, no retry: the breaker handles what fails.
    assert conf.broker_transport_options["max_retries"] == 0
    assert conf.task_publish_retry is False
    assert conf.broker_transport_options["visibility_timeout"] == 3600


def _database_url() -> str:
    settings_dict = connection.settings_dict
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return (
        f"postgres://{settings_dict['USER']}{password}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )


def _libpq_dsn() -> str:
    settings_dict = connection.settings_dict
    parts = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict["USER"],
        "host": settings_dict["HOST"] or "127.0.0.1",
        "port": settings_dict["PORT"] or 5432,
    }
    if settings_dict.get("PASSWORD"):
        parts["password"] = settings_dict["PASSWORD"]
    return " ".join(f"{key}={value}" for key, value in parts.items())


@pytest.fixture
def worker_processes(private_redis, transactional_db, tmp_path):
    """Start ``celery worker`` subprocesses on the private Redis and the test database;
    every one is killed in teardown, before the tables are flushed."""
    started: list[tuple[subprocess.Popen, Path]] = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": private_redis.url,
        "CELERY_BROKER_URL": private_redis.url,
        # An unacknowledged task comes back after 5 s instead of an hour.
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "PYTHONUNBUFFERED": "1",
    }

    def start(name: str) -> tuple[subprocess.Popen, Path]:
        log_path = tmp_path / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    str(VENV_BIN / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"{name}@%h",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        started.append((process, log_path))
        return process, log_path

    try:
        yield start
    finally:
        for process, _log in started:
            if process.poll() is None:
                process.kill()
        for process, _log in started:
            process.wait(timeout=10)


def test_a_task_whose_worker_is_killed_mid_task_is_redelivered_to_another(
    private_redis, worker_processes, order_setup
):
    place, volunteer = order_setup
    order = place()  # its auto_dispatch_task waits in the private queue

    # Hold the orders table, so the first worker's task blocks in its first read: "mid-task".
    # (A row lock would not do: at night the task only reads, and no slot is free.)
    blocker = psycopg2.connect(_libpq_dsn())
    # Watched from a second, autocommit session: a session inside a transaction keeps seeing
    # the pg_stat_activity snapshot it took first.
    monitor = psycopg2.connect(_libpq_dsn())
    monitor.autocommit = True
    try:
        blocker.cursor().execute("LOCK TABLE orders_order IN ACCESS EXCLUSIVE MODE")
        first, first_log = worker_processes("first")

        def first_blocked_pid():
            if first.poll() is not None:
                pytest.fail(f"first worker exited:\n{first_log.read_text(errors='replace')}")
            with monitor.cursor() as cursor:
                # Only a session waiting on this test's lock: other databases on the same
                # server belong to other people.
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                    (blocker.get_backend_pid(),),
                )
                rows = cursor.fetchall()
            assert len(rows) <= 1
            return rows[0][0] if rows else None

        waiting_pid = wait_for(
            first_blocked_pid,
            timeout=45,
            what=lambda: f"the first worker to block on the row:\n{first_log.read_text()}",
        )
        log_text = first_log.read_text(errors="replace")
        assert "orders.tasks.auto_dispatch_task[" in log_text
        task_id = log_text.split("orders.tasks.auto_dispatch_task[", 1)[1].split("]", 1)[0]

        # The worker dies without acknowledging; its database session dies with it (a killed
        # client's backend would otherwise finish the statement once the lock is free).
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        with monitor.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (waiting_pid,))
    finally:
        blocker.rollback()
        blocker.close()
        monitor.close()

    # Still unacknowledged in Redis: the message was not lost with the worker.
    client = private_redis.client()
    try:
        assert client.hlen("unacked") == 1
        # A worker restores unacknowledged messages older than the visibility timeout when it
        # starts polling (later only every 100 s or so), so start the second one after that.
        ((_tag, delivered_at),) = client.zrange("unacked_index", 0, -1, withscores=True)
        wait_for(
            lambda: time.time() > delivered_at + 5 + 0.5,
            timeout=10,
            what="the visibility timeout of the unacknowledged message",
        )
    finally:
        client.close()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED
    assert _dispatched_events(order.pk) == 0

    second, second_log = worker_processes("second")
    done = f"Task orders.tasks.auto_dispatch_task[{task_id}] succeeded"
    wait_for(
        lambda: done in second_log.read_text(errors="replace"),
        timeout=60,
        what=lambda: f"the second worker to run the redelivered task:\n{second_log.read_text()}",
    )

    order.refresh_from_db()
    # The real clock decides: in a weekly slot the volunteer is offered the order, at night
    # nobody is on call and it waits, unflagged, for the morning sweep. Either way the task
    # ran once to the end.
    if slot_bit_at(timezone.localtime()):
        assert order.status == Order.Status.DISPATCHED
        assert order.dispatched_volunteer_id == volunteer.pk
        assert _dispatched_events(order.pk) == 1
    else:
        assert order.status == Order.Status.PLACED
        assert order.flagged_at is None
        assert _dispatched_events(order.pk) == 0
