"""The cadre admin over volunteers, skills, teams, memberships and the personal-data audit log.

Like practice/admin.py it is one more interface over the services: rows come from the
cadre's subtree, anything outside it answers 404, and every write is a service call. The
resident ID number is never a form field and never shown in clear, except on the one
response to an explicit, audited POST.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, ForeignKey, OuterRef, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.search import PersonSearch
from core.admin_actions import RejectReasonForm, reject_with_reason
from core.errors import DomainError, NotInScope
from core.http import client_address
from practice.admin_lists import CityScaleList
from practice.admin_scoping import (
    ScopedAdmin,
    ServiceValidatedForm,
    admin_actor,
    admin_manages_whole_tree,
)
from practice.models import Platform
from volunteers.availability import SLOT_CHOICES, mask_to_slots
from volunteers.models import PersonalDataReveal, Skill, Team, TeamMembership, Volunteer
from volunteers.selectors import (
    can_review,
    open_member_count,
    teams_in_scope,
    volunteers_in_scope,
)
from volunteers.services import (
    skill_save,
    skill_validate,
    team_member_add,
    team_member_remove,
    team_member_set_role,
    team_member_validate,
    team_save,
    team_validate,
    volunteer_approve,
    volunteer_leave,
    volunteer_reinstate,
    volunteer_reject,
    volunteer_reveal_id_number,
    volunteer_suspend,
    volunteer_update_insurance,
    volunteer_update_national_number,
)
from volunteers.status import REASON_REQUIRED, Who, allowed

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from accounts.models import User

SLOT_LABELS = dict(SLOT_CHOICES)
_Row = TypeVar("_Row")


class _MemberCount(TypedDict):
    # The team list's annotation (open_member_count).
    member_count: int


class _StatusService(Protocol):
    """What a status button calls: volunteer_suspend, volunteer_reinstate, volunteer_leave."""

    def __call__(self, *, actor: User, volunteer_id: int, reason: str) -> Volunteer: ...


# The change page's status buttons: step → (the status it moves to, its title, done message).
STATUS_STEPS = {
    "suspend": (Volunteer.Status.SUSPENDED, _("暂停志愿服务"), _("已暂停%(name)s的志愿服务。")),
    "reinstate": (Volunteer.Status.ACTIVE, _("恢复志愿服务"), _("已恢复%(name)s的志愿服务。")),
    "leave": (Volunteer.Status.LEFT, _("办理退出"), _("已为%(name)s办理退出。")),
}


class StatusReasonForm(forms.Form):
    # Whether it is required depends on the move (volunteers.status.REASON_REQUIRED): the
    # service says so, in the same words as for the API.
    reason = forms.CharField(
        label=_("原因"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


def _each_with_refusals(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    rows: Iterable[_Row],
    act: Callable[[_Row], object],
    done_message: str,
) -> int:
    """Run ``act`` on every row, reporting each refusal by name and the successes as one
    count; one refused row does not stop the others (each service call is atomic)."""
    done = 0
    for row in rows:
        try:
            act(row)
        except DomainError as exc:
            model_admin.message_user(
                request,
                gettext("%(name)s：%(message)s") % {"name": row, "message": exc.message},
                messages.ERROR,
            )
        else:
            done += 1
    if done:
        model_admin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
    return done


# --- volunteers ---------------------------------------------------------------------------


class VolunteerInsuranceForm(forms.ModelForm):
    """The only parts of a volunteer the admin edits, their insurance and their national
    volunteer system number; the rest is the volunteer's own or the review's, and the ID
    number is no field at all."""

    class Meta:
        model = Volunteer
        fields = ["national_number", "insurer", "insurance_number", "insurance_valid_until"]


class SkillListFilter(admin.SimpleListFilter):
    """By skill, as an EXISTS test on the volunteer's skills: Django's own filter over the
    many-to-many relation would add a DISTINCT, which sorts every match before the page.
    The skill's links in volunteer order (the ``volunteer_skill_link_by_skill`` index) meet
    the list's newest-first walk in a merge, so the count and the page stop at their end."""

    title = _("技能")
    parameter_name = "skill"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(skill.pk), skill.name) for skill in Skill.objects.filter(is_active=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Volunteer]) -> QuerySet[Volunteer]:
        value = self.value()
        if not value:
            return queryset
        if not (value.isascii() and value.isdigit()):
            return queryset.none()
        links = Volunteer.skills.through.objects.filter(
            volunteer=OuterRef("pk"), skill_id=int(value)
        )
        return queryset.filter(Exists(links))


