"""The ledgers, read-only (entries are written by points.services.ledger alone, once per
source, so the admin shows them and changes nothing); the 1-star reviews, decided through
review_decide; the points rules, published as new versions by the city's cadres; and the
benefits catalogue (礼遇), kept by cadres for the centers of their subtree through
points.services.benefits; the love supermarket's items (kept the same way, through
points.services.supermarket) and its redemptions (read-only, closed by the cashier's
actions); star certifications and their objections, read-only and
changed only through the actions, which call points.services.stars; and the service
certificates, read-only too (frozen when issued), with the cadre's page issuing one and the
download of its PDF."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.search import PersonSearch
from core.admin_actions import each_through_service, reject_with_reason
from core.errors import DomainError
from points.certificates import verification_code
from points.forms import IssueForm
from points.models import (
    Benefit,
    Certificate,
    HoursEntry,
    OrderReview,
    PointsEntry,
    PointsRules,
    Redemption,
    ServiceCoefficient,
    StarCertification,
    StarObjection,
    StarPolicy,
    SupermarketItem,
)
from points.selectors.certificates import (
    certificates_in_scope,
    may_issue_certificates,
    volunteer_for_certificate,
)
from points.selectors.ledger import reviews_in_scope
from points.selectors.supermarket import redemptions_in_scope
from points.services.benefits import benefit_delete, benefit_save, benefit_validate
from points.services.certificates import certificate_issue
from points.services.ledger import review_decide
from points.services.rules import rules_current, rules_publish
from points.services.stars import (
    certification_confirm,
    certification_grant,
    certification_reject,
    certification_review_decide,
    objection_decide,
)
from points.services.supermarket import (
    item_save,
    item_validate,
    redemption_collect,
    redemption_refund,
)
from points.views.certificates import pdf_response
from practice.admin_lists import CityScaleList
from practice.admin_scoping import (
    ReadOnlyScopedAdmin,
    ScopedAdmin,
    ServiceValidatedForm,
    admin_actor,
    admin_manages_whole_tree,
)
from volunteers.identity import mask_id_number
from volunteers.models import portal_number

LEDGER_FIELDS = ("volunteer", "kind", "source", "source_id", "actor", "reason", "created_at")


# Read-only: the ledger is append-only and its balance is cached on the volunteer, so an edit
# or a deletion here would make the two disagree.
@admin.register(HoursEntry)
class HoursEntryAdmin(CityScaleList, ReadOnlyScopedAdmin):
    # The copied columns (HoursEntry.scope_ancestors): an index range, not a tree walk.
    scope_via = "home_center"
    list_display = ["volunteer", "kind", "source", "source_id", "hours", "created_at"]
    list_filter = ["kind", "source"]
    list_select_related = ["volunteer"]
    search_fields = ["volunteer__real_name"]
    person_search = PersonSearch(name="volunteer__real_name", user="volunteer__user")
    # Newest first along the scope indexes (county/township/village, -id); nothing else.
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = (*LEDGER_FIELDS[:4], "hours", *LEDGER_FIELDS[4:])


@admin.register(PointsEntry)
class PointsEntryAdmin(CityScaleList, ReadOnlyScopedAdmin):
    scope_via = "home_center"
    list_display = ["volunteer", "kind", "source", "source_id", "points", "rules", "created_at"]
    list_filter = ["kind", "source"]
    list_select_related = ["volunteer", "rules"]
    search_fields = ["volunteer__real_name"]
    person_search = PersonSearch(name="volunteer__real_name", user="volunteer__user")
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = (*LEDGER_FIELDS[:4], "points", "rules", *LEDGER_FIELDS[4:])


@admin.register(OrderReview)
class OrderReviewAdmin(CityScaleList, ReadOnlyScopedAdmin):
    """The 1-star ratings of orders served in the cadre's subtree, for a decision."""

    scope_via = "center"
    list_display = ["order_id", "volunteer", "center", "rating", "comment", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["volunteer", "center"]
    search_fields = ["volunteer__real_name"]
    person_search = PersonSearch(name="volunteer__real_name", user="volunteer__user")
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = (
        "order_id",
        "volunteer",
        "center",
        "rating",
        "comment",
        "status",
        "decided_by",
        "decided_at",
        "reason",
        "created_at",
    )
    actions = ["uphold_reviews", "reverse_reviews"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderReview]:
        # The one policy of who reviews what (points.selectors.ledger.reviews_in_scope).
        queryset = reviews_in_scope(request.user)
        return queryset.select_related(*self.list_select_related)

    def _decide(
        self, request: HttpRequest, reviews: list[OrderReview], *, reverse: bool, reason: str
    ) -> None:
        done = 0
        for review in reviews:
            try:
                review_decide(
                    actor=admin_actor(request), review_id=review.pk, reverse=reverse, reason=reason
                )
            except DomainError as exc:
                self.message_user(
                    request,
                    gettext("%(name)s：%(message)s") % {"name": review, "message": exc.message},
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            text = (
                gettext("已冲销 %(count)d 张订单的时长与积分。")
                if reverse
                else gettext("已维持 %(count)d 张订单的时长。")
            )
            self.message_user(request, text % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("维持所选订单的时长"))
    def uphold_reviews(self, request: HttpRequest, queryset: QuerySet[OrderReview]) -> None:
        self._decide(request, list(queryset.order_by("pk")), reverse=False, reason="")

    @admin.action(description=_("冲销所选订单的时长与积分"))
    def reverse_reviews(
        self, request: HttpRequest, queryset: QuerySet[OrderReview]
    ) -> HttpResponse | None:
        """First a page asking for the reason, then the reversing entries."""
        reviews = list(queryset.order_by("pk"))
        return reject_with_reason(
            self,
            request,
            reject=lambda reason: self._decide(request, reviews, reverse=True, reason=reason),
            rows=((review.pk, str(review)) for review in reviews),
            action_name="reverse_reviews",
            title=_("冲销时长与积分"),
            intro=_("将冲销以下订单的服务时长与积分："),
            reason_help=_("原因会记入冲销记录，不超过 200 字。"),
        )


class CoefficientFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        named: set[int] = set()
        for row in getattr(self, "cleaned_data", []):
            service = row.get("service") if row and not row.get("DELETE") else None
            if service is None:
                continue
            if service.pk in named:
                raise ValidationError(
                    gettext("服务项目“%(name)s”填写了两次。") % {"name": service.name}
                )
            named.add(service.pk)


class ServiceCoefficientInline(admin.TabularInline):
    """The coefficients of a version, written once with it. Its permissions are the rules
    admin's (cadres hold no Django permissions; the admin site lets them in by role)."""

    model = ServiceCoefficient
    formset = CoefficientFormSet
    fields = ["service", "coefficient"]
    autocomplete_fields = ["service"]
    extra = 3

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only with a new version: obj is None on the add page.
        return obj is None and admin_manages_whole_tree(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PointsRules)
class PointsRulesAdmin(ScopedAdmin):
    """Every version of the rules, newest first, for every cadre to read. A city cadre
    "adds" a version (the form starts from the one in force); none is ever changed or
    deleted, since the entries it priced name it."""

    list_display = ["__str__", "points_per_hour", "rating_bonus", "order_cap", "expiry_enabled"]
    list_display_links = ["__str__"]
    ordering = ["-id"]
    sortable_by = ()
    fields = ["points_per_hour", "rating_bonus", "order_cap", "expiry_enabled", "note"]
    inlines = [ServiceCoefficientInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PointsRules]:
        # The rules belong to no center: the whole city reads the same versions.
        return admin.ModelAdmin.get_queryset(self, request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and admin_manages_whole_tree(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        current = rules_current()
        return {
            "points_per_hour": current.points_per_hour,
            "rating_bonus": current.rating_bonus,
            "order_cap": current.order_cap,
            "expiry_enabled": current.expiry_enabled,
        }

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "GET" and obj.pk is None:
            current = rules_current()
            kwargs["initial"] = [
                {"service": row.service_id, "coefficient": row.coefficient}
                for row in current.coefficients.order_by("service_id")
            ]
        return kwargs

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        instances = super().get_inline_instances(request, obj)
        if obj is None and request.method == "GET":
            for inline in instances:
                inline.extra = rules_current().coefficients.count() + 3
        return instances

    def save_model(self, request: HttpRequest, obj: PointsRules, form: Any, change: bool) -> None:
        # Written in save_related, with its coefficients, by the one service.
        return None

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        coefficients: dict[int, Decimal] = {}
        for formset in formsets:
            for row in formset.cleaned_data:
                if row and not row.get("DELETE") and row.get("service") is not None:
                    coefficients[row["service"].pk] = row["coefficient"]
            # What the change message reads of a formset that saved itself.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        data = form.cleaned_data
        published = rules_publish(
            actor=admin_actor(request),
            points_per_hour=data["points_per_hour"],
            rating_bonus=data["rating_bonus"],
            order_cap=data["order_cap"],
            expiry_enabled=data["expiry_enabled"],
            coefficients=coefficients,
            note=data["note"],
        )
        # The admin goes on with the form's instance (its message and redirect).
        form.instance.pk = published.pk
        form.instance.created_at = published.created_at


class BenefitAdminForm(ServiceValidatedForm):
    class Meta:
        model = Benefit
        fields = [
            "center",
            "title",
            "category",
            "provider",
            "description",
            "min_stars",
            "extends_to_children",
            "is_active",
        ]

    def validate_with_service(self, instance: Benefit) -> None:
        benefit_validate(actor=self.actor, benefit=instance)


@admin.register(Benefit)
class BenefitAdmin(CityScaleList, ScopedAdmin):
    """A cadre adds and edits the benefits of the centers in their subtree: a city cadre
    the city-wide ones, a county cadre their county's, and so down."""

    form = BenefitAdminForm
    list_display = [
        "title",
        "category",
        "provider",
        "min_stars",
        "extends_to_children",
        "center",
        "is_active",
    ]
    list_filter = ["category", "min_stars", "extends_to_children", "is_active"]
    list_select_related = ["center"]
    search_fields = ["title", "provider"]
    autocomplete_fields = ["center"]
    ordering = ["-id"]

    def save_model(self, request: HttpRequest, obj: Benefit, form: Any, change: bool) -> None:
        benefit_save(actor=admin_actor(request), benefit=obj)

    def delete_model(self, request: HttpRequest, obj: Benefit) -> None:
        benefit_delete(actor=admin_actor(request), benefit=obj)


@admin.register(StarPolicy)
class StarPolicyAdmin(admin.ModelAdmin):
    """The thresholds, shown to every cadre; a version is never edited (certifications
    name the version that made them eligible)."""

    list_display = ["version", "level", "threshold_hours", "certifying_tier", "created_at"]
    ordering = ["-version", "level"]
    fields = readonly_fields = ("version", "level", "threshold_hours", "certifying_tier")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StarCertification)
class StarCertificationAdmin(CityScaleList, ReadOnlyScopedAdmin):
    """Every cadre sees the certifications of their subtree (by the copied columns); the
    actions are refused, with the rule, to a cadre whose tier may not certify the level."""

    scope_via = "home_center"
    list_display = [
        "volunteer",
        "level",
        "status",
        "under_review",
        "threshold_hours",
        "home_center",
        "eligible_at",
        "notice_ends_at",
    ]
    # Each served by a (scope column, status, -id) index.
    list_filter = ["status", "under_review"]
    list_select_related = ["volunteer", "home_center"]
    search_fields = ["volunteer__real_name"]
    person_search = PersonSearch(name="volunteer__real_name", user="volunteer__user")
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = (
        "volunteer",
        "level",
        "status",
        "under_review",
        "policy_version",
        "threshold_hours",
        "certifying_tier",
        "home_center",
        "eligible_at",
        "confirmed_by",
        "confirmed_at",
        "notice_ends_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    )
    actions = [
        "confirm_selected",
        "reject_selected",
        "grant_selected",
        "keep_after_review",
        "revoke_after_review",
    ]

    @admin.action(description=_("认定所选（一至四星进入公示，五星推荐至省级）"))
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[StarCertification]) -> None:
        actor = admin_actor(request)
        each_through_service(
            self,
            request,
            list(queryset.order_by("pk")),
            lambda row: certification_confirm(actor=actor, certification_id=row.pk),
            gettext("已认定 %(count)d 项。"),
        )

    @admin.action(description=_("登记省级已认定（五星）"))
    def grant_selected(self, request: HttpRequest, queryset: QuerySet[StarCertification]) -> None:
        actor = admin_actor(request)
        each_through_service(
            self,
            request,
            list(queryset.order_by("pk")),
            lambda row: certification_grant(actor=actor, certification_id=row.pk),
            gettext("已登记 %(count)d 项省级认定。"),
        )

    @admin.action(description=_("复核：保留所选星级"))
    def keep_after_review(
        self, request: HttpRequest, queryset: QuerySet[StarCertification]
    ) -> None:
        actor = admin_actor(request)
        each_through_service(
            self,
            request,
            list(queryset.order_by("pk")),
            lambda row: certification_review_decide(
                actor=actor, certification_id=row.pk, keep=True
            ),
            gettext("已复核保留 %(count)d 项。"),
        )

    def _with_reason(
        self,
        request: HttpRequest,
        queryset: QuerySet[StarCertification],
        *,
        action_name: str,
        call: Callable[[StarCertification, str], object],
        title: str,
        done_message: str,
    ) -> HttpResponse | None:
        rows = list(queryset.order_by("pk").select_related("volunteer"))
        return reject_with_reason(
            self,
            request,
            reject=lambda reason: each_through_service(
                self, request, rows, lambda row: call(row, reason), done_message
            ),
            rows=((row.pk, str(row)) for row in rows),
            action_name=action_name,
            title=title,
            intro=_("将处理以下星级认定："),
            reason_help=_("理由会告知志愿者本人，不超过 200 字。"),
        )

    @admin.action(description=_("不予认定所选"))
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[StarCertification]
    ) -> HttpResponse | None:
        actor = admin_actor(request)
        return self._with_reason(
            request,
            queryset,
            action_name="reject_selected",
            call=lambda row, reason: certification_reject(
                actor=actor, certification_id=row.pk, reason=reason
            ),
            title=gettext("不予认定"),
            done_message=gettext("已不予认定 %(count)d 项。"),
        )

    @admin.action(description=_("复核：撤销所选星级"))
    def revoke_after_review(
        self, request: HttpRequest, queryset: QuerySet[StarCertification]
    ) -> HttpResponse | None:
        actor = admin_actor(request)
        return self._with_reason(
            request,
            queryset,
            action_name="revoke_after_review",
            call=lambda row, reason: certification_review_decide(
                actor=actor, certification_id=row.pk, keep=False, reason=reason
            ),
            title=gettext("撤销星级"),
            done_message=gettext("已撤销 %(count)d 项。"),
        )


@admin.register(StarObjection)
class StarObjectionAdmin(ReadOnlyScopedAdmin):
    """The objections to certifications of the subtree, for the cadres who decide them;
    the objector is shown here and nowhere the volunteer can see."""

    scope_via = "certification__home_center"
    list_display = ["certification", "objector", "reason", "created_at", "decision", "decided_at"]
    list_filter = ["decision"]
    list_select_related = ["certification__volunteer", "objector"]
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = (
        "certification",
        "objector",
        "reason",
        "created_at",
        "decision",
        "decided_by",
        "decided_at",
    )
    actions = ["uphold_selected", "dismiss_selected"]

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[StarObjection], decision: str
    ) -> None:
        actor = admin_actor(request)
        each_through_service(
            self,
            request,
            list(queryset.order_by("pk")),
            lambda row: objection_decide(actor=actor, objection_id=row.pk, decision=decision),
            gettext("已处理 %(count)d 条异议。"),
        )

    @admin.action(description=_("异议成立：不予认定"))
    def uphold_selected(self, request: HttpRequest, queryset: QuerySet[StarObjection]) -> None:
        self._decide(request, queryset, StarObjection.Decision.UPHOLD)

    @admin.action(description=_("异议不成立：继续认定"))
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet[StarObjection]) -> None:
        self._decide(request, queryset, StarObjection.Decision.DISMISS)


