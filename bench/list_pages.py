"""One list page the list benchmark walks (bench/bench_lists.py), as each tier."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListPage:
    label: str  # e.g. "admin 订单列表 status=placed"
    path: str  # URL path with query string
    persona: str  # "city" | "county" | "township" | "village" | "volunteer" | "resident"
    api: bool  # True: token auth (Authorization: Token ...); False: session cookie
