"""Every list about orders, with each filter, search and sort it offers, as each tier."""

from __future__ import annotations

from bench.list_pages import ListPage

CADRES = ("city", "county", "township", "village")

# The admin changelist: each filter value, each search kind and the one sort it offers.
ADMIN_QUERIES = (
    ("", ""),
    ("status=placed", "?status__exact=placed"),
    ("status=dispatched", "?status__exact=dispatched"),
    ("status=in_service", "?status__exact=in_service"),
    ("status=rated", "?status__exact=rated"),
    ("status=rejected", "?status__exact=rejected"),
    ("kind=wish", "?kind__exact=wish"),
    ("flagged=yes", "?flagged=yes"),
    ("search 标题开头", "?q=%E7%95%99%E5%AE%88"),  # 留守
    ("search 完整电话", "?q=13900000001"),
    ("search 尾号", "?q=0001"),
    ("sort id asc", "?o=1"),
    ("page 10 (last offered)", "?p=10"),
)

API_QUERIES = (
    ("", ""),
    ("status=placed", "?status=placed"),
    ("status=dispatched", "?status=dispatched"),
    ("status=accepted", "?status=accepted"),
    ("status=completed", "?status=completed"),
    ("kind=wish", "?kind=wish"),
)


def pages() -> list[ListPage]:
    found: list[ListPage] = []
    for persona in CADRES:
        for label, query in ADMIN_QUERIES:
            found.append(
                ListPage(
                    f"admin 订单列表 {label}".strip(),
                    f"/admin/orders/order/{query}",
                    persona,
                    False,
                )
            )
        for label, query in API_QUERIES:
            found.append(
                ListPage(f"API 订单 {label}".strip(), f"/api/v1/orders/{query}", persona, True)
            )
        found.append(ListPage("派单工作台", "/orders/dispatch/", persona, False))
    for persona in ("volunteer", "resident"):
        for label, query in API_QUERIES:
            found.append(
                ListPage(f"API 订单 {label}".strip(), f"/api/v1/orders/{query}", persona, True)
            )
        found.append(ListPage("我的订单页", "/orders/", persona, False))
        found.append(ListPage("心愿墙", "/orders/wishes/", persona, False))
        found.append(ListPage("通知收件箱", "/inbox/", persona, False))
    found.append(ListPage("志愿者任务页", "/volunteer/tasks/", "volunteer", False))
    return found