# Read-only as well: a certificate is frozen when issued. Cadres issue through issue_view
# (points.services.certificates.certificate_issue) and print through pdf_view.
@admin.register(Certificate)
class CertificateAdmin(CityScaleList, ReadOnlyScopedAdmin):
    # The copied columns (Certificate.scope_ancestors): where the volunteer lives.
    scope_via = "home_center"
    list_display = [
        "number",
        "real_name",
        "period_start",
        "period_end",
        "hours",
        "services",
        "issuing_center",
        "issued_at",
    ]
    list_select_related = ["issuing_center"]
    # The number, exactly: its unique index. People are found on the volunteers' list.
    search_fields = ["=number"]
    search_help_text = _("输入完整的证明编号，例如 2026-430405-7QK3M9XD。")
    list_filter = ["self_service"]
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = (
        "number",
        "real_name",
        "masked_id_number",
        "volunteer_number",
        "national_number",
        "period_start",
        "period_end",
        "hours",
        "services",
        "issuing_center",
        "issuer_name",
        "self_service",
        "issued_at",
        "documents",
    )
    change_list_template = "admin/points/certificate/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Certificate]:
        # The one policy of who sees which certificate (points.selectors.certificates).
        return certificates_in_scope(request.user).select_related(*self.list_select_related)

    @admin.display(description=_("身份证号码"))
    def masked_id_number(self, certificate: Certificate) -> str:
        return mask_id_number(certificate.id_number_first4, certificate.id_number_last4)

    @admin.display(description=_("志愿者编号"))
    def volunteer_number(self, certificate: Certificate) -> str:
        return portal_number(certificate.volunteer_id)

    @admin.display(description=_("开具人"))
    def issuer_name(self, certificate: Certificate) -> str:
        # A name, not a link: the cadre may sit above the viewer's subtree.
        return certificate.issued_by.name

    @admin.display(description=_("证明文件"))
    def documents(self, certificate: Certificate) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}" target="_blank" rel="noopener">{}</a>',
            self._url("pdf", certificate.pk),
            gettext("下载 PDF"),
            reverse(
                "points:certificate_verify",
                args=[certificate.number, verification_code(certificate)],
            ),
            gettext("核验页面"),
        )

    def _url(self, view: str, object_id: Any = None) -> str:
        args = [] if object_id is None else [quote(object_id)]
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}",
            args=args,
            current_app=self.admin_site.name,
        )

    def get_urls(self) -> list[Any]:
        info = (self.opts.app_label, self.opts.model_name)
        return [
            path(
                "issue/",
                self.admin_site.admin_view(self.issue_view),
                name="{}_{}_issue".format(*info),
            ),
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="{}_{}_pdf".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        may_issue = may_issue_certificates(admin_actor(request))
        extra_context = {
            **(extra_context or {}),
            "issue_url": self._url("issue") if may_issue else None,
        }
        return super().changelist_view(request, extra_context)

    def pdf_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The certificate's PDF, for a cadre whose scope holds it (404 otherwise)."""
        certificate = self.get_object(request, unquote(object_id))
        return pdf_response(request, certificate)

    def issue_view(self, request: HttpRequest) -> HttpResponse:
        """A cadre issues a certificate for a volunteer of their subtree, in the name of the
        volunteer's township institute or county center, whichever is in their scope."""
        actor = admin_actor(request)
        if not may_issue_certificates(actor):
            raise PermissionDenied
        form = IssueForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            volunteer = volunteer_for_certificate(actor, data["volunteer"])
            if volunteer is None:
                form.add_error("volunteer", gettext("志愿者不存在或不在您的管辖范围内。"))
            else:
                issuer_id = (
                    volunteer.township_id
                    if data["issuer"] == IssueForm.TOWNSHIP
                    else volunteer.county_id
                )
                try:
                    certificate = certificate_issue(
                        actor=actor,
                        volunteer_id=volunteer.pk,
                        start=data["period_start"],
                        end=data["period_end"],
                        issuing_center_id=issuer_id or 0,
                    )
                except DomainError as exc:
                    if exc.field == "issuing_center":
                        form.add_error("issuer", exc.message)
                    else:
                        form.add_domain_error(exc)
                else:
                    self.message_user(
                        request,
                        gettext("已为%(name)s开具志愿服务证明 %(number)s。")
                        % {"name": certificate.real_name, "number": certificate.number},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._url("change", certificate.pk))
        context = {
            **self.admin_site.each_context(request),
            "title": _("开具志愿服务证明"),
            "opts": self.opts,
            "form": form,
            "changelist_url": self._url("changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            "admin/points/certificate/issue.html",
            context,
            status=400 if request.method == "POST" else 200,
        )


class SupermarketItemAdminForm(ServiceValidatedForm):
    # An existing item's stock moves by this much, in SQL (points.services.supermarket
    # .item_save): a redemption made while the page was open is never overwritten.
    stock_change = forms.IntegerField(
        label=_("库存增减"),
        required=False,
        initial=0,
        min_value=-100000,
        max_value=100000,
        help_text=_("补货填正数，下架部分库存填负数；不填则库存不变。"),
    )

    class Meta:
        model = SupermarketItem
        fields = ["center", "name", "description", "price", "stock", "is_active"]

    def validate_with_service(self, instance: SupermarketItem) -> None:
        change = self.cleaned_data.get("stock_change") or 0
        item_validate(actor=self.actor, item=instance, stock_change=change)


@admin.register(SupermarketItem)
class SupermarketItemAdmin(CityScaleList, ScopedAdmin):
    """A cadre adds and edits the items of the supermarkets (爱心超市) of the centers in
    their subtree. An item is never deleted (its redemptions name it): it is taken off the
    shelf (上架 unticked)."""

    form = SupermarketItemAdminForm
    list_display = ["name", "center", "price", "stock", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["center"]
    search_fields = ["name"]
    autocomplete_fields = ["center"]
    ordering = ["-id"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("center", "name", "description", "price", "stock", "is_active")
        return ("center", "name", "description", "price", "stock", "stock_change", "is_active")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Moved by the SQL of a redemption, a release or stock_change, never by the form.
        return () if obj is None else ("stock",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: SupermarketItem, form: Any, change: bool
    ) -> None:
        try:
            item_save(
                actor=admin_actor(request),
                item=obj,
                stock_change=form.cleaned_data.get("stock_change") or 0,
            )
        except DomainError as exc:
            # Only a reduction that redemptions made since the form was checked leave
            # no room for gets here (item_save rolled the whole edit back).
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(Redemption)
class RedemptionAdmin(CityScaleList, ReadOnlyScopedAdmin):
    """The redemptions at the supermarkets of the cadre's subtree: the cashier confirms a
    hand-over, or gives a redemption back with a reason; nothing is edited by hand."""

    scope_via = "center"
    list_display = [
        "number",
        "volunteer",
        "item",
        "quantity",
        "points",
        "center",
        "status",
        "requested_at",
        "closed_at",
    ]
    list_filter = ["status"]
    list_select_related = ["volunteer", "item", "center"]
    search_fields = ["volunteer__real_name"]
    person_search = PersonSearch(name="volunteer__real_name", user="volunteer__user")
    ordering = ["-id"]
    sortable_by = ()
    fields = readonly_fields = (
        "volunteer",
        "item",
        "center",
        "quantity",
        "points",
        "status",
        "requested_at",
        "closed_by",
        "closed_at",
        "reason",
    )
    actions = ["collect_selected", "refund_selected"]

    @admin.display(description=_("兑换编号"), ordering="-id")
    def number(self, obj: Redemption) -> int:
        # The number the volunteer's page shows, which the cashier looks for.
        return obj.pk

    def get_queryset(self, request: HttpRequest) -> QuerySet[Redemption]:
        # The one policy of who is cashier where (points.selectors.supermarket).
        return redemptions_in_scope(request.user).select_related(*self.list_select_related)

    @admin.action(description=_("确认已领取（交付所选兑换）"))
    def collect_selected(self, request: HttpRequest, queryset: QuerySet[Redemption]) -> None:
        actor = admin_actor(request)
        each_through_service(
            self,
            request,
            list(queryset.order_by("pk")),
            lambda row: redemption_collect(actor=actor, redemption_id=row.pk),
            gettext("已确认 %(count)d 笔兑换领取。"),
        )

    @admin.action(description=_("退还所选兑换的积分与库存"))
    def refund_selected(
        self, request: HttpRequest, queryset: QuerySet[Redemption]
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
                lambda row: redemption_refund(actor=actor, redemption_id=row.pk, reason=reason),
                gettext("已退还 %(count)d 笔兑换。"),
            ),
            rows=((row.pk, str(row)) for row in rows),
            action_name="refund_selected",
            title=_("退还兑换"),
            intro=_("将退还以下兑换的积分，并把商品放回库存："),
            reason_help=_("原因会记入积分记录，不超过 200 字。"),
        )


from points import (  # noqa: E402, F401
    honour_admin,
    leaderboard_admin,
    proof_admin,
    recalculation_admin,
)
