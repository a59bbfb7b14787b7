"""Automatic dispatch: what the Celery tasks run."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from orders.models import Order
from orders.selectors import dispatch_candidates
from orders.services import (
    order_dispatch,
    order_expire,
    order_flag_undispatchable,
)
from orders.workflow import IllegalTransition
from practice.models import Center

logger = logging.getLogger(__name__)


def auto_dispatch(*, order_id: int, at: datetime.datetime | None = None) -> bool:
    """Offer a placed order to the best candidate; flag it when nobody up to the county fits.
    ``at`` is the moment whose availability slot counts (now by default).

    Idempotent: a second run for the same order finds it no longer placed and does nothing,
    so a redelivered task dispatches once.
    """
    # Whether auto-dispatch is off at the village or above rides along in the same query
    # (auto_dispatch_enabled's test, as a subquery): the whole run stays within 10 queries.
    switched_off = Center.objects.filter(
        tree_id=OuterRef("center__tree_id"),
        lft__lte=OuterRef("center__lft"),
        rght__gte=OuterRef("center__rght"),
        auto_dispatch=False,
    )
    order = (
        Order.objects.annotate(switched_off=Exists(switched_off))
        .filter(pk=order_id, status=Order.Status.PLACED)
        .first()
    )
    if order is None or order.switched_off:
        return False
    candidates = dispatch_candidates(order, at=at)
    if not candidates:
        if order_flag_undispatchable(order_id=order.pk):
            logger.info("order %s: no candidate up to the county; flagged", order.pk)
        return False
    try:
        # order_dispatch is its own transaction; a refusal rolls all of it back.
        order_dispatch(actor=None, order_id=order.pk, volunteer=candidates[0])
    except IllegalTransition:
        return False
    return True


def sweep(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Expire offers past their deadline, then dispatch placed orders nothing has touched for
    a while. Bounded batches: a backlog drains over several runs instead of one long one."""
    now = now or timezone.now()
    batch = settings.DISPATCH_SWEEP_BATCH
    lapsed = list(
        Order.objects.filter(status=Order.Status.DISPATCHED, accept_deadline__lt=now)
        .order_by("accept_deadline")
        .values_list("pk", flat=True)[:batch]
    )
    expired = sum(1 for order_id in lapsed if order_expire(order_id=order_id) is not None)
    quiet_since = now - datetime.timedelta(seconds=settings.DISPATCH_SWEEP_GRACE_SECONDS)
    waiting = list(
        Order.objects.filter(
            status=Order.Status.PLACED, flagged_at__isnull=True, updated_at__lt=quiet_since
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    at = timezone.localtime(now)
    dispatched = sum(1 for order_id in waiting if auto_dispatch(order_id=order_id, at=at))
    return expired, dispatched
