"""The roster admin: import and export volunteer rosters (志愿者花名册) as spreadsheets.

It is registered for the VolunteerRoster proxy so that it sits beside the volunteer admin
(review, edit) without taking its URLs. The import is django-import-export's two steps:
the upload runs a dry run and shows every bad row with its row number and reason; the
confirm button appears only when no row is bad, and confirming imports every row in one
transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ExportForm
from import_export.results import Result

from accounts.phones import mask_phone
from accounts.search import PersonSearch
from core.spreadsheets import csv_response, xlsx_response
from practice.admin_lists import CityScaleList
from practice.admin_scoping import ReadOnlyScopedAdmin, admin_actor
from volunteers.models import RosterInvitation, Volunteer, VolunteerRoster
from volunteers.roster import (
    ROSTER_EXPORT_COLUMNS,
    RosterCSV,
    RosterExport,
    RosterImportForm,
    RosterImportResource,
    RosterUploadExpired,
    RosterUploadStorage,
    can_import_roster,
    roster_export_rows,
)


@admin.register(VolunteerRoster)
class VolunteerRosterAdmin(ImportExportMixin, CityScaleList, ReadOnlyScopedAdmin):
    # The same rule as volunteers_in_scope: the volunteers whose home lies in the subtree.
    scope_via = "home_center"
    list_display = [
        "real_name",
        "masked_phone",
        "masked_id_number",
        "home_center",
        "status",
        "joined_on",
    ]
    list_display_links = None
    list_filter = ["status", "is_party_member"]
    search_fields = ["real_name"]
    person_search = PersonSearch(name="real_name", user="user", order_by_name=True)
    list_select_related = ["user", "home_center"]
    ordering = ["-id"]
    sortable_by = ()

    import_template_name = "admin/volunteers/roster/import.html"
    import_form_class = RosterImportForm
    import_formats = [RosterCSV, base_formats.XLSX]
    export_formats = [base_formats.CSV, base_formats.XLSX]
    # Field picking would show English labels; a roster is exported whole.
    export_form_class = ExportForm
    tmp_storage_class = RosterUploadStorage
    # import-export logs an admin LogEntry per imported volunteer: useful history, and one
    # bulk insert.
    skip_admin_log = False

    @admin.display(description=gettext_lazy("手机号"))
    def masked_phone(self, obj: Volunteer) -> str:
        return mask_phone(obj.user.phone)

    @admin.display(description=gettext_lazy("身份证号码"))
    def masked_id_number(self, obj: Volunteer) -> str:
        return obj.id_number_masked

    # --- permissions: a list, an import and an export; edits happen in the volunteer admin

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and self._is_admin_user(request)

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self._is_admin_user(request) and can_import_roster(admin_actor(request))

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self._is_admin_user(request)

    # --- resources get the acting cadre, for the scope -------------------------------------

    def get_import_resource_classes(self, request: HttpRequest) -> list[type]:
        return [RosterImportResource]

    def get_export_resource_classes(self, request: HttpRequest) -> list[type]:
        return [RosterExport]

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict:
        return {"actor": request.user}

    def get_import_data_kwargs(self, **kwargs: Any) -> dict:
        kwargs = super().get_import_data_kwargs(**kwargs)
        # Belt and braces: a confirm that meets a bad row keeps nothing of the file.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def get_export_filename(self, request: HttpRequest, queryset: Any, file_format: Any) -> str:
        return f"volunteer-roster-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"

    # --- the export: import-export's form picks the format, core.spreadsheets writes it --

    def export_action(self, request: HttpRequest) -> HttpResponseBase:
        """The export form, and on a valid POST the roster file, streamed: the admin's list
        (filtered and searched) narrowed to the cadre's scope, numbers masked."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        formats = self.get_export_formats()
        form = self.get_export_form_class()(
            formats, self.get_export_resource_classes(request), data=request.POST or None
        )
        if not form.is_valid():
            context = self.init_request_context_data(request, form)
            request.current_app = self.admin_site.name
            return TemplateResponse(request, [self.export_template_name], context=context)
        file_format = formats[int(form.cleaned_data["format"])]()
        queryset = self.get_export_queryset(request)
        rows = roster_export_rows(actor=admin_actor(request), queryset=queryset)
        filename = self.get_export_filename(request, queryset, file_format)
        if isinstance(file_format, base_formats.XLSX):
            return xlsx_response(
                filename,
                ROSTER_EXPORT_COLUMNS,
                rows,
                sheet_name=str(RosterExport.get_display_name()),
            )
        return csv_response(filename, ROSTER_EXPORT_COLUMNS, rows)

    # --- the confirm step -------------------------------------------------------------------

    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        chosen = request.POST.get("format", "")
        if chosen and not (chosen.isdigit() and int(chosen) < len(self.get_import_formats())):
            return HttpResponseBadRequest(_("文件格式无效。"))
        try:
            return super().process_import(request, **kwargs)
        except RosterUploadExpired:
            self.message_user(request, _("上传的花名册已过期，请重新上传并确认。"), messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_import",
                    current_app=self.admin_site.name,
                )
            )

    def process_result(self, result: Result, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            # The data changed between preview and confirm (someone registered one of the
            # numbers meanwhile): nothing was kept; show why, as the preview would.
            return self._render_failed_confirm(result, request)
        return super().process_result(result, request)

    def _render_failed_confirm(self, result: Result, request: HttpRequest) -> HttpResponse:
        form = self.get_import_form_class(request)(
            self.get_import_formats(), self.get_import_resource_classes(request)
        )
        context = self.get_import_context_data()
        context.update(self.admin_site.each_context(request))
        context.update(
            {
                "title": _("导入"),
                "form": form,
                "opts": self.opts,
                "media": self.media + form.media,
                "result": result,
                "import_error_display": self.import_error_display,
                "fields_list": [],
            }
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    def add_success_message(self, result: Result, request: HttpRequest) -> None:
        invited = sum(1 for row in result if isinstance(row.instance, RosterInvitation))
        registered = result.totals["new"] - invited
        messages.success(
            request,
            _(
                "已直接登记 %(registered)d 名在册志愿者；%(invited)d 行已发出邀请，"
                "待本人用已验证的手机号登录确认后成为在册志愿者。"
            )
            % {"registered": registered, "invited": invited},
        )


@admin.register(RosterInvitation)
class RosterInvitationAdmin(CityScaleList, ReadOnlyScopedAdmin):
    """The roster rows of the cadre's subtree still waiting for their person: read-only, the
    numbers masked. A row goes when its person answers or after 30 days."""

    scope_via = "home_center"
    list_display = [
        "real_name",
        "phone_masked",
        "id_number_masked",
        "home_center",
        "invited_by",
        "created_at",
        "expires_at",
    ]
    list_display_links = None
    search_fields = ["real_name"]
    # No account yet: found by the start of the name only (the phone is kept as a digest).
    person_search = PersonSearch(name="real_name", user=None)
    list_select_related = ["home_center", "invited_by"]
    sortable_by = ["created_at", "expires_at"]

    @admin.display(description=gettext_lazy("身份证号码"))
    def id_number_masked(self, obj: RosterInvitation) -> str:
        return obj.id_number_masked

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(expires_at__gt=timezone.now())

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and self._is_admin_user(request)
