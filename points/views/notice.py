"""The public notice of star certifications (星级认定公示) and the objection form.

The notice is open to visitors, as the city's notices on paper are: a certification is
published so that anyone who knows the volunteer may object, and what it shows is what
the city publishes (the family name with the rest masked, the team, the center, the level
and the end of the notice), never a phone or ID number. Objecting needs an account, so that
a cadre can ask the objector about it and nobody objects anonymously at scale."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from core.errors import DomainError, NotInScope
from core.masking import mask_name
from points.forms import ObjectionForm
from points.selectors.stars import certifications_in_notice
from points.services.stars import certification_object
from volunteers.models import TeamMembership

PAGE_SIZE = 20


@dataclass(frozen=True)
class NoticeRow:
    """One line of the notice: only what may be published."""

    pk: int
    name: str
    team: str
    center: str
    level: int
    notice_ends_at: object


def _parse_before(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValueError(raw)
    return int(raw)


@require_GET
def star_notice(request: HttpRequest) -> HttpResponse:
    """The certifications in their notice, newest first, a page of PAGE_SIZE by keyset
    (``before``, the last id of the previous page): three queries whatever the city's
    size (the page, its volunteers' teams; and the session for a signed-in reader)."""
    try:
        before = _parse_before(request.GET.get("before"))
    except ValueError:
        return render(
            request,
            "points/notice.html",
            {"rows": [], "notice": _("页码无效。")},
            status=400,
        )
    rows = certifications_in_notice(now=timezone.now())
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    teams: dict[int, str] = {}
    if page:
        for volunteer_id, team in (
            TeamMembership.objects.filter(
                volunteer_id__in={row.volunteer_id for row in page}, left_on__isnull=True
            )
            .order_by("volunteer_id", "id")
            .values_list("volunteer_id", "team__name")
        ):
            teams.setdefault(volunteer_id, team)
    published = [
        NoticeRow(
            pk=row.pk,
            name=mask_name(row.volunteer.real_name),
            team=teams.get(row.volunteer_id, ""),
            center=row.home_center.name,
            level=row.level,
            notice_ends_at=row.notice_ends_at,
        )
        for row in page
    ]
    return render(
        request,
        "points/notice.html",
        {"rows": published, "next_before": page[-1].pk if more else None},
    )


@require_http_methods(["GET", "POST"])
@login_required
def star_object(request: AuthenticatedHttpRequest, certification_id: int) -> HttpResponse:
    """Object to one certification in its notice. One not in its notice (ended, decided,
    never published) answers 404, as absent."""
    row = certifications_in_notice(now=timezone.now()).filter(pk=certification_id).first()
    if row is None:
        raise Http404
    form = ObjectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                certification_object(
                    user=request.user,
                    certification_id=certification_id,
                    reason=form.cleaned_data["reason"],
                )
            except NotInScope as exc:
                raise Http404 from exc
            except DomainError as exc:
                form.add_error("reason" if exc.field == "reason" else None, exc.message)
            else:
                messages.success(request, _("异议已提交，干部核实后处理。"))
                return redirect("points:notice")
        status = 400
    return render(
        request,
        "points/object.html",
        {
            "form": form,
            "row": NoticeRow(
                pk=row.pk,
                name=mask_name(row.volunteer.real_name),
                team="",
                center=row.home_center.name,
                level=row.level,
                notice_ends_at=row.notice_ends_at,
            ),
        },
        status=status,
    )
