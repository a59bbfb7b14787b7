"""Thin, idempotent tasks: each takes ids, calls one service, and is safe to run twice.

Tasks call the services; nothing in orders imports this module back (the services and the
state machine enqueue by name through orders.enqueue), so the imports stay one-way."""

from __future__ import annotations

from core.tasks import portal_task, woken
from orders.dispatch import auto_dispatch, sweep
from orders.enqueue import AUTO_DISPATCH_TASK, NOTIFY_PENDING_TASK
from orders.notifications import notify_event, notify_flagged, notify_pending


@portal_task(name=AUTO_DISPATCH_TASK)
def auto_dispatch_task(order_id: int) -> None:
    auto_dispatch(order_id=order_id)


@portal_task(name="orders.tasks.dispatch_sweep_task")
def dispatch_sweep_task() -> None:
    """Beat's safety net: expire lapsed offers and dispatch placed orders that no task
    reached (the broker was down when they were placed, or a worker died)."""
    sweep()


@portal_task(name=NOTIFY_PENDING_TASK)
def notify_pending_task() -> None:
    """Tell people of every order event not told yet (the outbox). Woken after each change
    (orders.enqueue.notify_on_commit), and run by beat every minute for what a wake missed."""
    woken(notify_pending_task)
    notify_pending()


@portal_task(name="orders.tasks.notify_event_task")
def notify_event_task(event_id: int) -> None:
    """One event. Nothing sends it any more; it stays for the messages a worker may still
    find in its queue from before the outbox (their events count as told already)."""
    notify_event(event_id=event_id)


@portal_task(name="orders.tasks.notify_flagged_task")
def notify_flagged_task(order_id: int) -> None:
    """One flag. Nothing sends it any more (flags are told by the notifier from
    Order.flag_told_at); it stays for the messages a worker may still find in its queue."""
    notify_flagged(order_id=order_id)
