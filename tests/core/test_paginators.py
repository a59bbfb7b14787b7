"""The capped changelists' own row checkbox draws what Django's widget draws."""

from __future__ import annotations

from django.contrib import admin

from orders.admin import OrderAdmin
from orders.models import Order


def test_the_row_checkbox_is_djangos_markup() -> None:
    order = Order(pk=4321, title="帮忙买药 <b>")
    model_admin = OrderAdmin(Order, admin.site)

    ours = OrderAdmin.action_checkbox(model_admin, order)
    djangos = admin.ModelAdmin.action_checkbox(model_admin, order)

    assert ours == djangos
    assert 'value="4321"' in ours
    assert "<b>" not in ours
