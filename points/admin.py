"""The hours ledger, read-only: entries are written by points.services.ledger.hours_credit alone,
once per source, so the admin shows them and changes nothing."""

from __future__ import annotations

from django.contrib import admin

from accounts.search import PersonSearch
from points.models import HoursEntry
from practice.admin_lists import CityScaleList
from practice.admin_scoping import ReadOnlyScopedAdmin


# Read-only: the ledger is append-only and its balance is cached on the volunteer, so an edit
# or a deletion here would make the two disagree.
@admin.register(HoursEntry)
class HoursEntryAdmin(CityScaleList, ReadOnlyScopedAdmin):
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
