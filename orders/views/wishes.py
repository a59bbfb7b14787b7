"""Micro-wishes (微心愿): the wall, a donor's claim, the poster's confirmation, fulfilment."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest, account_of
from core.errors import DomainError, NotInScope
from orders import services
from orders.forms import (
    WishFulfilForm,
)
from orders.views.common import (
    PAGE_SIZE,
    order_page_step,
    paginate,
    parse_int,
    readable_order,
)
from orders.wishes import wall_filter, wishes_claimed_by
from practice.selectors import services_offered_at


@require_GET
def wish_wall(request: HttpRequest) -> HttpResponse:
    """The micro-wish wall (微心愿墙), open to visitors too: open wishes for anyone signed
    in to claim (a visitor is asked to sign in first), without
    who made them or where they live, city-wide or in the county and township chosen in a
    plain GET form; and the wishes the reader has claimed, which they read in full through
    orders_for. An area that does not resolve is a 400 with the wall of what is left."""
    wall = wall_filter(request.GET)
    reader = account_of(request.user)
    claimed = list(wishes_claimed_by(reader)[:PAGE_SIZE]) if reader is not None else []
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
            "page": paginate(request, wall.wishes),
            "claimed": claimed,
            "notice": wall.notice,
            "wish_service": wish_service,
            "sign_in_to_claim": (
                f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
            ),
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
def wish_claim(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
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
            if (number := parse_int(request.POST.get(name)))
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
def wish_claim_confirm(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
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
def wish_fulfil(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    order = readable_order(request, order_id)
    if order.donor_id != request.user.pk:
        raise Http404
    return order_page_step(
        request,
        order,
        WishFulfilForm(request.POST),
        lambda data: services.wish_fulfil(donor=request.user, order_id=order.pk, note=data["note"]),
        done=_("感谢您的爱心！微心愿已标记为实现。"),
        form_name="fulfil_form",
    )
