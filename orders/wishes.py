"""Reads of the micro-wish wall (微心愿墙): the open wishes every signed-in user may see and
claim, city-wide.

This is the one read of orders outside ``orders.selectors.orders_for``: a wish is put up
for anyone to claim, so while it is open it belongs to no scope. What the wall shows is
therefore only what the resident wrote for everyone (title, description) and where (the
village), never who they are or how to reach them: name, phone and address reach only the
donor, through ``orders_for``, once they have claimed it.
"""

from __future__ import annotations

from django.db.models import QuerySet

from orders.models import Order

OPEN_WISH_STATUSES = (Order.Status.PLACED, Order.Status.DISPATCHED)
# The columns the wall may read; personal data is not even fetched.
WALL_FIELDS = (
    "id",
    "kind",
    "status",
    "title",
    "description",
    "created_at",
    "resident_id",
    "center__name",
    "township__name",
    "county__name",
)


def open_wishes() -> QuerySet[Order]:
    """Open wishes, newest first (the partial index ``order_open_wishes``)."""
    return (
        Order.objects.filter(kind=Order.Kind.WISH, status__in=OPEN_WISH_STATUSES)
        .select_related("center", "township", "county")
        .only(*WALL_FIELDS)
        .order_by("-id")
    )
