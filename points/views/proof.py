"""The volunteer's 补录 page: report service done off the platform, for a cadre of their
home's subtree to approve (points.services.proof), and see what they reported."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from core.errors import DomainError
from points.forms import OfflineClaimForm
from points.models import HoursClaim
from points.services.proof import offline_claim_submit
from volunteers.selectors import active_volunteer_of

SHOWN_CLAIMS = 20


@require_http_methods(["GET", "POST"])
@login_required
def offline_claims(request: AuthenticatedHttpRequest) -> HttpResponse:
    volunteer = active_volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:home")
    form = OfflineClaimForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                offline_claim_submit(
                    volunteer=volunteer,
                    served_on=form.cleaned_data["served_on"],
                    hours=form.cleaned_data["hours"],
                    description=form.cleaned_data["description"],
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("已提交，待实践站干部审核后计入服务时长。"))
                return redirect("points:offline_claims")
        status = 400
    claims = HoursClaim.objects.filter(volunteer=volunteer).order_by("-id")[:SHOWN_CLAIMS]
    return render(
        request,
        "points/offline_claims.html",
        {"volunteer": volunteer, "form": form, "claims": claims},
        status=status,
    )
