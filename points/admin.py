"""The hours ledger, read-only: entries are written by points.services.hours_credit alone,
once per source, so the admin shows them and changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.search import PersonSearch
from points.models import HoursEntry
from practice.admin_lists import CityScaleList
from practice.admin_scoping import ScopedAdmin


@admin.register(HoursEntry)
class HoursEntryAdmin(CityScaleList, ScopedAdmin):
    # The copied columns (HoursEntry.scope_ancestors): an index range, not a tree walk.
    scope_via = "home_center"
    list_display = ["volunteer", "source", "source_id", "hours", "created_at"]
    list_filter = ["source"]
    list_select_related = ["volunteer"]
    search_fields = ["volunteer__real_name"]
    person_search = PersonSearch(name="volunteer__real_name", user="volunteer__user")
    # Newest first along the scope indexes (county/township/village, -id); nothing else.
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = ("volunteer", "source", "source_id", "hours", "created_at")

    # The ledger is append-only and its balance is cached on the volunteer: an edit or a
    # deletion here would make the two disagree.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
