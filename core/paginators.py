"""A paginator that never counts more than a few thousand rows, for lists at city scale.

An exact COUNT of a county's orders or a city's volunteers reads every row in scope (seconds
at 2 million rows), and Django's admin asks for it on every page, then links the last page,
whose OFFSET is another read of everything. Here the count stops at ``cap`` rows: below the
cap it is exact; at the cap the list says "超过 N" and offers pages up to the cap only, each
of which is a short read of an index. A cadre who needs an older row narrows the list with
a filter or a search instead of paging to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

if TYPE_CHECKING:
    from django.template.response import _TemplateForResponseT

DEFAULT_COUNT_CAP = 1000
# A searched list's count stops sooner. A search keeps only the rows that match, so the
# count walks the list's index until it has cap + 1 matches: for a common surname (王, 8% of
# the city) counting to 1,001 read twenty pages' worth of rows (a county's hours ledger: 234
# ms for the count beside 12 ms for the page, docs/benchmarks.md). A search with more than
# four pages of results is one to narrow, not to page through.
SEARCH_COUNT_CAP = 200
# Django's own message, translated by Django's catalogue; named here rather than written in
# the call, so that the portal's catalogue does not collect it.
DJANGOS_ROW_CHECKBOX_LABEL = "Select this object for an action - {}"


class CappedCountPaginator(Paginator):
    """``count`` is exact up to ``cap`` and ``cap`` beyond it, with ``capped`` saying which;
    one statement, ``SELECT COUNT(*) FROM (... LIMIT cap + 1)``."""

    cap = DEFAULT_COUNT_CAP

    def __init__(
        self, object_list: Any, per_page: int, *args: Any, cap: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        if cap is not None:
            self.cap = cap

    @cached_property
    def _capped_count(self) -> int:
        object_list = self.object_list
        if isinstance(object_list, QuerySet):
            # No ORDER BY and no annotations in the count: the rows, not the columns.
            return object_list.order_by().values("pk")[: self.cap + 1].count()
        return len(object_list[: self.cap + 1])

    @cached_property
    def count(self) -> int:
        return min(self._capped_count, self.cap)

    @cached_property
    def capped(self) -> bool:
        """Whether there are more rows than ``count`` says."""
        return self._capped_count > self.cap


class SortableByChangeList(ChangeList):
    """A change list that sorts by the columns of ``sortable_by`` only. Django's own hides
    the other headers' links but still obeys a hand-written ``?o=`` for any column, which
    at city scale is a sort of the whole subtree."""

    def get_ordering_field(self, field_name: Any) -> Any:
        sortable = self.sortable_by
        if sortable is not None and field_name not in sortable:
            return None
        return super().get_ordering_field(field_name)


class CappedCountAdminMixin:
    """For a ModelAdmin over a big table: the capped paginator (``search_count_cap`` rows
    when the list is searched, ``list_count_cap`` otherwise), no second COUNT of the
    unfiltered list, a change list that says "超过 N 条" at the cap and sorts by
    ``sortable_by`` only. (Set ``show_facets = admin.ShowFacets.NEVER`` beside it: each
    facet is a COUNT over the whole list.)

    A ModelAdmin with its own change list template extends "admin/capped_change_list.html"
    (or uses ``{% capped_pagination cl %}`` from core's admin tags in its pagination block).
    """

    # ClassVars, as ModelAdmin declares them (django-stubs), so that the mixin may sit
    # before ModelAdmin among the bases.
    paginator: ClassVar[type[CappedCountPaginator]] = CappedCountPaginator
    list_count_cap: ClassVar[int] = DEFAULT_COUNT_CAP
    search_count_cap: ClassVar[int] = SEARCH_COUNT_CAP
    show_full_result_count: ClassVar[bool] = False
    # Fifty rows a page: at city scale drawing a row costs more than reading it (a 100-row
    # changelist spent some 70 ms in the template and under 10 in the database).
    list_per_page: ClassVar[int] = 50
    change_list_template: ClassVar[_TemplateForResponseT | None] = "admin/capped_change_list.html"

    def get_changelist(self, request: Any, **kwargs: Any) -> type[ChangeList]:
        return SortableByChangeList

    # Django draws each row's checkbox through the form renderer's widget template, which
    # was a third of a changelist's drawing; the same markup, written out, costs nothing.
    # (tests/core/test_paginators.py compares it with Django's.)
    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj: Any) -> SafeString:
        label = format_html(gettext(DJANGOS_ROW_CHECKBOX_LABEL), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def get_paginator(
        self,
        request: Any,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> CappedCountPaginator:
        searched = bool(request.GET.get(SEARCH_VAR, "").strip())
        cap = min(self.list_count_cap, self.search_count_cap) if searched else self.list_count_cap
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, cap=cap)
