"""The volunteers' mobile web pages: profile, application, teams and preferences.

Plain HTML forms, no JavaScript: many volunteers use old phones and village networks. The
views are thin over volunteers.services and volunteers.selectors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.phones import mask_phone
from core.errors import DomainError, NotInScope
from practice.area_choice import area_choice
from practice.models import Platform
from volunteers import selectors, services
from volunteers.availability import SLOT_BITS, SLOT_CHOICES, mask_to_slots
from volunteers.forms import ApplicationForm, MemberAddForm, PreferencesForm
from volunteers.models import Team, TeamMembership, Volunteer
from volunteers.status import Who, allowed

# The service names the home village "center"; the form calls it "home_center".
APPLICATION_FIELD_ALIASES = {"center": "home_center"}
# Profiles whose holder may edit preferences and see teams; the others apply (again).
STANDING_STATUSES = (
    Volunteer.Status.PENDING,
    Volunteer.Status.ACTIVE,
    Volunteer.Status.SUSPENDED,
)


def _own_profile(request: HttpRequest) -> Volunteer | None:
    return selectors.volunteer_of(request.user)


def _platform_labels(codes: list[str]) -> list[str]:
    labels = dict(Platform.choices)
    return [str(labels[code]) for code in codes if code in labels]


def _slot_labels(mask: int) -> list[str]:
    return [str(label) for code, label in SLOT_CHOICES if mask & SLOT_BITS[code]]


@require_GET
@login_required
def volunteer_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The volunteer's phone page: their profile, standing, hours, points and stars; for
    anyone else, the way to apply."""
    volunteer = (
        Volunteer.objects.select_related("home_center", "township", "county")
        .prefetch_related("skills")
        .filter(user=request.user)
        .first()
    )
    context: dict[str, Any] = {"volunteer": volunteer}
    if volunteer is not None:
        context.update(
            skills=[skill.name for skill in volunteer.skills.all()],
            platforms=_platform_labels(volunteer.platforms),
            slots=_slot_labels(volunteer.availability),
            may_reapply=volunteer.status in services.REAPPLYING_STATUSES,
            may_leave=allowed(volunteer.status, Volunteer.Status.LEFT, Who.SELF),
            shows_record=volunteer.status
            not in (
                Volunteer.Status.PENDING,
                Volunteer.Status.REJECTED,
            ),
        )
    return render(request, "volunteers/home.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def volunteer_apply(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A resident applies to be a volunteer; the township reviews the application."""
    volunteer = _own_profile(request)
    if (
        request.method == "GET"
        and volunteer is not None
        and volunteer.status not in services.REAPPLYING_STATUSES
    ):
        return redirect("volunteers:home")
    # Someone applying again starts from their previous home.
    area = area_choice(
        request.GET, previous=volunteer.home_center if volunteer is not None else None
    )
    initial: dict[str, Any] = {"real_name": request.user.name}
    if volunteer is not None:
        initial.update(
            real_name=volunteer.real_name,
            home_center=volunteer.home_center_id,
            skills=list(volunteer.skills.values_list("pk", flat=True)),
            platforms=volunteer.platforms,
            availability=mask_to_slots(volunteer.availability),
            is_party_member=volunteer.is_party_member,
        )
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        villages=area.villages,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.volunteer_apply(
                user=request.user,
                real_name=data["real_name"],
                id_number=data["id_number"],
                home_center=data["home_center"],
                skills=data["skills"],
                platforms=data["platforms"],
                availability=data["availability"],
                is_party_member=data["is_party_member"],
            )
        except DomainError as exc:
            form.add_domain_error(exc, APPLICATION_FIELD_ALIASES)
        else:
            messages.success(request, _("申请已提交，请等待乡镇（街道）实践所审核。"))
            return redirect("volunteers:home")
    return render(
        request,
        "volunteers/apply.html",
        {"form": form, "area_query": area.chosen_query(), **area.as_context()},
    )


def _standing_profile(request: HttpRequest) -> Volunteer | None:
    volunteer = _own_profile(request)
    if volunteer is None or volunteer.status not in STANDING_STATUSES:
        return None
    return volunteer


@require_http_methods(["GET", "POST"])
@login_required
def volunteer_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The volunteer edits their skills, platforms and weekly time slots."""
    volunteer = _standing_profile(request)
    if volunteer is None:
        return redirect("volunteers:apply")
    initial = {
        "skills": list(volunteer.skills.values_list("pk", flat=True)),
        "platforms": volunteer.platforms,
        "availability": mask_to_slots(volunteer.availability),
    }
    form = PreferencesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.volunteer_update_preferences(
                volunteer=volunteer,
                skills=form.cleaned_data["skills"],
                platforms=form.cleaned_data["platforms"],
                availability=form.cleaned_data["availability"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("已保存您的技能与服务时段。"))
            return redirect("volunteers:home")
    return render(request, "volunteers/preferences.html", {"form": form})


class LeaveForm(forms.Form):
    reason = forms.CharField(
        label=_("退出原因（可不填）"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@require_http_methods(["GET", "POST"])
@login_required
def volunteer_leave(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The volunteer leaves of their own wish (退出): a page that asks to confirm, then
    volunteers.services.volunteer_leave. Who may not leave (pending, left already) is sent
    back to the profile page with the service's refusal."""
    volunteer = _own_profile(request)
    if volunteer is None:
        return redirect("volunteers:apply")
    form = LeaveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.volunteer_leave(
                actor=request.user,
                volunteer_id=volunteer.pk,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("您已退出志愿者队伍。"))
        return redirect("volunteers:home")
    return render(request, "volunteers/leave.html", {"form": form, "volunteer": volunteer})


@require_GET
@login_required
def team_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The teams the volunteer belongs to, with their role in each."""
    volunteer = _standing_profile(request)
    if volunteer is None:
        return redirect("volunteers:apply")
    open_rows = TeamMembership.objects.filter(team=OuterRef("pk"), left_on__isnull=True)
    teams = (
        selectors.teams_of_volunteer(volunteer)
        .select_related("center")
        .annotate(
            my_role=Subquery(open_rows.filter(volunteer=volunteer).values("role")[:1]),
            member_count=Coalesce(
                Subquery(
                    open_rows.order_by().values("team").annotate(n=Count("pk")).values("n")[:1]
                ),
                0,
            ),
        )
        .order_by("center__lft", "kind", "name")
    )
    roles = dict(TeamMembership.Role.choices)
    rows = [
        {
            "team": team,
            "role": roles.get(team.my_role, ""),
            "leads": team.my_role in selectors.LEADING_ROLES,
        }
        for team in teams
    ]
    return render(request, "volunteers/teams.html", {"rows": rows})


def _managed_team(request: AuthenticatedHttpRequest, team_id: int) -> Team:
    """The team, if the user may manage its members; 404 for every other case, so nobody
    learns which teams exist."""
    team = get_object_or_404(
        selectors.teams_visible_to(request.user).select_related("center"), pk=team_id
    )
    if not selectors.can_manage_members(request.user, team):
        raise Http404
    return team


def _team_page(request: HttpRequest, team: Team, form: MemberAddForm) -> HttpResponse:
    # A leader is neither the member nor a cadre: phones stay masked on this page.
    members = [
        {"membership": membership, "phone": mask_phone(membership.volunteer.user.phone)}
        for membership in selectors.current_members(team)
    ]
    return render(request, "volunteers/team_detail.html", {
        "team": team, "members": members, "form": form
    })  # fmt: skip


@require_GET
@login_required
def team_detail(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """A leader's page of the team: current members, add one by phone, remove one."""
    team = _managed_team(request, team_id)
    return _team_page(request, team, MemberAddForm(team=team))


@require_POST
@login_required
def team_member_add(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    team = _managed_team(request, team_id)
    form = MemberAddForm(request.POST, team=team)
    if form.is_valid():
        volunteer = form.cleaned_data["phone"]
        try:
            services.team_member_add(
                actor=request.user, team=team, volunteer=volunteer, role=form.cleaned_data["role"]
            )
        except DomainError as exc:
            form.add_error("role" if exc.field == "role" else "phone", exc.message)
        else:
            messages.success(request, _("已将 %(name)s 加入本队。") % {"name": volunteer.real_name})
            return redirect("volunteers:team_detail", team_id=team.pk)
    return _team_page(request, team, form)


@require_POST
@login_required
def team_member_remove(
    request: AuthenticatedHttpRequest, team_id: int, membership_id: int
) -> HttpResponse:
    team = _managed_team(request, team_id)
    membership = get_object_or_404(
        selectors.current_members(team).select_related("team"), pk=membership_id
    )
    try:
        services.team_member_remove(actor=request.user, membership=membership)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s 已离队。") % {"name": membership.volunteer.real_name})
    return redirect("volunteers:team_detail", team_id=team.pk)


# --- roster invitations: a cadre's roster row waiting for its person ---------------------


@require_GET
@login_required
def roster_invitations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The roster rows that name the signed-in account's phone, to accept or decline. An
    account whose phone is not verified sees none, only how to verify it."""
    invitations = list(selectors.roster_invitations_for(request.user))
    return render(
        request,
        "volunteers/invitations.html",
        {
            "invitations": invitations,
            "phone_verified": request.user.phone_verified_at is not None,
            "current": "invitations",
        },
    )


@require_POST
@login_required
def roster_invitation_answer(
    request: AuthenticatedHttpRequest, invitation_id: int, answer: str
) -> HttpResponse:
    if answer not in ("accept", "decline"):
        raise Http404
    try:
        if answer == "accept":
            volunteer = services.roster_invitation_accept(
                user=request.user, invitation_id=invitation_id
            )
        else:
            services.roster_invitation_decline(user=request.user, invitation_id=invitation_id)
    except NotInScope as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("volunteers:invitations")
    if answer == "accept":
        messages.success(
            request,
            _("您已确认登记，现为%(center)s的在册志愿者。")
            % {"center": volunteer.home_center.name},
        )
        return redirect("volunteers:home")
    messages.success(request, _("已谢绝该邀请。"))
    return redirect("volunteers:invitations")
