"""A rival write injected between a step's read and its write (the race tests' seam).

A race test names the statement the rival must run before: ``rival_between(call, trigger)``
wraps this thread's connection (``connection.execute_wrapper``, Django's documented hook on
every statement a connection sends) and, when the step is about to send the first statement
``trigger`` matches, runs ``call`` once in a thread of its own, so on a connection of its own
whose transaction commits for real. The step goes on once the rival has committed, or is
waiting for a lock the step holds (read from pg_stat_activity), so both orders of the race
are reached on purpose instead of by luck. No application code is patched: the step runs
its real checks, and the rival's write is what makes it decide.

Needs committed data (``django_db(transaction=True)``): the rival's connection sees only
what is committed.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from django.db import connection, connections

# Generous: the rival is a few statements on an idle database. Not a timing assertion: the
# bound only stops a wait that would otherwise hang the suite.
RIVAL_TIMEOUT = 30


def table(model) -> str:
    return f'"{model._meta.db_table}"'


class Rival:
    """``call`` run once, in a thread of its own (so its own connection), when this thread's
    connection is about to execute its first statement matching ``trigger``."""

    def __init__(self, call, trigger):
        self.call = call
        self.trigger = trigger
        self.fired = False
        self.result = None
        self.error: BaseException | None = None
        self.backend_pid: int | None = None
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.backend_pid = cursor.fetchone()[0]
            self._ready.set()
            self.result = self.call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            self.error = exc
        finally:
            self._ready.set()
            connections.close_all()

    def __call__(self, execute, sql, params, many, context):
        if not self.fired and self.trigger(sql):
            self.fired = True
            self.thread.start()
            self._wait_until_committed_or_blocked()
        return execute(sql, params, many, context)

    def _wait_until_committed_or_blocked(self):
        assert self._ready.wait(RIVAL_TIMEOUT)
        # A connection of its own, in autocommit, so each look at pg_stat_activity is fresh.
        watcher = connections.create_connection("default")
        try:
            deadline = time.monotonic() + RIVAL_TIMEOUT
            while self.thread.is_alive():
                with watcher.cursor() as cursor:
                    cursor.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                        [self.backend_pid],
                    )
                    row = cursor.fetchone()
                if row and row[0] == "Lock":
                    return
                assert time.monotonic() < deadline, "the rival neither finished nor waited"
                self.thread.join(0.01)
        finally:
            watcher.close()

    def finish(self):
        self.thread.join(RIVAL_TIMEOUT)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error
        return self.result


def before_update_of(model):
    """The trigger for the step's first UPDATE of ``model``'s table."""
    name = table(model)
    return lambda sql: sql.startswith(f"UPDATE {name}")


def before_insert_into(model):
    """The trigger for the step's first INSERT into ``model``'s table."""
    name = table(model)
    return lambda sql: sql.startswith(f"INSERT INTO {name}")


def before_status_read(sql: str) -> bool:
    """The step's first read of an order's status."""
    from orders.models import Order

    return sql.startswith("SELECT") and f'{table(Order)}."status"' in sql


def before_order_update(sql: str) -> bool:
    from orders.models import Order

    return before_update_of(Order)(sql)


@contextmanager
def rival_between(call, trigger=before_order_update):
    """Run ``call`` as the rival just before the statement ``trigger`` matches; after the
    block, fail if the step never got there (the race was not run)."""
    rival = Rival(call, trigger)
    with connection.execute_wrapper(rival):
        yield rival
    assert rival.fired, "the step never reached the point the rival was to run at"


@contextmanager
def write_before(trigger, write):
    """Run ``write`` once on this thread's own connection just before the first statement
    ``trigger`` matches: the rival's change as the step's next statement would see it had
    another transaction committed it (READ COMMITTED). For tests inside the test
    transaction, where a second connection would not see the rows the test made; a race
    between two locks needs ``rival_between``."""
    fired = []

    def wrapper(execute, sql, params, many, context):
        if not fired and trigger(sql):
            fired.append(sql)
            write()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield fired
    assert fired, "the step never reached the point the rival was to write at"
