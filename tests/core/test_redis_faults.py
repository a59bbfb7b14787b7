"""A sick Redis slows nothing down and breaks nothing (issue 9, item 10), under the real
server: gunicorn on the test database, its cache and broker on a private redis-server that
the test stops (connection refused) and then freezes (SIGSTOP: connections open, no reply).

Every request must answer within 2 s, the bound the issue sets, with the result it has when
Redis is well: API sign-in, registration, placing an order and a state change (a cancel).
What Redis would have carried is caught up once it is back: the orders placed meanwhile are
dispatched by the sweep, once each, and the notifier tells the cancels.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.verification import Purpose, verification_code_send
from orders import selectors
from orders.models import Order, OrderEvent
from orders.tasks import dispatch_sweep_task, notify_pending_task
from practice.catalogue import service_menu_install
from practice.models import Service
from tests.accounts.sms import CODE, RecordingPhoneBackend
from tests.conftest import PASSWORD
from tests.core.conftest import BASE_DIR, VENV_BIN, _die_with_parent, wait_for
from tests.orders.test_broker import _database_url
from tests.support.private_redis import (
    PrivateRedis,
    free_port,
    private_redis_published_to,
)
from volunteers.availability import ALL_SLOTS, SLOT_BITS
from volunteers.models import Volunteer

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]

# Issue 9 wants every request answered while Redis is down or hung. No stopwatch here (the
# suite has no timing assertions): what keeps the requests from waiting is checked as
# behaviour, each request answering with its usual status and the server saying it skips
# Redis once an outage, not once a request (``_skipping_said``).
# How long the server skips Redis after a failure: shorter than production's 30 s, so the
# test can see it close again between the two outages without waiting half a minute.
SERVER_BREAKER_SECONDS = 3


@dataclass
class Server:
    """gunicorn on a free port, one sync worker: one process, so one breaker."""

    port: int
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(VENV_BIN / "gunicorn"),
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "1",
                    "--timeout",
                    "60",
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        wait_for(self.answers, timeout=60, what=lambda: f"gunicorn to answer:\n{self.log()}")

    def answers(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"gunicorn exited {self.process.returncode}:\n{self.log()}")
        try:
            return self.request("GET", "/healthz/")[0] == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(
        self, method: str, path: str, body: dict | None = None, token: str | None = None
    ) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Token {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, {"body": raw.decode(errors="replace")[:500]}


@pytest.fixture
def sick_redis(tmp_path) -> Iterator[PrivateRedis]:
    """The private Redis, with this process's Celery app publishing to it too (the sweep and
    the notifier run here once it is back)."""
    with private_redis_published_to(preferred_port=6481, log_path=tmp_path / "redis.log") as server:
        yield server


@pytest.fixture
def portal_server(sick_redis, transactional_db, tmp_path) -> Iterator[Server]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.support.server_settings",
        # The same order placed again and again: the placing-once window off, as in-process.
        "ORDER_DEDUPE_SECONDS": "0",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": sick_redis.url_of(0),
        "CELERY_BROKER_URL": sick_redis.url_of(0),
        "CACHE_URL": sick_redis.url_of(1),
        "REDIS_BREAKER_SECONDS": str(SERVER_BREAKER_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }
    server = Server(port=free_port(8471), log_path=tmp_path / "gunicorn.log", env=env)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def placeable(tree, people, settings, monkeypatch) -> Service:
    """A service anyone may order at village A, and the persona volunteer free to take it
    (the sweep, run in this process, looks at a pinned Monday-morning slot)."""
    settings.DISPATCH_SWEEP_GRACE_SECONDS = 0
    monkeypatch.setattr(selectors, "slot_bit_at", lambda moment: SLOT_BITS["mon_morning"])
    monkeypatch.setattr(
        "orders.dispatch.slot_start",
        lambda moment: timezone.localtime(moment).replace(hour=6, minute=0, second=0),
    )
    service_menu_install(city=tree.city)
    Volunteer.objects.filter(user=people.volunteer).update(
        insurance_valid_until=timezone.localdate() + datetime.timedelta(days=365),
        availability=ALL_SLOTS,
    )
    service = Service.objects.filter(center=tree.city, skills__isnull=True).order_by("id").first()
    assert service is not None
    return service


def _code(phone: str) -> str:
    """A sign-up code for ``phone``, sent from this process (the server shares the
    database it is kept in) and read off the recording backend as off the phone."""
    RecordingPhoneBackend.texts.clear()
    with override_settings(NOTIFICATION_BACKEND="tests.accounts.sms.RecordingPhoneBackend"):
        verification_code_send(phone=phone, purpose=Purpose.SIGNUP, client_address=None)
    return CODE.search(RecordingPhoneBackend.texts[-1][1]).group(1)


def _round(server: Server, *, phase: str, number: int, service, tree, people) -> dict:
    """Sign in, register, place two orders and cancel one; every request must answer with
    the status it has when Redis is well."""

    status, payload = server.request(
        "POST", "/api/v1/auth/token/", {"phone": people.resident.phone, "password": PASSWORD}
    )
    assert status == 200, (phase, payload)
    token = payload["token"]

    phone = f"1360000{number:04d}"
    status, payload = server.request(
        "POST",
        "/api/v1/accounts/register/",
        {"phone": phone, "password": PASSWORD, "name": f"新居民{number}", "code": _code(phone)},
    )
    assert status == 201, (phase, payload)

    placed = []
    for which in ("kept", "cancelled"):
        status, payload = server.request(
            "POST",
            "/api/v1/orders/",
            {
                "service": service.pk,
                "center": tree.village_a.pk,
                "title": f"{phase}时下的单（{which}）",
                "address": "王江社区 3 栋 201",
                "contact_phone": "13900000001",
            },
            token,
        )
        assert status == 201, (phase, payload)
        assert payload["status"] == "placed"
        placed.append(payload["id"])

    status, payload = server.request(
        "POST", f"/api/v1/orders/{placed[1]}/cancel/", {"reason": "不需要了"}, token
    )
    assert status == 200, (phase, payload)
    assert payload["status"] == "cancelled"

    return {"kept": placed[0], "cancelled": placed[1]}


def _skipping_said(server: Server) -> int:
    return server.log().count(" did not answer (")


def test_with_redis_refused_then_hung_every_request_answers_and_all_catches_up(
    sick_redis, portal_server, placeable, tree, people
):
    round_args = {"service": placeable, "tree": tree, "people": people}
    well = _round(portal_server, phase="Redis 正常", number=1, **round_args)
    assert _skipping_said(portal_server) == 0

    # Refused: the server is gone, connections are refused at once.
    sick_redis.stop()
    refused = _round(portal_server, phase="Redis 拒绝连接", number=2, **round_args)
    # The server said so once for the outage, not once for each request.
    assert _skipping_said(portal_server) == 1

    # Back, and the server's breaker closes on its next look after the period.
    sick_redis.start()
    wait_for(
        lambda: (
            portal_server.request(
                "POST",
                "/api/v1/auth/token/",
                {"phone": people.resident.phone, "password": PASSWORD},
            )[0]
            == 200
            and " answers again " in portal_server.log()
        ),
        timeout=SERVER_BREAKER_SECONDS + 30,
        interval=1,
        what=lambda: f"the server to use Redis again:\n{portal_server.log()}",
    )

    # Hung: the process is stopped with the server's connections to it open.
    sick_redis.freeze()
    try:
        hung = _round(portal_server, phase="Redis 无响应", number=3, **round_args)
        assert _skipping_said(portal_server) == 2
    finally:
        sick_redis.thaw()

    # Nothing the requests did was lost: the orders are there as they were answered.
    kept = [well["kept"], refused["kept"], hung["kept"]]
    cancelled = [well["cancelled"], refused["cancelled"], hung["cancelled"]]
    assert set(Order.objects.filter(pk__in=cancelled).values_list("status", flat=True)) == {
        Order.Status.CANCELLED
    }
    assert Order.objects.filter(pk__in=kept).count() == 3

    # Once Redis is back, the sweep dispatches what placing could not enqueue, once each,
    # and the notifier tells every step taken meanwhile.
    dispatch_sweep_task.apply()
    volunteer = Volunteer.objects.get(user=people.volunteer)
    for order_id in kept:
        order = Order.objects.get(pk=order_id)
        assert order.status == Order.Status.DISPATCHED, order_id
        assert order.dispatched_volunteer_id == volunteer.pk
        assert (
            OrderEvent.objects.filter(order_id=order_id, to_status=Order.Status.DISPATCHED).count()
            == 1
        )
    notify_pending_task.apply()
    assert not OrderEvent.objects.filter(
        order_id__in=kept + cancelled, notified_at__isnull=True
    ).exists()
