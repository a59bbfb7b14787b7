"""Orders, placed through orders.services.order_place (the only way an order gets its
scoping columns and its outbox row)."""

from __future__ import annotations

import factory

from orders.models import Order
from orders.services import order_place

PHONE = "13900000002"


class OrderFactory(factory.Factory):
    """An order placed by ``resident`` for ``service`` at ``center`` (all three required)."""

    class Meta:
        model = Order

    title = factory.Sequence(lambda n: f"帮忙买药{n}")
    address = "王江社区3栋201"
    contact_phone = PHONE

    @classmethod
    def _create(cls, model_class, **fields) -> Order:
        return order_place(**fields)
