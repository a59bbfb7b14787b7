"""The public list of the annual honours (年度优秀志愿者): the city's confirmed honours of a
year, published as the star notice is, with only the masked name, the team, the home
center and the year; never a phone or an ID number. Open to visitors."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.masking import mask_name
from points.models import Honour
from points.selectors.leaderboards import parse_year, teams_of
from points.views.notice import _parse_before

PAGE_SIZE = 50


@dataclass(frozen=True)
class HonourRow:
    pk: int
    name: str
    team: str
    center: str
    year: int


@require_GET
def honours(request: HttpRequest) -> HttpResponse:
    """``?year=`` (the current year by default) and ``?before=<id>`` (keyset pages on the
    (status, year, -id) index): two queries a page, the honours and their teams."""
    try:
        year = parse_year(request.GET.get("year"))
        before = _parse_before(request.GET.get("before"))
        if year == 0:
            raise ValueError(year)
    except ValueError:
        return render(
            request,
            "points/honours.html",
            {"rows": [], "notice": _("年度或页码无效。")},
            status=400,
        )
    rows = (
        Honour.objects.filter(status=Honour.Status.CONFIRMED, year=year)
        .select_related("volunteer", "home_center")
        .order_by("-id")
    )
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    teams = teams_of({row.volunteer_id for row in page})
    published = [
        HonourRow(
            pk=row.pk,
            name=mask_name(row.volunteer.real_name),
            team=teams.get(row.volunteer_id, ""),
            center=row.home_center.name,
            year=row.year,
        )
        for row in page
    ]
    return render(
        request,
        "points/honours.html",
        {"rows": published, "year": year, "next_before": page[-1].pk if more else None},
    )
