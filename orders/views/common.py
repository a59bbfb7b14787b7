"""What the order pages share: paging, reading one order the user may see, and the order
page itself with the forms residents and donors post to it."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedHttpRequest
from core.errors import ConflictError, DomainError
from orders.dispatch import next_dispatch_at, on_call_now
from orders.forms import (
    CancelForm,
    DisputeForm,
    DomainErrorForm,
    RateForm,
    WishFulfilForm,
)
from orders.models import Order, OrderEvent
from orders.proof import proof_code_for
from orders.selectors import (
    order_contact_visible,
    orders_for,
    orders_managed_by,
    with_contact_visibility,
)
from points.models import HoursClaim
from points.selectors.proof import hours_claim_of_order
from practice.scoping import is_cadre

S = Order.Status


PAGE_SIZE = 20


# Before service starts the resident may still withdraw (the state machine has the last word).
CANCELLABLE = (S.PLACED, S.DISPATCHED, S.ACCEPTED)


ORDER_RELATED = ("service", "center", "township", "county")


def parse_int(raw: str | None) -> int | None:
    # isascii: "²" is a digit to isdigit() and a ValueError to int().
    return int(raw) if raw and raw.isascii() and raw.isdigit() else None


class LinkedPage(Page[Order]):
    """A page of orders with the query strings of the pages before and after it, as
    templates/orders/_pages.html links them ("" where there is none)."""

    previous_query: str = ""
    next_query: str = ""


def paginate(request: HttpRequest, items: QuerySet[Order], param: str = "page") -> LinkedPage:
    """The page of ``items`` that ``param`` in the query string asks for, with the query
    strings of the pages before and after it. They keep every other parameter, so that
    paging keeps the wall's area, and paging one list of a page keeps the other's place."""
    found = Paginator(items, PAGE_SIZE).get_page(request.GET.get(param))
    page = LinkedPage(found.object_list, found.number, found.paginator)

    def query(number: int) -> str:
        params = request.GET.copy()
        params[param] = str(number)
        return params.urlencode()

    page.previous_query = query(page.previous_page_number()) if page.has_previous() else ""
    page.next_query = query(page.next_page_number()) if page.has_next() else ""
    return page


def readable_order(
    request: AuthenticatedHttpRequest, order_id: int, *, managed: bool = False
) -> Order:
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


def dispatch_wait_notice(order: Order, now: datetime.datetime | None = None) -> str:
    """What the order page says of a placed order at night, when nobody is on call and the
    order waits for the morning slot (orders.dispatch.next_dispatch_at); "" otherwise."""
    if order.status != S.PLACED or order.flagged_at is not None:
        return ""
    now = now or on_call_now()
    starts = next_dispatch_at(now)
    if starts is None:
        return ""
    words = {"time": f"{starts.hour}:{starts.minute:02d}"}
    if starts.date() == timezone.localtime(now).date():
        return _("夜间无人值守，订单将于今早 %(time)s 起派单。") % words
    return _("夜间下单，将于明早 %(time)s 起派单。") % words


SERVED = (S.COMPLETED, S.RATED)
CONFIRMABLE = (HoursClaim.Status.AWAITING_RESIDENT, HoursClaim.Status.AWAITING_CADRE)


def order_page(
    request: AuthenticatedHttpRequest,
    order: Order,
    *,
    cancel_form: DomainErrorForm | None = None,
    rate_form: DomainErrorForm | None = None,
    fulfil_form: DomainErrorForm | None = None,
    dispute_form: DomainErrorForm | None = None,
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
    # The proof of service: the code the resident shows at check-out, and after it the
    # hours that wait for them (confirm or dispute).
    claim = hours_claim_of_order(order.pk) if owner and order.status in SERVED else None
    claim_open = claim is not None and claim.status in CONFIRMABLE
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "proof_code": proof_code_for(request.user, order),
            "hours_claim": claim,
            "may_confirm_service": claim is not None
            and claim.status == HoursClaim.Status.AWAITING_RESIDENT,
            "dispute_form": (dispute_form or DisputeForm()) if claim_open else None,
            "events": events,
            "owner": owner,
            "contact_visible": order_contact_visible(request.user, order),
            "claim_pending": claim_pending,
            "can_confirm": can_confirm,
            "dispatch_wait": dispatch_wait_notice(order),
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


def order_page_step(
    request: AuthenticatedHttpRequest,
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
    return order_page(request, order, status=400, **{form_name: form})
