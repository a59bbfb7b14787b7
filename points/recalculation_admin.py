"""The full recalculation in the admin, for the city's cadres alone: each run with its
progress bar and what it found, its drifted volunteers, and a button that starts one
(points.services.recalculation; the workers carry it on)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from points.models import Recalculation, RecalculationDrift
from points.services.recalculation import recalculation_start
from practice.admin_scoping import ScopedAdmin, admin_actor, admin_manages_whole_tree


class CityOnlyAdmin(ScopedAdmin):
    """Read by the city's cadres (and superusers) only: the figures are the whole city's."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return admin.ModelAdmin.get_queryset(self, request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) and admin_manages_whole_tree(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and admin_manages_whole_tree(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DriftInline(admin.TabularInline):
    model = RecalculationDrift
    fields = readonly_fields = (
        "volunteer",
        "cached_hours",
        "ledger_hours",
        "cached_points",
        "ledger_points",
        "repaired",
    )
    ordering = ["volunteer_id"]
    extra = 0
    max_num = 0
    can_delete = False

    # Cadres hold no Django model permissions: who reads the report is the run's admin's
    # question (the city's cadres), asked the same way.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_manages_whole_tree(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecalculationDrift]:
        # The report of a run that found the cache broken everywhere stays readable.
        return super().get_queryset(request).select_related("volunteer")


@admin.register(Recalculation)
class RecalculationAdmin(CityOnlyAdmin):
    list_display = [
        "__str__",
        "progress",
        "drifted",
        "rechecked",
        "started_by",
        "started_at",
        "finished_at",
    ]
    list_select_related = ["started_by"]
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = (
        "status",
        "progress",
        "chunks",
        "drifted",
        "rechecked",
        "started_by",
        "started_at",
        "finished_at",
    )
    inlines = [DriftInline]
    change_list_template = "admin/points/recalculation/change_list.html"

    @admin.display(description=_("进度"))
    def progress(self, obj: Recalculation) -> SafeString:
        percent = obj.progress_percent
        return format_html(
            '<progress value="{}" max="100" aria-label="{}"></progress> {}%',
            percent,
            gettext("重算进度"),
            percent,
        )

    def get_urls(self) -> list[Any]:
        info = (self.opts.app_label, self.opts.model_name)
        return [
            path(
                "start/",
                self.admin_site.admin_view(require_POST(self.start_view)),
                name="{}_{}_start".format(*info),
            ),
            *super().get_urls(),
        ]

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            run = recalculation_start(actor=admin_actor(request))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("已发起全量重算 #%(id)d，后台任务将分批完成。") % {"id": run.pk},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:points_recalculation_changelist"))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "start_url": reverse("admin:points_recalculation_start"),
        }
        return super().changelist_view(request, extra_context)
