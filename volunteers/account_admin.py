"""The accounts' admin. Here, not in accounts: it is scoped by cadre roles and volunteer
homes, which sit above the user model (volunteers/admin.py registers it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.search import PersonSearch
from practice.admin_lists import CityScaleList
from practice.admin_scoping import ScopedAdmin, admin_actor
from volunteers.account_selectors import account_editable_by, users_in_scope
from volunteers.account_services import user_update

CADRE_EDITABLE = ["name", "is_active"]


@admin.register(User)
class UserAdmin(CityScaleList, ScopedAdmin):
    """Accounts the cadre answers for. Accounts are made by signing up or by
    ``create_cadre``; the admin edits names and switches accounts on and off.

    At city scale (1.44 million accounts) the list is kept newest first and sorts by the
    join only, filters by the active flag (switched-off accounts have a partial index of
    their own) and finds people by number, 尾号 or the start of the name (accounts.search).

    The join is sorted by the account's id, the order accounts are made in and so the order
    of their join dates (set when the account is made, never edited): the primary key for
    the city; below it, the scope's (tier, user) index walks merged beside the primary key
    in the list's direction (``users_in_scope``), where the join date would need every
    account row of the scope. (A county's surname search is still over the goal:
    docs/benchmarks.md.)"""

    list_display = ["name", "phone", "is_active", "joined", "cadre_centers"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    person_search = PersonSearch(name="name")
    ordering = ["-id"]
    sortable_by = ["joined"]

    @admin.display(description=_("注册时间"), ordering="id")
    def joined(self, user: User) -> Any:
        return user.date_joined

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = admin.ModelAdmin.get_queryset(self, request).prefetch_related(
            "cadre_roles__center"
        )
        return users_in_scope(admin_actor(request), queryset)

    @admin.display(description=_("任职阵地"))
    def cadre_centers(self, user: User) -> str:
        return "、".join(role.center.name for role in user.cadre_roles.all())

    def get_fields(self, request: HttpRequest, obj: User | None = None) -> tuple[str, ...]:
        fields: tuple[str, ...] = ("phone", "name", "is_active", "date_joined", "last_login")
        if request.user.is_superuser:
            fields += ("is_staff", "is_superuser")
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        readonly = ["date_joined", "last_login"]
        if not request.user.is_superuser:
            readonly.append("phone")
        if obj is not None and obj.pk == request.user.pk:
            # user_update refuses to switch off one's own account; a field that can only
            # be refused would end in a server error, so it is shown, not offered.
            readonly.append("is_active")
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # An account seen through one role may hold another above the cadre: it is shown,
        # read-only, and only a cadre whose scope covers all of its roles may change it.
        if obj is not None and not account_editable_by(admin_actor(request), obj):
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Accounts carry orders, hours and audit history: they are switched off, not deleted.
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        user_update(actor=admin_actor(request), user=obj, fields=list(form.changed_data))
