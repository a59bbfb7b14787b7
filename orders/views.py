"""The order flow's web pages: residents place, follow, cancel and rate orders; volunteers
take and serve them on a phone; cadres dispatch them.

Plain HTML forms, no JavaScript (old phones, village networks). The views are thin over
orders.services and read only through orders.selectors.orders_for: what a user may not
read is a 404, never a 403, so nobody learns which orders exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ConflictError, DomainError, NotInScope
from orders import services
from orders.forms import (
    CancelForm,
    CompleteForm,
    DeclineForm,
    DispatchForm,
    OrderPlaceForm,
    RateForm,
)
from orders.models import Order, OrderEvent
from orders.selectors import dispatch_candidates, orders_for
from practice.models import Center, Level, Service
from practice.scoping import is_cadre
from volunteers.models import Team, TeamMembership, Volunteer
from volunteers.selectors import teams_in_scope

S = Order.Status
PAGE_SIZE = 20
# Before service starts the resident may still withdraw (the state machine has the last word).
CANCELLABLE = (S.PLACED, S.DISPATCHED, S.ACCEPTED)
ORDER_RELATED = ("service", "center", "township", "county")


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


# ---------------------------------------------------------------- residents


def _area_steps(query: QueryDict, previous: Order | None) -> dict[str, Any]:
    """The county → township → village cascade, one GET step each, so that it works without
    JavaScript: the choices made so far live in the query string. A resident who ordered
    before starts from the village of their last order."""
    active = Center.objects.filter(is_active=True).order_by("code")
    counties = active.filter(level=Level.COUNTY)
    county_id, township_id = query.get("county"), query.get("township")
    if county_id is None and township_id is None and previous is not None:
        county_id, township_id = str(previous.county_id), str(previous.township_id)
    county = counties.filter(pk=_int(county_id)).first() if _int(county_id) else None
    townships = active.filter(level=Level.TOWNSHIP, parent=county) if county else active.none()
    township = townships.filter(pk=_int(township_id)).first() if _int(township_id) else None
    villages = (
        active.filter(
            level=Level.VILLAGE,
            tree_id=township.tree_id,
            lft__gt=township.lft,
            rght__lt=township.rght,
        )
        if township is not None
        else active.none()
    )
    return {
        "counties": counties,
        "county": county,
        "townships": townships,
        "township": township,
        "villages": villages,
    }


@require_http_methods(["GET", "POST"])
@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    """Place an order for a service of the menu (群众点单)."""
    service_id = _int(request.POST.get("service") or request.GET.get("service"))
    service = Service.objects.filter(pk=service_id, is_active=True).first() if service_id else None
    if service is None:
        return render(request, "orders/unknown_service.html", status=400)
    last = (
        Order.objects.filter(resident=request.user).select_related("center").order_by("-id").first()
    )
    steps = _area_steps(request.GET, last)
    area = {"service": service.pk}
    area.update({k: steps[k].pk for k in ("county", "township") if steps[k] is not None})
    initial = {"contact_phone": request.user.phone}
    if last is not None:
        initial.update(center=last.center_id, address=last.address)
    form = OrderPlaceForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        villages=steps["villages"],
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.order_place(
                    resident=request.user,
                    service=service,
                    center=data["center"],
                    title=data["title"],
                    description=data["description"],
                    address=data["address"],
                    contact_phone=data["contact_phone"],
                    preferred_start=data["preferred_start"],
                    preferred_end=data["preferred_end"],
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("下单成功，实践站将尽快为您派单。"))
                return redirect("orders:detail", order_id=order.pk)
        status = 400
    return render(
        request,
        "orders/new.html",
        {"form": form, "service": service, "area_query": urlencode(area), **steps},
        status=status,
    )


@require_GET
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """The resident's own orders, newest first."""
    orders = (
        orders_for(request.user)
        .filter(resident=request.user)
        .select_related("service", "center")
        .order_by("-id")
    )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/list.html", {"page": page})


def _readable(request: HttpRequest, order_id: int) -> Order:
    order = (
        orders_for(request.user)
        .select_related(*ORDER_RELATED, "accepted_by", "dispatched_team", "dispatched_volunteer")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404
    return order


def _detail_page(
    request: HttpRequest,
    order: Order,
    *,
    cancel_form: CancelForm | None = None,
    rate_form: RateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    events = OrderEvent.objects.filter(order=order).select_related("actor").order_by("at", "id")
    owner = order.resident_id == request.user.pk
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "events": events,
            "owner": owner,
            "can_dispatch": order.status == S.PLACED and is_cadre(request.user),
            "cancel_form": (cancel_form or CancelForm())
            if owner and order.status in CANCELLABLE
            else None,
            "rate_form": (rate_form or RateForm())
            if owner and order.status == S.COMPLETED
            else None,
        },
        status=status,
    )


