"""The volunteer's love supermarket (爱心超市), on a phone: the shelves of their county with
their balance and a redeem form per item, and their own redemptions.

A redeem form carries a one-time token (core.idempotency, as the order form does): a double
tap or a resent POST gets the first redemption's page instead of a second redemption. The
database guarantees the rest: a second request that did get through finds the points and
the stock already taken (points.services.supermarket)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from core.errors import DomainError
from core.idempotency import FormTokenInvalid, form_token_issue, form_token_spend
from points.forms import RedeemForm
from points.models.supermarket import MAX_QUANTITY
from points.selectors.supermarket import own_redemptions, shelf_of
from points.services.supermarket import redemption_request
from volunteers.selectors import active_volunteer_of

REDEEM_FORM = "points.redeem"
# The volunteer's page lists this many of their newest redemptions.
REDEMPTIONS_SHOWN = 50


@require_http_methods(["GET", "POST"])
@login_required
def supermarket(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The items of the supermarkets of the volunteer's county, with price and stock, their
    balance, and a redeem form per item (a quantity). A refusal comes back on this page
    with its reason and changes nothing."""
    volunteer = active_volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:home")
    error = ""
    status = 200
    token = request.POST.get("form_token", "") if request.method == "POST" else ""
    if request.method == "POST":
        form = RedeemForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data

            def redeem() -> str:
                redemption_request(
                    volunteer=volunteer, item_id=data["item"], quantity=data["quantity"]
                )
                return reverse("points:redemptions")

            try:
                spent = form_token_spend(
                    user=request.user, purpose=REDEEM_FORM, token=token, produce=redeem
                )
            except FormTokenInvalid as exc:
                error, token = exc.message, ""
            except DomainError as exc:
                # The token stays good: the refusal rolled its spending back.
                error = exc.message
            else:
                if spent.replayed:
                    messages.info(request, _("您刚刚已提交过这笔兑换。"))
                else:
                    messages.success(request, _("兑换成功，请凭本页记录到爱心超市领取。"))
                return redirect(spent.result_url)
        else:
            # One message, the first field's: the page has one form per item.
            error = str(next(iter(form.errors.values()))[0])
        status = 400
        # What the refusal may have left stale: the balance is read again.
        volunteer.refresh_from_db(fields=["points"])
    if not token:
        token = form_token_issue(user=request.user, purpose=REDEEM_FORM)
    return render(
        request,
        "points/supermarket.html",
        {
            "volunteer": volunteer,
            "items": list(shelf_of(volunteer)),
            "error": error,
            "form_token": token,
            "max_quantity": MAX_QUANTITY,
            "collect_days": settings.SUPERMARKET_COLLECT_DAYS,
        },
        status=status,
    )


@require_GET
@login_required
def redemptions(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The volunteer's own redemptions, newest first, with their status."""
    volunteer = active_volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:home")
    return render(
        request,
        "points/redemptions.html",
        {
            "volunteer": volunteer,
            "redemptions": list(own_redemptions(volunteer)[:REDEMPTIONS_SHOWN]),
            "shown": REDEMPTIONS_SHOWN,
        },
    )
