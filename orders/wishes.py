"""Reads of the micro-wish wall (微心愿墙): the open wishes every signed-in user may see and
claim, city-wide or in a county or township a donor chooses.

This is the one read of orders outside ``orders.selectors.orders_for``: a wish is put up
for anyone to claim, so while it is open it belongs to no scope. What the wall shows is
therefore only what the resident wrote for everyone (title, description) and where (the
village), never who they are or how to reach them: name, phone and address reach only the
donor, through ``orders_for``, once they have claimed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from orders.models import Order
from orders.selectors import orders_for
from practice.area_choice import AreaChoice, area_choice

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


def wishes_claimed_by(user: User, visible: QuerySet[Order] | None = None) -> QuerySet[Order]:
    """The wishes ``user`` claimed as a donor, latest claim first, read through
    ``orders_for`` (or ``visible``, what it gave already) since the donor reads them in
    full."""
    visible = orders_for(user) if visible is None else visible
    return (
        visible.filter(donor=user)
        .select_related("center", "township")
        .order_by("-accepted_at", "-id")
    )


def open_wishes() -> QuerySet[Order]:
    """Open wishes, newest first (the partial index ``order_open_wishes``)."""
    return (
        Order.objects.filter(kind=Order.Kind.WISH, status__in=OPEN_WISH_STATUSES)
        .select_related("center", "township", "county")
        .only(*WALL_FIELDS)
        .order_by("-id")
    )


@dataclass(frozen=True)
class WallFilter:
    area: AreaChoice
    wishes: QuerySet[Order]
    # Set when the query string named a county or township that is no active one there
    # (a stale link, a typo, "abc"): the wall then shows the area that is left, and says so.
    notice: str = ""


def wall_filter(query: Mapping[str, str]) -> WallFilter:
    """The open wishes in the county and township the ``query`` string names, through the
    same county → township steps as the order form (``practice.area_choice``): an id that
    is not an active center under the step before is dropped, never an error. Filtering on
    the order's own county and township columns keeps it one read of the open wishes."""
    area = area_choice(query)
    wishes = open_wishes()
    if area.township is not None:
        wishes = wishes.filter(township=area.township)
    elif area.county is not None:
        wishes = wishes.filter(county=area.county)
    notice = ""
    if (query.get("county") and area.county is None) or (
        query.get("township") and area.township is None
    ):
        where = area.county.name if area.county is not None else _("全市")
        notice = _("没有找到所选的地区，下面是%(where)s的微心愿。") % {"where": where}
    return WallFilter(area=area, wishes=wishes, notice=notice)
