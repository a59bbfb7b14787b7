"""The volunteer's own ledgers on a phone: certified hours or points, newest first, a page
at a time by keyset (``before``, the last id shown), the balance above them. The same
reads as GET /api/v1/points/ledger/ (points.selectors.ledger)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from points.selectors.ledger import ledger_owner, own_hours_entries, own_points_entries

PAGE_SIZE = 20
LEDGERS = ("hours", "points")


@require_GET
@login_required
def my_ledger(request: AuthenticatedHttpRequest) -> HttpResponse:
    volunteer = ledger_owner(request.user)
    if volunteer is None:
        return redirect("volunteers:home")
    ledger = request.GET.get("ledger", "hours")
    raw_before = request.GET.get("before", "")
    if ledger not in LEDGERS or (
        raw_before and not (raw_before.isascii() and raw_before.isdigit() and len(raw_before) < 19)
    ):
        return render(
            request,
            "points/ledger.html",
            {"volunteer": volunteer, "ledger": "hours", "rows": [], "error": _("参数无效。")},
            status=400,
        )
    entries = own_hours_entries(volunteer) if ledger == "hours" else own_points_entries(volunteer)
    if raw_before:
        entries = entries.filter(pk__lt=int(raw_before))
    rows = list(entries[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render(
        request,
        "points/ledger.html",
        {
            "volunteer": volunteer,
            "ledger": ledger,
            "rows": rows,
            "next_before": rows[-1].pk if more else None,
        },
    )