@require_GET
@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    """One order and its timeline: who moved it from which state to which, and when."""
    return _detail_page(request, _readable(request, order_id))


def _own(request: HttpRequest, order_id: int) -> Order:
    order = _readable(request, order_id)
    if order.resident_id != request.user.pk:
        raise Http404
    return order


@require_POST
@login_required
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own(request, order_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.order_cancel(
                resident=request.user, order_id=order.pk, reason=form.cleaned_data["reason"]
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("orders:detail", order_id=order.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("订单已取消。"))
            return redirect("orders:detail", order_id=order.pk)
    return _detail_page(request, order, cancel_form=form, status=400)


@require_POST
@login_required
def order_rate(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own(request, order_id)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.order_rate(
                resident=request.user,
                order_id=order.pk,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("orders:detail", order_id=order.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("感谢您的评价！"))
            return redirect("orders:detail", order_id=order.pk)
    return _detail_page(request, order, rate_form=form, status=400)


# ---------------------------------------------------------------- volunteers


def _active_volunteer(request: HttpRequest) -> Volunteer | None:
    return Volunteer.objects.filter(user=request.user, status=Volunteer.Status.ACTIVE).first()


def _tasks_page(
    request: HttpRequest,
    volunteer: Volunteer,
    *,
    bound: tuple[int, str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Offered to me, offered to my teams, held by me, and lately done. ``bound`` is the
    (order id, form name, form) sent back with its errors."""
    visible = orders_for(request.user).select_related(*ORDER_RELATED, "dispatched_team")
    offered = list(
        visible.filter(status=S.DISPATCHED, dispatched_volunteer=volunteer).order_by(
            "accept_deadline", "id"
        )
    )
    pool = list(
        visible.filter(status=S.DISPATCHED, dispatched_team__isnull=False).order_by(
            "accept_deadline", "id"
        )
    )
    held = list(
        visible.filter(accepted_by=volunteer, status__in=(S.ACCEPTED, S.IN_SERVICE)).order_by(
            "accepted_at", "id"
        )
    )
    done = list(
        visible.filter(accepted_by=volunteer, status__in=(S.COMPLETED, S.RATED)).order_by(
            "-completed_at", "-id"
        )[:10]
    )
    for order in offered:
        order.decline_form = DeclineForm(auto_id=f"id_decline_{order.pk}_%s")
    for order in held:
        order.complete_form = CompleteForm(auto_id=f"id_complete_{order.pk}_%s")
    if bound is not None:
        order_id, name, form = bound
        for order in offered + held:
            if order.pk == order_id:
                setattr(order, name, form)
    return render(
        request,
        "orders/tasks.html",
        {
            "volunteer": volunteer,
            "offered": offered,
            "pool": pool,
            "held": held,
            "done": done,
        },
        status=status,
    )


@require_GET
@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    volunteer = _active_volunteer(request)
    if volunteer is None:
        return redirect("volunteers:home")
    return _tasks_page(request, volunteer)


def _task_volunteer(request: HttpRequest) -> Volunteer:
    volunteer = _active_volunteer(request)
    if volunteer is None:
        raise Http404
    return volunteer


def _was_offered_to(volunteer: Volunteer, order_id: int) -> Order | None:
    """The order, if it was offered to this volunteer or one of their teams, whatever
    happened to it since: the loser of a race learns who won, a stranger learns nothing."""
    teams = TeamMembership.objects.filter(volunteer=volunteer, left_on__isnull=True).values(
        "team_id"
    )
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return None
    if order.dispatched_volunteer_id == volunteer.pk or order.accepted_by_id == volunteer.pk:
        return order
    if order.dispatched_team_id and teams.filter(team_id=order.dispatched_team_id).exists():
        return order
    return None


@require_POST
@login_required
def task_accept(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)
    try:
        services.order_accept(volunteer=volunteer, order_id=order_id)
    except NotInScope as exc:
        raise Http404 from exc
    except ConflictError as exc:
        order = _was_offered_to(volunteer, order_id)
        if order is None:
            raise Http404 from exc
        if order.accepted_by_id and order.accepted_by_id != volunteer.pk:
            messages.error(request, _("已被其他志愿者接单。"))
        else:
            messages.error(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("接单成功，请按约定时间上门服务。"))
    return redirect("orders:tasks")


@require_POST
@login_required
def task_decline(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)
    if _was_offered_to(volunteer, order_id) is None:
        raise Http404
    form = DeclineForm(request.POST, auto_id=f"id_decline_{order_id}_%s")
    if form.is_valid():
        try:
            services.order_decline(
                volunteer=volunteer, order_id=order_id, reason=form.cleaned_data["reason"]
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("orders:tasks")
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("已谢绝该任务。"))
            return redirect("orders:tasks")
    return _tasks_page(request, volunteer, bound=(order_id, "decline_form", form), status=400)


@require_POST
@login_required
def task_start(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)
    try:
        services.order_start(volunteer=volunteer, order_id=order_id)
    except NotInScope as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已签到，服务开始。"))
    return redirect("orders:tasks")


@require_POST
@login_required
def task_complete(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)
    if not Order.objects.filter(pk=order_id, accepted_by=volunteer).exists():
        raise Http404
    form = CompleteForm(request.POST, auto_id=f"id_complete_{order_id}_%s")
    if form.is_valid():
        try:
            order = services.order_complete(
                volunteer=volunteer, order_id=order_id, summary=form.cleaned_data["summary"]
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("orders:tasks")
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, _("已签退，本次服务记 %(hours)s 小时。") % {"hours": order.hours}
            )
            return redirect("orders:tasks")
    return _tasks_page(request, volunteer, bound=(order_id, "complete_form", form), status=400)


# ---------------------------------------------------------------- cadres


def _cadre(request: HttpRequest) -> None:
    if not (is_cadre(request.user) or request.user.is_superuser):
        raise Http404


@require_GET
@login_required
def dispatch_list(request: HttpRequest) -> HttpResponse:
    """Incoming orders of the cadre's subtree waiting for a volunteer, the ones nobody could
    be found for first. Ranking candidates costs queries per order, so it is done on each
    order's own page, and this list stays a constant number of queries."""
    _cadre(request)
    orders = (
        orders_for(request.user)
        .filter(status=S.PLACED)
        .select_related(*ORDER_RELATED)
        .order_by(F("flagged_at").asc(nulls_last=True), "-id")
    )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/dispatch_list.html", {"page": page})


def _why(order: Order, volunteer: Volunteer) -> str:
    if volunteer.home_center_id == order.center_id:
        return _("同村（社区）")
    if volunteer.township_id == order.township_id:
        return _("同乡镇（街道）")
    return _("同县（市、区）")


def _order_teams(request: HttpRequest, order: Order) -> QuerySet[Team]:
    """Active teams in the cadre's scope based at the order's village or its township."""
    return (
        teams_in_scope(request.user)
        .filter(is_active=True, center_id__in=(order.center_id, order.township_id))
        .select_related("center")
        .order_by("center__level", "name")
    )


def _dispatch_page(
    request: HttpRequest, order: Order, *, error: str = "", status: int = 200
) -> HttpResponse:
    candidates = []
    teams: list[Team] = []
    # Free when the resident wants the service, if they said when; free now otherwise.
    now = timezone.now()
    at = order.preferred_start if order.preferred_start and order.preferred_start > now else now
    if order.status == S.PLACED:
        candidates = [
            {"volunteer": volunteer, "why": _why(order, volunteer)}
            for volunteer in dispatch_candidates(order, at=timezone.localtime(at))
        ]
        teams = list(_order_teams(request, order))
    return render(
        request,
        "orders/dispatch.html",
        {
            "order": order,
            "candidates": candidates,
            "teams": teams,
            "error": error,
            "ranked_at": timezone.localtime(at),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def order_dispatch(request: HttpRequest, order_id: int) -> HttpResponse:
    """One incoming order: ranked candidates with why, the nearby teams, and the buttons
    that offer it to one of them (中心派单)."""
    _cadre(request)
    order = _readable(request, order_id)
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
    else:
        team = Team.objects.filter(pk=form.cleaned_data["team"]).first()
        if team is None:
            raise Http404
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
    name = volunteer.real_name if volunteer is not None else team.name
    messages.success(request, _("订单 #%(id)s 已派给 %(name)s。") % {"id": order.pk, "name": name})
    return redirect(reverse("orders:dispatch_list"))
