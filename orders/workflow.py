"""The order state machine: the only code that changes an order's status.

Each transition is one conditional UPDATE (compare-and-swap on the current status) plus an
event row, inside the caller's transaction. When two requests race for one order, the
database lets exactly one UPDATE match; the other finds the status already moved and is
refused with the state it found. A check-then-write in Python would let both through.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.errors import ConflictError, NotInScope
from core.tasks import enqueue_on_commit
from orders.models import Order, OrderEvent
from orders.tasks import notify_event_task

S = Order.Status

ALLOWED: dict[str, frozenset[str]] = {
    S.PLACED: frozenset({S.DISPATCHED, S.CANCELLED, S.REJECTED}),
    # Back to placed when the volunteer declines or the acceptance deadline passes.
    S.DISPATCHED: frozenset({S.ACCEPTED, S.PLACED, S.CANCELLED, S.REJECTED}),
    S.ACCEPTED: frozenset({S.IN_SERVICE, S.CANCELLED}),
    S.IN_SERVICE: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset({S.RATED}),
    S.RATED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
}


class IllegalTransition(ConflictError):
    """409: the order is not in a state that allows this action."""


def sources_of(target: str) -> frozenset[str]:
    return frozenset(source for source, targets in ALLOWED.items() if target in targets)


def transition(
    order_id: int,
    *,
    to: str,
    actor: User | None,
    reason: str = "",
    only_from: frozenset[str] | None = None,
    extra_condition: dict[str, Any] | None = None,
    **changes: Any,
) -> Order:
    """Move order ``order_id`` to ``to`` if its status allows it (and, narrower,
    ``only_from``), setting ``changes`` in the same UPDATE; write the event; return the
    fresh order. ``extra_condition`` adds filters the row must still meet (e.g. "dispatched
    to this volunteer"), checked atomically with the status. Raises IllegalTransition with
    the current state when the row did not match."""
    allowed_from = sources_of(to) if only_from is None else (only_from & sources_of(to))
    # No savepoint of its own: callers (the services) run it inside their transaction, and
    # two more round trips per step would take automatic dispatch past its 10 queries. A
    # refusal is raised before anything is written and spoils the caller's transaction, so
    # a caller that catches IllegalTransition must leave its atomic block (order_expire
    # and auto_dispatch do), not go on querying in it.
    with transaction.atomic(savepoint=False):
        current = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
        if current is None:
            raise NotInScope(_("订单不存在。"), code="order_missing")
        updated = (
            Order.objects.filter(pk=order_id, status=current, **(extra_condition or {}))
            .filter(status__in=allowed_from)
            .update(status=to, updated_at=timezone.now(), **changes)
        )
        if updated != 1:
            raise _refusal(order_id, to)
        event = OrderEvent.objects.create(
            order_id=order_id, from_status=current, to_status=to, actor=actor, reason=reason[:200]
        )
        # Every transition tells the people it concerns, once it is committed.
        enqueue_on_commit(notify_event_task, event.pk)
        return Order.objects.get(pk=order_id)


def _refusal(order_id: int, to: str) -> IllegalTransition:
    status = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
    label = Order.Status(status).label if status else "?"
    return IllegalTransition(
        _("订单当前状态为“%(status)s”，不能%(action)s。")
        % {"status": label, "action": ACTION_NAMES.get(to, gettext_lazy("执行此操作"))},
        code=f"not_allowed_in_{status}",
    )


ACTION_NAMES = {
    S.DISPATCHED: gettext_lazy("派单"),
    S.ACCEPTED: gettext_lazy("接单"),
    S.PLACED: gettext_lazy("退回重新派单"),
    S.IN_SERVICE: gettext_lazy("开始服务"),
    S.COMPLETED: gettext_lazy("完成服务"),
    S.RATED: gettext_lazy("评价"),
    S.CANCELLED: gettext_lazy("取消"),
    S.REJECTED: gettext_lazy("驳回"),
}
