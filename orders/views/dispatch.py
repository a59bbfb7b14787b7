"""The cadres' dispatch workbench: the orders waiting in their scope and the page that
dispatches one to a volunteer or a team."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.phones import mask_phone
from core.errors import ConflictError, DomainError, NotInScope
from orders import services
from orders.dispatch import on_call_now
from orders.forms import (
    DispatchForm,
)
from orders.models import Order
from orders.selectors import (
    dispatch_candidates,
    orders_managed_by,
)
from orders.views.common import (
    ORDER_RELATED,
    S,
    paginate,
    readable_order,
)
from practice.scoping import is_cadre
from volunteers.models import Team, Volunteer
from volunteers.selectors import VOLUNTEER_SEARCH_MAX_LENGTH, teams_in_scope, volunteer_search


def _cadre(request: AuthenticatedHttpRequest) -> None:
    if not (is_cadre(request.user) or request.user.is_superuser):
        raise Http404


@require_GET
@login_required
def dispatch_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Incoming orders of the cadre's subtree waiting for a volunteer, the ones nobody could
    be found for first. Ranking candidates costs queries per order, so it is done on each
    order's own page, and this list stays a constant number of queries."""
    _cadre(request)
    orders = (
        orders_managed_by(request.user)
        .filter(status=S.PLACED)
        .select_related(*ORDER_RELATED)
        .order_by(F("flagged_at").asc(nulls_last=True), "-id")
    )
    return render(request, "orders/dispatch_list.html", {"page": paginate(request, orders)})


def _why(order: Order, volunteer: Volunteer) -> str:
    if volunteer.home_center_id == order.center_id:
        return _("同村（社区）")
    if volunteer.township_id == order.township_id:
        return _("同乡镇（街道）")
    return _("同县（市、区）")


def _order_teams(request: AuthenticatedHttpRequest, order: Order) -> QuerySet[Team]:
    """Active teams in the cadre's scope based at the order's village or its township."""
    return (
        teams_in_scope(request.user)
        .filter(is_active=True, center_id__in=(order.center_id, order.township_id))
        .select_related("center")
        .order_by("center__level", "name")
    )


def _dispatch_page(
    request: AuthenticatedHttpRequest, order: Order, *, error: str = "", status: int = 200
) -> HttpResponse:
    candidates = []
    teams: list[Team] = []
    # Free when the resident wants the service, if they said when; free now otherwise.
    now = on_call_now()
    at = order.preferred_start if order.preferred_start and order.preferred_start > now else now
    if order.status == S.PLACED:
        candidates = [
            {"volunteer": volunteer, "why": _why(order, volunteer)}
            for volunteer in dispatch_candidates(
                order, at=timezone.localtime(at), actor=request.user
            )
        ]
        teams = list(_order_teams(request, order))
    query = request.GET.get("q", "").strip()[: VOLUNTEER_SEARCH_MAX_LENGTH + 1]
    found = None
    if query and order.status == S.PLACED:
        found = [
            {"volunteer": volunteer, "phone": mask_phone(volunteer.user.phone)}
            for volunteer in volunteer_search(request.user, query)
        ]
    return render(
        request,
        "orders/dispatch.html",
        {
            "order": order,
            "candidates": candidates,
            "teams": teams,
            "error": error,
            "ranked_at": timezone.localtime(at),
            "query": query,
            "found": found,
            "query_max_length": VOLUNTEER_SEARCH_MAX_LENGTH,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def order_dispatch(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """One incoming order: ranked candidates with why, the nearby teams, and the buttons
    that offer it to one of them (中心派单)."""
    _cadre(request)
    # Managed, not merely readable: a cadre's own order outside their subtree is not theirs
    # to dispatch, nor to rank another county's volunteers for.
    order = readable_order(request, order_id, managed=True)
    if request.method == "GET":
        return _dispatch_page(request, order)
    form = DispatchForm(request.POST)
    if not form.is_valid():
        return _dispatch_page(
            request, order, error=_("请选择派给一名志愿者或一支队伍。"), status=400
        )
    volunteer = team = None
    if form.cleaned_data["volunteer"]:
        volunteer = Volunteer.objects.filter(pk=form.cleaned_data["volunteer"]).first()
        if volunteer is None:
            raise Http404
        name = volunteer.real_name
    else:
        team = Team.objects.filter(pk=form.cleaned_data["team"]).first()
        if team is None:
            raise Http404
        name = team.name
    try:
        services.order_dispatch(
            actor=request.user, order_id=order.pk, volunteer=volunteer, team=team
        )
    except NotInScope as exc:
        raise Http404 from exc
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("orders:dispatch", order_id=order.pk)
    except DomainError as exc:
        return _dispatch_page(request, order, error=exc.message, status=400)
    messages.success(request, _("订单 #%(id)s 已派给 %(name)s。") % {"id": order.pk, "name": name})
    return redirect(reverse("orders:dispatch_list"))
