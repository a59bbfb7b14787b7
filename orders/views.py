"""The order flow's web pages: residents place, follow, cancel and rate orders; volunteers
take and serve them on a phone; cadres dispatch them.

Plain HTML forms, no JavaScript (old phones, village networks). The views are thin over
orders.services and read only through orders.selectors.orders_for: what a user may not
read is a 404, never a 403, so nobody learns which orders exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
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
    DomainErrorForm,
    OrderPlaceForm,
    RateForm,
)
from orders.models import Order, OrderEvent
from orders.selectors import (
    dispatch_candidates,
    order_offered_to,
    orders_as_volunteer,
    orders_for,
    orders_managed_by,
    with_contact_visibility,
)
from orders.wishes import wall_filter, wishes_claimed_by
from practice.area_choice import area_choice
from practice.models import Service
from practice.scoping import is_cadre
from practice.selectors import services_offered_at
from volunteers.models import Team, Volunteer
from volunteers.selectors import active_volunteer_of, teams_in_scope

S = Order.Status
PAGE_SIZE = 20
# Before service starts the resident may still withdraw (the state machine has the last word).
CANCELLABLE = (S.PLACED, S.DISPATCHED, S.ACCEPTED)
ORDER_RELATED = ("service", "center", "township", "county")


def _int(raw: str | None) -> int | None:
    # isascii: "²" is a digit to isdigit() and a ValueError to int().
    return int(raw) if raw and raw.isascii() and raw.isdigit() else None


# ---------------------------------------------------------------- residents


@require_http_methods(["GET", "POST"])
@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    """Place an order for a service of the menu (群众点单), or post a micro-wish (微心愿)
    when the menu item is a wish item: the same steps in a wish's words."""
    service_id = _int(request.POST.get("service") or request.GET.get("service"))
    service = Service.objects.filter(pk=service_id, is_active=True).first() if service_id else None
    if service is None:
        return render(request, "orders/unknown_service.html", status=400)
    last = (
        Order.objects.filter(resident=request.user).select_related("center").order_by("-id").first()
    )
    # A resident who ordered before starts from the village of their last order.
    area = area_choice(request.GET, previous=last.center if last is not None else None)
    initial = {"contact_phone": request.user.phone}
    if last is not None:
        initial.update(center=last.center_id, address=last.address)
    form = OrderPlaceForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        villages=area.villages,
        wish=service.is_wish,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                # No kind: the service says whether this is a wish.
                order = services.order_place(
                    resident=request.user,
                    service=service,
                    center=data["center"],
                    title=data["title"],
                    description=data["description"],
                    address=data["address"],
                    contact_phone=data["contact_phone"],
                    preferred_start=data.get("preferred_start"),
                    preferred_end=data.get("preferred_end"),
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                if order.kind == Order.Kind.WISH:
                    messages.success(request, _("心愿已发布，爱心人士认领后会联系您。"))
                else:
                    messages.success(request, _("下单成功，实践站将尽快为您派单。"))
                return redirect("orders:detail", order_id=order.pk)
        status = 400
    return render(
        request,
        "orders/new.html",
        {
            "form": form,
            "service": service,
            "area_query": area.chosen_query(service=service.pk),
            **area.as_context(),
        },
        status=status,
    )


def _page(request: HttpRequest, items: QuerySet[Order], param: str = "page") -> Page:
    """The page of ``items`` that ``param`` in the query string asks for, with the query
    strings of the pages before and after it. They keep every other parameter, so that
    paging keeps the wall's area, and paging one list of a page keeps the other's place."""
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get(param))

    def query(number: int) -> str:
        params = request.GET.copy()
        params[param] = str(number)
        return params.urlencode()

    page.previous_query = query(page.previous_page_number()) if page.has_previous() else ""
    page.next_query = query(page.next_page_number()) if page.has_next() else ""
    return page


@require_GET
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """The resident's own orders, newest first; below, the micro-wishes they claimed as a
    donor, latest claim first (paged on their own, ``claimed_page``)."""
    # One orders_for for both lists: it reads the user's roles when it is built.
    visible = orders_for(request.user)
    orders = (
        visible.filter(resident=request.user).select_related("service", "center").order_by("-id")
    )
    claimed = wishes_claimed_by(request.user, visible)
    return render(
        request,
        "orders/list.html",
        {"page": _page(request, orders), "claimed": _page(request, claimed, "claimed_page")},
    )