@admin.register(Volunteer)
class VolunteerAdmin(CityScaleList, ScopedAdmin):
    scope_via = "home_center"
    form = VolunteerInsuranceForm
    list_display = [
        "real_name",
        "phone",
        "id_number_masked",
        "gender",
        "birth_date",
        "home_center",
        "status",
        "joined_on",
        "insurance_valid_until",
    ]
    # Each filter has an index per tier (status, party membership, a skill's links). Gender
    # has none: half the volunteers are women, and a filter that halves a list of 98,000
    # finds nobody, so it is not offered.
    list_filter = ["status", "is_party_member", SkillListFilter]
    list_select_related = ["user", "home_center"]
    search_fields = ["real_name"]
    person_search = PersonSearch(name="real_name", user="user", order_by_name=True)
    # Newest first, the order every scope index (county/township/village, -id) and the
    # (status, id) indexes keep; a name search lists by the name (accounts.search); no
    # other sort is offered at city scale.
    ordering = ["-id"]
    sortable_by = ()
    actions = ["approve_applications", "reject_applications"]
    fieldsets = [
        (
            _("基本信息"),
            {
                "fields": [
                    "real_name",
                    "phone",
                    "id_number_masked",
                    "gender",
                    "birth_date",
                    "home_center",
                    "is_party_member",
                ]
            },
        ),
        (
            _("志愿服务"),
            {
                "fields": [
                    "skills",
                    "platform_names",
                    "availability_slots",
                    "status",
                    "joined_on",
                    "portal_number",
                    "national_number",
                    "hours",
                    "points",
                ]
            },
        ),
        (_("审核"), {"fields": ["reviewer_name", "reviewed_at", "review_reason"]}),
        (_("保险"), {"fields": ["insurer", "insurance_number", "insurance_valid_until"]}),
    ]
    readonly_fields = [
        "real_name",
        "phone",
        "id_number_masked",
        "gender",
        "birth_date",
        "home_center",
        "is_party_member",
        "skills",
        "platform_names",
        "availability_slots",
        "status",
        "joined_on",
        "portal_number",
        "hours",
        "points",
        "reviewer_name",
        "reviewed_at",
        "review_reason",
    ]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Not offered, and not obeyed from a hand-written URL either: Django's admin allows
        # any lookup on the model's own columns.
        if lookup.split("__")[0] == "gender":
            return False
        return super().lookup_allowed(lookup, value, request)

    # Every row of this admin is in the cadre's scope, and cadres in scope see the phone
    # number in full.
    @admin.display(description=_("手机号"), ordering="user__phone")
    def phone(self, volunteer: Volunteer) -> str:
        return volunteer.user.phone

    @admin.display(description=_("身份证号码"))
    def id_number_masked(self, volunteer: Volunteer) -> str:
        return volunteer.id_number_masked

    @admin.display(description=_("志愿者编号"))
    def portal_number(self, volunteer: Volunteer) -> str:
        return volunteer.portal_number

    @admin.display(description=_("意向服务平台"))
    def platform_names(self, volunteer: Volunteer) -> str:
        labels = dict(Platform.choices)
        return "、".join(str(labels.get(code, code)) for code in volunteer.platforms) or "-"

    @admin.display(description=_("每周可服务时段"))
    def availability_slots(self, volunteer: Volunteer) -> str:
        slots = mask_to_slots(volunteer.availability)
        return "、".join(str(SLOT_LABELS[slot]) for slot in slots) or "-"

    @admin.display(description=_("审核人"))
    def reviewer_name(self, volunteer: Volunteer) -> str:
        # A name, not a link: the reviewer may sit above the cadre's subtree.
        return volunteer.reviewed_by.name if volunteer.reviewed_by else "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Volunteers come from applications and roster imports.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Volunteer | None = None) -> bool:
        # A volunteer's hours, points and memberships are history: they leave, not vanish.
        return False

    def save_model(self, request: HttpRequest, obj: Volunteer, form: Any, change: bool) -> None:
        # The admin's change view is one transaction: both writes or neither.
        if "national_number" in form.changed_data:
            volunteer_update_national_number(
                actor=admin_actor(request),
                volunteer=obj,
                national_number=form.cleaned_data["national_number"],
            )
        volunteer_update_insurance(
            actor=admin_actor(request),
            volunteer=obj,
            insurer=form.cleaned_data["insurer"],
            insurance_number=form.cleaned_data["insurance_number"],
            valid_until=form.cleaned_data["insurance_valid_until"],
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The form has no many-to-many field; nothing else is written.
        return None

    # --- review -----------------------------------------------------------------------

    @admin.action(description=_("批准所选志愿者申请"))
    def approve_applications(self, request: HttpRequest, queryset: QuerySet[Volunteer]) -> None:
        _each_with_refusals(
            self,
            request,
            queryset.order_by("pk"),
            lambda volunteer: volunteer_approve(
                actor=admin_actor(request), volunteer_id=volunteer.pk
            ),
            gettext("已批准 %(count)d 名志愿者的申请。"),
        )

    @admin.action(description=_("驳回所选志愿者申请"))
    def reject_applications(
        self, request: HttpRequest, queryset: QuerySet[Volunteer]
    ) -> HttpResponse | None:
        """First an intermediate page asking for the reason, then the rejection."""
        volunteers = list(queryset.order_by("pk"))

        def reject(reason: str) -> None:
            _each_with_refusals(
                self,
                request,
                volunteers,
                lambda volunteer: volunteer_reject(
                    actor=admin_actor(request), volunteer_id=volunteer.pk, reason=reason
                ),
                gettext("已驳回 %(count)d 名志愿者的申请。"),
            )

        return reject_with_reason(
            self,
            request,
            reject=reject,
            rows=(
                (
                    volunteer.pk,
                    f"{volunteer.real_name}（{volunteer.home_center}，"
                    f"{volunteer.get_status_display()}）",
                )
                for volunteer in volunteers
            ),
            action_name="reject_applications",
            title=_("驳回志愿者申请"),
            intro=_("将驳回以下志愿者的申请："),
            reason_help=_("驳回原因会告知申请人，不超过 200 字。"),
        )

    # --- revealing the ID number --------------------------------------------------------

    def get_urls(self) -> list[Any]:
        info = (self.opts.app_label, self.opts.model_name)
        return [
            path(
                "<path:object_id>/reveal-id-number/",
                self.admin_site.admin_view(self.reveal_id_number_view),
                name="{}_{}_reveal_id_number".format(*info),
            ),
            path(
                "<path:object_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="{}_{}_approve".format(*info),
            ),
            path(
                "<path:object_id>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="{}_{}_reject".format(*info),
            ),
            path(
                "<path:object_id>/status/<str:step>/",
                self.admin_site.admin_view(self.status_view),
                name="{}_{}_status".format(*info),
            ),
            *super().get_urls(),
        ]

    def _reveal_url(self, object_id: Any) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_reveal_id_number",
            args=[quote(object_id)],
            current_app=self.admin_site.name,
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "reveal_url": self._reveal_url(object_id)}
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Volunteer | None = None,
    ) -> HttpResponse:
        # The review buttons only where the review would be allowed: a pending application
        # and a cadre of the township or above (the service refuses anyone else anyway).
        if obj is not None and obj.status == Volunteer.Status.PENDING:
            if can_review(admin_actor(request), obj.home_center):
                context["approve_url"] = self._review_url("approve", obj.pk)
                context["reject_url"] = self._review_url("reject", obj.pk)
        # The status moves a cadre may make from here (volunteers.status.TRANSITIONS).
        if obj is not None and change:
            context["status_steps"] = [
                (self._status_url(step, obj.pk), STATUS_STEPS[step][1])
                for step in STATUS_STEPS
                if allowed(obj.status, STATUS_STEPS[step][0], Who.CADRE)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _status_url(self, step: str, object_id: Any) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_status",
            args=[quote(object_id), step],
            current_app=self.admin_site.name,
        )

    def status_view(self, request: HttpRequest, object_id: str, step: str) -> HttpResponse:
        """The change page's suspend / reinstate / leave buttons: a page asking for the
        reason, whose POST calls the step's service; out of scope is a 404."""
        if step not in STATUS_STEPS:
            raise Http404
        volunteer = self._reviewed_volunteer(request, object_id)
        to_status, title, _done = STATUS_STEPS[step]
        services: dict[str, _StatusService] = {
            "suspend": volunteer_suspend,
            "reinstate": volunteer_reinstate,
            "leave": volunteer_leave,
        }
        service = services[step]
        form = StatusReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            return self._review_step(
                request,
                volunteer,
                lambda: service(
                    actor=admin_actor(request),
                    volunteer_id=volunteer.pk,
                    reason=form.cleaned_data["reason"],
                ),
                str(STATUS_STEPS[step][2]),
            )
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "original": volunteer,
            "volunteer": volunteer,
            "form": form,
            "reason_required": (volunteer.status, to_status, Who.CADRE) in REASON_REQUIRED,
            "change_url": self._change_url(volunteer.pk),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/volunteers/volunteer/status_step.html", context)

    def _review_url(self, step: str, object_id: Any) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{step}",
            args=[quote(object_id)],
            current_app=self.admin_site.name,
        )

    def _change_url(self, object_id: Any) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[quote(object_id)],
            current_app=self.admin_site.name,
        )

    def _reviewed_volunteer(self, request: HttpRequest, object_id: str) -> Volunteer:
        """The volunteer in the cadre's scope, or 404 (also for an id that is no number)."""
        volunteer = self.get_object(request, unquote(object_id))
        if volunteer is None or not self.has_view_permission(request, volunteer):
            raise Http404
        return volunteer

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's "approve" button: the same service as the list action."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        volunteer = self._reviewed_volunteer(request, object_id)
        return self._review_step(
            request,
            volunteer,
            lambda: volunteer_approve(actor=admin_actor(request), volunteer_id=volunteer.pk),
            gettext("已批准%(name)s的志愿者申请。"),
        )

    def _review_step(
        self, request: HttpRequest, volunteer: Volunteer, step: Callable[[], object], done: str
    ) -> HttpResponse:
        """Take a review step through its service and go back to the change page: out of
        scope is a 404, a refusal is shown as a message, success says whose application."""
        try:
            step()
        except NotInScope as exc:
            raise Http404 from exc
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, done % {"name": volunteer.real_name}, messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(volunteer.pk))

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's "reject" button: a page asking for the reason, whose POST calls
        the same service as the list action."""
        volunteer = self._reviewed_volunteer(request, object_id)
        if request.method == "POST":
            form = RejectReasonForm(request.POST)
            if form.is_valid():
                return self._review_step(
                    request,
                    volunteer,
                    lambda: volunteer_reject(
                        actor=admin_actor(request),
                        volunteer_id=volunteer.pk,
                        reason=form.cleaned_data["reason"],
                    ),
                    gettext("已驳回%(name)s的志愿者申请。"),
                )
        else:
            form = RejectReasonForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("驳回志愿者申请"),
            "opts": self.opts,
            "original": volunteer,
            "volunteer": volunteer,
            "form": form,
            "change_url": self._change_url(volunteer.pk),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/volunteers/volunteer/reject.html", context)

    def reveal_id_number_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Show the ID number in clear, once, in answer to a POST. A GET (a prefetch, a
        link opened twice, a page from the history) must never reveal or log anything."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        volunteer = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, volunteer):
            raise PermissionDenied
        try:
            id_number = volunteer_reveal_id_number(
                actor=admin_actor(request),
                volunteer=volunteer,
                client_address=client_address(request),
            )
        except NotInScope as exc:
            raise Http404 from exc
        context = {
            **self.admin_site.each_context(request),
            "title": _("查看身份证号码"),
            "opts": self.opts,
            "original": volunteer,
            "volunteer": volunteer,
            "id_number": id_number,
            "change_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[quote(volunteer.pk)],
                current_app=self.admin_site.name,
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/volunteers/volunteer/reveal_id_number.html", context
        )


# --- skills -------------------------------------------------------------------------------


def _keeps_skill_list(request: HttpRequest) -> bool:
    # Asked by every has_*_permission on a page: answered once per request, shared with
    # the other city-wide lists (practice.admin_scoping).
    return admin_manages_whole_tree(request)


class SkillAdminForm(ServiceValidatedForm):
    class Meta:
        model = Skill
        fields = ["name", "sort_order", "is_active"]

    def validate_with_service(self, instance: Skill) -> None:
        skill_validate(actor=self.actor, skill=instance)


@admin.register(Skill)
class SkillAdmin(CityScaleList, ScopedAdmin):
    """One list for the whole city: every cadre reads it, the city keeps it."""

    form = SkillAdminForm
    list_display = ["name", "sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Skill]:
        # Skills belong to no center; the list is shared by the whole tree.
        return admin.ModelAdmin.get_queryset(self, request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and _keeps_skill_list(request)

    def has_change_permission(self, request: HttpRequest, obj: Skill | None = None) -> bool:
        return super().has_change_permission(request, obj) and _keeps_skill_list(request)

    def has_delete_permission(self, request: HttpRequest, obj: Skill | None = None) -> bool:
        # Volunteers and services keep pointing at a skill: it is switched off instead.
        return False

    def save_model(self, request: HttpRequest, obj: Skill, form: Any, change: bool) -> None:
        skill_save(actor=admin_actor(request), skill=obj)


# --- teams --------------------------------------------------------------------------------


class TeamAdminForm(ServiceValidatedForm):
    class Meta:
        model = Team
        fields = ["center", "kind", "specialty", "name", "description", "is_active"]

    def validate_with_service(self, instance: Team) -> None:
        team_validate(actor=self.actor, team=instance)


@admin.register(Team)
class TeamAdmin(CityScaleList, ScopedAdmin):
    scope_via = "center"
    form = TeamAdminForm
    list_display = [
        "name",
        "tier_name",
        "center",
        "kind",
        "specialty",
        "member_count",
        "is_active",
    ]
    list_filter = ["kind", "specialty", "is_active"]
    list_select_related = ["center"]
    search_fields = ["name", "center__name"]
    autocomplete_fields = ["center"]
    # Teams are a few thousand rows, any of these sorts is cheap; the member count is not
    # offered: sorting by it would count every team's members first.
    sortable_by = ["name", "center", "kind", "specialty", "is_active"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        # The count rides on the list query instead of one query per row.
        return super().get_queryset(request).annotate(member_count=open_member_count())

    @admin.display(description=_("层级"))
    def tier_name(self, team: Team) -> str:
        return team.tier_name

    @admin.display(description=_("在队人数"))
    def member_count(self, team: WithAnnotations[Team, _MemberCount]) -> str:
        url = reverse(
            "admin:volunteers_teammembership_changelist", current_app=self.admin_site.name
        )
        return format_html(
            '<a href="{}?team__id__exact={}&amp;left_on__isempty=1">{}</a>',
            url,
            team.pk,
            team.member_count,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        # Teams carry memberships and service history: they are switched off instead.
        return False

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        team_save(actor=admin_actor(request), team=obj)


class TeamMembershipAddForm(ServiceValidatedForm):
    class Meta:
        model = TeamMembership
        fields = ["team", "volunteer", "role", "joined_on"]

    def validate_with_service(self, instance: TeamMembership) -> None:
        team_member_validate(
            actor=self.actor, team=instance.team, volunteer=instance.volunteer, role=instance.role
        )


class TeamMembershipRoleForm(forms.ModelForm):
    class Meta:
        model = TeamMembership
        fields = ["role"]


@admin.register(TeamMembership)
class TeamMembershipAdmin(CityScaleList, ScopedAdmin):
    """Members join through team_member_add, change role through team_member_set_role and
    leave through team_member_remove, which closes the row so the team's history stays."""

    # The membership copies its team's center and the path above it (scope_ancestors):
    # each tier's scope, newest first, is one index range of the membership itself.
    scope_via = "center"
    list_display = ["volunteer", "team", "role", "joined_on", "left_on"]
    list_filter = ["role", ("left_on", admin.EmptyFieldListFilter)]
    list_select_related = ["volunteer", "team"]
    search_fields = ["volunteer__real_name"]
    person_search = PersonSearch(name="volunteer__real_name", user="volunteer__user")
    autocomplete_fields = ["team", "volunteer"]
    ordering = ["-id"]
    sortable_by = ()
    actions = ["close_memberships"]

    def get_form(
        self,
        request: HttpRequest,
        obj: TeamMembership | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm]:
        kwargs["form"] = TeamMembershipAddForm if obj is None else TeamMembershipRoleForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(
        self, request: HttpRequest, obj: TeamMembership | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ("team", "volunteer", "role", "joined_on")
        return ("team", "volunteer", "role", "joined_on", "left_on")

    def get_readonly_fields(
        self, request: HttpRequest, obj: TeamMembership | None = None
    ) -> list[str]:
        if obj is None:
            return []
        readonly = ["team", "volunteer", "joined_on", "left_on"]
        if obj.left_on is not None:
            readonly.append("role")
        return readonly

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"joined_on": timezone.localdate(), **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        # Only what the cadre may see can be chosen, whatever id is posted.
        if db_field.name == "team":
            kwargs["queryset"] = teams_in_scope(admin_actor(request))
        elif db_field.name == "volunteer":
            kwargs["queryset"] = volunteers_in_scope(admin_actor(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(
        self, request: HttpRequest, obj: TeamMembership | None = None
    ) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: TeamMembership, form: Any, change: bool
    ) -> None:
        if change:
            if "role" in form.changed_data:
                team_member_set_role(actor=admin_actor(request), membership=obj, role=obj.role)
            return
        membership = team_member_add(
            actor=admin_actor(request),
            team=obj.team,
            volunteer=obj.volunteer,
            role=obj.role,
            joined_on=obj.joined_on,
        )
        obj.pk = membership.pk

    @admin.action(description=_("所选队员离队"))
    def close_memberships(self, request: HttpRequest, queryset: QuerySet[TeamMembership]) -> None:
        _each_with_refusals(
            self,
            request,
            queryset.select_related("team", "volunteer").order_by("pk"),
            lambda membership: team_member_remove(
                actor=admin_actor(request), membership=membership
            ),
            gettext("已将 %(count)d 名队员设为离队。"),
        )


# --- the personal-data audit log ----------------------------------------------------------


@admin.register(PersonalDataReveal)
class PersonalDataRevealAdmin(CityScaleList, ScopedAdmin):
    """Who saw whose personal data in clear, and when: written by the reveal services only."""

    scope_via = "volunteer__home_center"
    list_display = ["revealed_at", "actor_name", "volunteer", "field", "client_address"]
    list_filter = ["field"]
    list_select_related = ["actor", "volunteer"]
    search_fields = ["volunteer__real_name"]
    person_search = PersonSearch(name="volunteer__real_name", user="volunteer__user")
    sortable_by = ["revealed_at"]
    fields = readonly_fields = ("revealed_at", "actor_name", "volunteer", "field", "client_address")

    @admin.display(description=_("查看人"), ordering="actor__name")
    def actor_name(self, reveal: PersonalDataReveal) -> str:
        # A name, not a link: the cadre who looked may sit above the viewer's subtree.
        return reveal.actor.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: PersonalDataReveal | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: PersonalDataReveal | None = None
    ) -> bool:
        return False


# The roster import and export live in their own admin module, on a proxy model.
from volunteers import account_admin, roster_admin  # noqa: E402, F401
