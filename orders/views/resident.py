"""The residents' pages: place an order, follow it, cancel it, rate it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from core.errors import DomainError
from core.idempotency import FormTokenInvalid, form_token_issue, form_token_spend
from orders import services
from orders.forms import (
    CancelForm,
    DisputeForm,
    OrderPlaceForm,
    RateForm,
)
from orders.models import Order
from orders.selectors import (
    orders_for,
)
from orders.views.common import (
    order_page,
    order_page_step,
    paginate,
    parse_int,
    readable_order,
)
from orders.wishes import wishes_claimed_by
from practice.area_choice import area_choice
from practice.models import Service

# What the order form's one-time tokens are for (core.idempotency).
ORDER_FORM = "orders.new"


@require_http_methods(["GET", "POST"])
@login_required
def order_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Place an order for a service of the menu (群众点单), or post a micro-wish (微心愿)
    when the menu item is a wish item: the same steps in a wish's words."""
    service_id = parse_int(request.POST.get("service") or request.GET.get("service"))
    service = Service.objects.filter(pk=service_id, is_active=True).first() if service_id else None
    if service is None:
        return render(request, "orders/unknown_service.html", status=400)
    last = (
        Order.objects.filter(resident=request.user).select_related("center").order_by("-id").first()
    )
    # A resident who ordered before starts from the village of their last order.
    area = area_choice(request.GET, previous=last.center if last is not None else None)
    initial: dict[str, object] = {"contact_phone": request.user.phone}
    if last is not None:
        initial.update(center=last.center_id, address=last.address)
    form = OrderPlaceForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        villages=area.villages,
        wish=service.is_wish,
    )
    status = 200
    # The one-time token of this form (core.idempotency): kept while it is still good (the
    # form comes back with errors), a new one when there is none or it was refused.
    token = request.POST.get("form_token", "") if request.method == "POST" else ""
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            placed: list[Order] = []

            def place() -> str:
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
                placed.append(order)
                return reverse("orders:detail", kwargs={"order_id": order.pk})

            try:
                # A post without the field at all (a page from before the tokens, a
                # script) is refused as a forged token is: the page it gets back carries a
                # fresh one, so a person only has to submit again.
                spent = form_token_spend(
                    user=request.user, purpose=ORDER_FORM, token=token, produce=place
                )
            except FormTokenInvalid as exc:
                form.add_error(None, exc.message)
                token = ""
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                if spent.replayed or placed[0].placed_before:
                    if service.is_wish:
                        messages.info(request, _("您刚刚已发布过同样的心愿。"))
                    else:
                        messages.info(request, _("您刚刚已提交过同样的订单。"))
                elif placed[0].kind == Order.Kind.WISH:
                    messages.success(request, _("心愿已发布，爱心人士认领后会联系您。"))
                else:
                    messages.success(request, _("下单成功，实践站将尽快为您派单。"))
                return redirect(spent.result_url)
        status = 400
    context = area.as_context()
    if not token and (context.get("township") or form.is_bound):
        token = form_token_issue(user=request.user, purpose=ORDER_FORM)
    return render(
        request,
        "orders/new.html",
        {
            "form": form,
            "service": service,
            "form_token": token,
            "area_query": area.chosen_query(service=service.pk),
            **context,
        },
        status=status,
    )


@require_GET
@login_required
def order_list(request: AuthenticatedHttpRequest) -> HttpResponse:
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
        {"page": paginate(request, orders), "claimed": paginate(request, claimed, "claimed_page")},
    )


@require_GET
@login_required
def order_detail(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """One order and its timeline: who moved it from which state to which, and when."""
    return order_page(request, readable_order(request, order_id))


def _own(request: AuthenticatedHttpRequest, order_id: int) -> Order:
    order = readable_order(request, order_id)
    if order.resident_id != request.user.pk:
        raise Http404
    return order


@require_POST
@login_required
def order_cancel(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    order = _own(request, order_id)
    return order_page_step(
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
def order_service_confirm(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """The resident confirms the service took place: its hours count."""
    order = _own(request, order_id)
    try:
        confirmed = services.order_service_confirm(resident=request.user, order_id=order.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if confirmed:
            messages.success(request, _("已确认服务完成，志愿者的服务时长已认证。"))
        else:
            messages.info(request, _("该服务时长无需您确认。"))
    return redirect("orders:detail", order_id=order.pk)


@require_POST
@login_required
def order_service_dispute(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """The resident says the service did not happen: its hours wait for a cadre."""
    order = _own(request, order_id)
    return order_page_step(
        request,
        order,
        DisputeForm(request.POST),
        lambda data: services.order_service_dispute(
            resident=request.user, order_id=order.pk, reason=data["reason"]
        ),
        done=_("已提交，服务时长暂不计入，由实践站干部核实处理。"),
        form_name="dispute_form",
    )


@require_POST
@login_required
def order_rate(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    order = _own(request, order_id)
    return order_page_step(
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