def _readable(request: HttpRequest, order_id: int, *, managed: bool = False) -> Order:
    visible = orders_managed_by(request.user) if managed else orders_for(request.user)
    order = (
        with_contact_visibility(visible, request.user)
        .select_related(
            *ORDER_RELATED, "accepted_by", "dispatched_team", "dispatched_volunteer", "donor"
        )
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
    fulfil_form: WishFulfilForm | None = None,
    status: int = 200,
) -> HttpResponse:
    events = OrderEvent.objects.filter(order=order).select_related("actor").order_by("at", "id")
    owner = order.resident_id == request.user.pk
    donor = order.donor_id is not None and order.donor_id == request.user.pk
    claim_pending = (
        order.kind == Order.Kind.WISH
        and order.status == S.ACCEPTED
        and order.donor_id is not None
        and order.donor_confirmed_at is None
    )
    # The poster, or a cadre whose scope covers the wish (the service asks the same).
    can_confirm = claim_pending and (
        owner
        or (is_cadre(request.user) and orders_managed_by(request.user).filter(pk=order.pk).exists())
    )
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "events": events,
            "owner": owner,
            "contact_visible": order.contact_visible,
            "claim_pending": claim_pending,
            "can_confirm": can_confirm,
            "can_dispatch": order.status == S.PLACED and is_cadre(request.user),
            "cancel_form": (cancel_form or CancelForm())
            if owner and order.status in CANCELLABLE
            else None,
            "rate_form": (rate_form or RateForm())
            if owner and order.status == S.COMPLETED
            else None,
            "donor": donor,
            "fulfil_form": (fulfil_form or WishFulfilForm())
            if donor and order.status == S.ACCEPTED
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


def _detail_step(
    request: HttpRequest,
    order: Order,
    form: DomainErrorForm,
    step: Callable[[dict[str, Any]], object],
    *,
    done: str,
    form_name: str,
) -> HttpResponse:
    """A form on the order page (cancel, rate, fulfil): run ``step`` with the cleaned data.
    A refusal because of the order's state (409) is a message on the order page, since
    nothing typed can fix it; any other refusal goes beside what was typed (400)."""
    if form.is_valid():
        try:
            step(form.cleaned_data)
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("orders:detail", order_id=order.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, done)
            return redirect("orders:detail", order_id=order.pk)
    return _detail_page(request, order, status=400, **{form_name: form})


@require_POST
@login_required
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own(request, order_id)
    return _detail_step(
        request,
        order,
        CancelForm(request.POST),
        lambda data: services.order_cancel(
            resident=request.user, order_id=order.pk, reason=data["reason"]
        ),
        done=_("订单已取消。"),
        form_name="cancel_form",
    )


@require_POST
@login_required
def order_rate(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own(request, order_id)
    return _detail_step(
        request,
        order,
        RateForm(request.POST),
        lambda data: services.order_rate(
            resident=request.user,
            order_id=order.pk,
            score=data["score"],
            comment=data["comment"],
        ),
        done=_("感谢您的评价！"),
        form_name="rate_form",
    )


# ---------------------------------------------------------------- volunteers


def _active_volunteer(request: HttpRequest) -> Volunteer | None:
    return active_volunteer_of(request.user)


def _tasks_page(
    request: HttpRequest,
    volunteer: Volunteer,
    *,
    bound: tuple[int, str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Offered to me, offered to my teams, held by me, and lately done. ``bound`` is the
    (order id, form name, form) sent back with its errors. Read as a volunteer only: a
    cadre who also volunteers finds their own tasks here, not their subtree's team orders."""
    visible = with_contact_visibility(orders_as_volunteer(volunteer), request.user).select_related(
        *ORDER_RELATED, "dispatched_team"
    )
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
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return None
    if order.accepted_by_id == volunteer.pk or order_offered_to(volunteer, order):
        return order
    return None


def _task_step(
    request: HttpRequest,
    step: Callable[[], Order],
    *,
    done: str | Callable[[Order], str],
    form: DomainErrorForm | None = None,
    on_conflict: Callable[[ConflictError], str] | None = None,
) -> bool:
    """Run one of the volunteer's steps on a task and say how it went in a message for the
    task list; True when the task list is where to go next.

    A refusal because of the order's state (409) is a message, since nothing typed can fix
    it; ``on_conflict`` may word it, or raise Http404. Any other refusal goes on ``form``,
    beside what was typed (False: show the form again). A step without a form answers an
    order out of reach with a 404 and any other refusal with a message.
    """
    try:
        order = step()
    except ConflictError as exc:
        messages.error(request, on_conflict(exc) if on_conflict else exc.message)
    except DomainError as exc:
        if form is not None:
            form.add_domain_error(exc)
            return False
        if isinstance(exc, NotInScope):
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, done if isinstance(done, str) else done(order))
    return True


@require_POST
@login_required
def task_accept(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)

    def taken(exc: ConflictError) -> str:
        order = _was_offered_to(volunteer, order_id)
        if order is None:
            raise Http404 from exc
        if order.accepted_by_id and order.accepted_by_id != volunteer.pk:
            return _("已被其他志愿者接单。")
        return exc.message

    _task_step(
        request,
        lambda: services.order_accept(volunteer=volunteer, order_id=order_id),
        done=_("接单成功，请按约定时间上门服务。"),
        on_conflict=taken,
    )
    return redirect("orders:tasks")


@require_POST
@login_required
def task_accept_next(request: HttpRequest) -> HttpResponse:
    """接下一单: the oldest order still free in the pool, whichever of the listed ones the
    other members have taken in the meantime."""
    volunteer = _task_volunteer(request)
    try:
        order_id = services.order_accept_next(volunteer=volunteer)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if order_id is None:
            messages.info(request, _("队伍任务已被接完，暂无可接的任务。"))
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
    if form.is_valid() and _task_step(
        request,
        lambda: services.order_decline(
            volunteer=volunteer, order_id=order_id, reason=form.cleaned_data["reason"]
        ),
        done=_("已谢绝该任务。"),
        form=form,
    ):
        return redirect("orders:tasks")
    return _tasks_page(request, volunteer, bound=(order_id, "decline_form", form), status=400)


@require_POST
@login_required
def task_start(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)
    _task_step(
        request,
        lambda: services.order_start(volunteer=volunteer, order_id=order_id),
        done=_("已签到，服务开始。"),
    )
    return redirect("orders:tasks")


@require_POST
@login_required
def task_complete(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)
    if not Order.objects.filter(pk=order_id, accepted_by=volunteer).exists():
        raise Http404
    form = CompleteForm(request.POST, auto_id=f"id_complete_{order_id}_%s")
    if form.is_valid() and _task_step(
        request,
        lambda: services.order_complete(
            volunteer=volunteer, order_id=order_id, summary=form.cleaned_data["summary"]
        ),
        done=lambda order: _("已签退，本次服务记 %(hours)s 小时。") % {"hours": order.hours},
        form=form,
    ):
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
        orders_managed_by(request.user)
        .filter(status=S.PLACED)
        .select_related(*ORDER_RELATED)
        .order_by(F("flagged_at").asc(nulls_last=True), "-id")
    )
    return render(request, "orders/dispatch_list.html", {"page": _page(request, orders)})


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
            for volunteer in dispatch_candidates(
                order, at=timezone.localtime(at), actor=request.user
            )
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
    # Managed, not merely readable: a cadre's own order outside their subtree is not theirs
    # to dispatch, nor to rank another county's volunteers for.
    order = _readable(request, order_id, managed=True)
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


# ---------------------------------------------------------------- micro-wishes (微心愿)


class WishFulfilForm(DomainErrorForm):
    note = forms.CharField(
        label=_("说明（选填）"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("例如：书包和文具已送到家中")}),
    )


