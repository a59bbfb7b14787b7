"""The annual honours in the admin (年度表彰): the nominations of the cadre's subtree, the
nomination page a county's or the city's cadre opens from the leaderboard, and the city's
two actions, 确认表彰 and 不予表彰. Every change goes through points.services.honours."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, NotInScope
from points.forms import NominationForm
from points.models import Honour, HoursSummary
from points.selectors.leaderboards import parse_year
from points.services.honours import honour_decide, honour_nominate, may_nominate
from practice.admin_scoping import ReadOnlyScopedAdmin, admin_actor
from practice.scoping import scope_queryset
from volunteers.models import Volunteer


@admin.register(Honour)
class HonourAdmin(ReadOnlyScopedAdmin):
    scope_via = "home_center"
    list_display = ["volunteer", "year", "hours", "status", "nominated_by", "nominated_at"]
    list_select_related = ["volunteer", "nominated_by"]
    list_filter = ["status", "year"]
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = (
        "volunteer",
        "year",
        "hours",
        "reason",
        "status",
        "nominated_by",
        "nominated_at",
        "decided_by",
        "decided_at",
    )
    actions = ["confirm_selected", "reject_selected"]

    def _decide(self, request: HttpRequest, rows: QuerySet[Honour], *, confirm: bool) -> None:
        actor = admin_actor(request)
        done = 0
        for row in rows:
            try:
                honour_decide(actor=actor, honour_id=row.pk, confirm=confirm)
            except DomainError as exc:
                self.message_user(request, f"{row}：{exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request, gettext("已审定 %(count)d 条提名。") % {"count": done}, messages.SUCCESS
            )

    @admin.action(description=_("确认表彰（市级）"))
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[Honour]) -> None:
        self._decide(request, queryset, confirm=True)

    @admin.action(description=_("不予表彰（市级）"))
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Honour]) -> None:
        self._decide(request, queryset, confirm=False)

    def get_urls(self) -> list[Any]:
        info = (self.opts.app_label, self.opts.model_name)
        return [
            path(
                "nominate/<int:volunteer_id>/",
                self.admin_site.admin_view(self.nominate_view),
                name="{}_{}_nominate".format(*info),
            ),
            *super().get_urls(),
        ]

    def nominate_view(self, request: HttpRequest, volunteer_id: int) -> HttpResponse:
        """Nominate one volunteer of the subtree for ``?year=`` (the board's year)."""
        actor = admin_actor(request)
        if not may_nominate(actor):
            raise PermissionDenied
        try:
            year = parse_year(request.GET.get("year"))
        except ValueError as exc:
            raise Http404 from exc
        volunteer = scope_queryset(
            Volunteer.objects.filter(pk=volunteer_id), actor, via="home_center"
        ).first()
        summary = HoursSummary.objects.filter(volunteer_id=volunteer_id, year=year).first()
        if volunteer is None or year == 0:
            raise Http404
        form = NominationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                honour = honour_nominate(
                    actor=actor,
                    volunteer_id=volunteer.pk,
                    year=year,
                    reason=form.cleaned_data["reason"],
                )
            except NotInScope as exc:
                raise Http404 from exc
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    gettext("已提名%(name)s为 %(year)d 年度优秀志愿者，待市级审定。")
                    % {"name": volunteer.real_name, "year": year},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:points_honour_change", args=[honour.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("提名年度优秀志愿者"),
            "opts": self.opts,
            "form": form,
            "volunteer": volunteer,
            "year": year,
            "hours": summary.hours if summary else 0,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            "admin/points/honour/nominate.html",
            context,
            status=400 if request.method == "POST" else 200,
        )
