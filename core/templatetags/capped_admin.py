"""The admin change list's paginator line for CappedCountPaginator: "超过 N 条" at the cap."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import pagination

register = template.Library()


@register.inclusion_tag("admin/capped_pagination.html")
def capped_pagination(cl: Any) -> dict[str, Any]:
    context = pagination(cl)
    context["capped"] = bool(getattr(cl.paginator, "capped", False))
    return context