@require_GET
@login_required
def wish_wall(request: HttpRequest) -> HttpResponse:
    """The micro-wish wall (微心愿墙): open wishes for anyone signed in to claim, without
    who made them or where they live, city-wide or in the county and township chosen in a
    plain GET form; and the wishes the reader has claimed, which they read in full through
    orders_for. An area that does not resolve is a 400 with the wall of what is left."""
    wall = wall_filter(request.GET)
    claimed = list(wishes_claimed_by(request.user)[:PAGE_SIZE])
    # "发布微心愿" leads to the order form of the city menu's wish item; with none on the
    # menu (taken off by the cadres) there is nowhere to post one, and no link.
    wish_service = (
        services_offered_at(None)
        .filter(is_wish=True)
        .order_by("sort_order", "id")
        .values_list("pk", flat=True)
        .first()
    )
    return render(
        request,
        "orders/wishes.html",
        {
            "page": _page(request, wall.wishes),
            "claimed": claimed,
            "notice": wall.notice,
            "wish_service": wish_service,
            # Carried by each claim form, so that a refused claim comes back to this area.
            "area_fields": {
                name: center.pk
                for name, center in (("county", wall.area.county), ("township", wall.area.township))
                if center is not None
            },
            **wall.area.as_context(),
        },
        status=400 if wall.notice else 200,
    )


@require_POST
@login_required
def wish_claim(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        order = services.wish_claim(donor=request.user, order_id=order_id)
    except NotInScope as exc:
        raise Http404 from exc
    except DomainError as exc:
        # Own wish, not a wish, or claimed first by someone else (the state, in words). Back
        # to the wall of the area the donor was looking at: the form carries the county and
        # township ids; anything else in them is dropped, and the wall checks the rest.
        messages.error(request, exc.message)
        area = {
            name: number
            for name in ("county", "township")
            if (number := _int(request.POST.get(name)))
        }
        wall = reverse("orders:wishes")
        return redirect(f"{wall}?{urlencode(area)}" if area else wall)
    messages.success(
        request,
        _("认领成功！发布者或实践站确认后，您可以看到联系电话和地址，与群众联系送达。"),
    )
    return redirect("orders:detail", order_id=order.pk)


@require_POST
@login_required
def wish_claim_confirm(request: HttpRequest, order_id: int) -> HttpResponse:
    """The poster, or a cadre in scope, confirms the donor's claim (确认认领)."""
    try:
        services.wish_claim_confirm(actor=request.user, order_id=order_id)
    except NotInScope as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认认领，认领人现在可以看到联系方式。"))
    return redirect("orders:detail", order_id=order_id)


@require_POST
@login_required
def wish_fulfil(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _readable(request, order_id)
    if order.donor_id != request.user.pk:
        raise Http404
    return _detail_step(
        request,
        order,
        WishFulfilForm(request.POST),
        lambda data: services.wish_fulfil(donor=request.user, order_id=order.pk, note=data["note"]),
        done=_("感谢您的爱心！微心愿已标记为实现。"),
        form_name="fulfil_form",
    )
