"""The words a page shows for an order's statuses: a micro-wish's in wish words."""

from __future__ import annotations

from django import template

from orders.models import Order, status_label

register = template.Library()


@register.simple_tag
def status_of(order: Order, status: str) -> str:
    """``status`` as ``order`` reads it (an event of its timeline): the order is the page's
    own, so a timeline of any length costs no query for it."""
    return status_label(
        status, wish=order.kind == Order.Kind.WISH, donated=order.donor_id is not None
    )
