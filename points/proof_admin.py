"""Hours that wait for proof, in the cadre admin: each cadre lists the claims of their
subtree (where the service was done, or where a 补录's volunteer lives) and approves or
rejects them through points.services.proof; nobody edits a claim by hand."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.search import PersonSearch
from core.admin_actions import each_through_service, reject_with_reason
from points.models import HoursClaim
from points.selectors.proof import claims_in_scope
from points.services.proof import claim_decide
from practice.admin_lists import CityScaleList
from practice.admin_scoping import ReadOnlyScopedAdmin, admin_actor


@admin.register(HoursClaim)
class HoursClaimAdmin(CityScaleList, ReadOnlyScopedAdmin):
    scope_via = "center"
    list_display = [
        "__str__",
        "volunteer",
        "kind",
        "hours",
        "measured_hours",
        "served_on",
        "center",
        "status",
        "created_at",
    ]
    # Each served by a (scope column, status, -id) index.
    list_filter = ["status"]
    list_select_related = ["volunteer", "center"]
    search_fields = ["volunteer__real_name"]
    person_search = PersonSearch(name="volunteer__real_name", user="volunteer__user")
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = (
        "kind",
        "order_id",
        "volunteer",
        "service",
        "hours",
        "measured_hours",
        "served_on",
        "description",
        "dispute_reason",
        "status",
        "center",
        "decided_by",
        "decided_at",
        "decision_reason",
        "created_at",
    )
    actions = ["approve_selected", "reject_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HoursClaim]:
        # The one policy of who decides which claim (points.selectors.proof).
        return claims_in_scope(request.user).select_related(*self.list_select_related)

    @admin.action(description=_("认证所选时长"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[HoursClaim]) -> None:
        actor = admin_actor(request)
        each_through_service(
            self,
            request,
            list(queryset.order_by("pk")),
            lambda claim: claim_decide(actor=actor, claim_id=claim.pk, approve=True),
            gettext("已认证 %(count)d 条时长。"),
        )

    @admin.action(description=_("不予认证所选时长"))
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[HoursClaim]
    ) -> HttpResponse | None:
        actor = admin_actor(request)
        rows = list(queryset.order_by("pk"))
        return reject_with_reason(
            self,
            request,
            reject=lambda reason: each_through_service(
                self,
                request,
                rows,
                lambda claim: claim_decide(
                    actor=actor, claim_id=claim.pk, approve=False, reason=reason
                ),
                gettext("已不予认证 %(count)d 条时长。"),
            ),
            rows=((claim.pk, str(claim)) for claim in rows),
            action_name="reject_selected",
            title=_("不予认证服务时长"),
            intro=_("以下服务时长将不予认证："),
            reason_help=_("理由会记入审核意见，不超过 200 字。"),
        )
