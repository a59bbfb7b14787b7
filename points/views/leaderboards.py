"""The public leaderboard (志愿服务排行榜): the top volunteers and teams of any center and
period, as the city publishes them: the masked name (张**), the team, the home center and
the hours; never a phone or an ID number. Open to visitors, like the star notice."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.masking import mask_name
from points.models.leaderboards import ALL_TIME
from points.selectors.leaderboards import (
    BadBoardParameter,
    BoardQuery,
    parse_center_id,
    parse_year,
    public_center,
    public_center_choices,
    team_board,
    teams_of,
    volunteer_board,
)


@dataclass(frozen=True)
class PublicRow:
    """One line of the public volunteers' board: only what may be published."""

    rank: int
    name: str
    team: str
    center: str
    center_id: int
    hours: Decimal


@dataclass(frozen=True)
class TeamRow:
    rank: int
    name: str
    center: str
    members: int
    hours: Decimal


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request, "points/leaderboard.html", {"notice": message, "refused": True}, status=400
    )


@require_GET
def leaderboard(request: HttpRequest) -> HttpResponse:
    """``?year=2026`` (or ``all``; the current year by default) and ``?center=<id>`` (the
    city by default). Four queries (the center's five): the two boards, the volunteers'
    teams and the center choices; a bad parameter answers a Chinese 400 without them."""
    try:
        year = parse_year(request.GET.get("year"))
    except ValueError:
        return _refused(request, _("年度无效，请选择 2000 年至今的年份。"))
    try:
        center_id = parse_center_id(request.GET.get("center"))
        center = None if center_id is None else public_center(center_id)
    except (ValueError, BadBoardParameter):
        return _refused(request, _("所选阵地不存在。"))
    query = BoardQuery(year=year, center=center)
    page = list(volunteer_board(query))
    teams = teams_of({row.volunteer_id for row in page})
    volunteers = [
        PublicRow(
            rank=rank,
            name=mask_name(row.volunteer.real_name),
            team=teams.get(row.volunteer_id, ""),
            center=row.home_center.name,
            center_id=row.home_center_id,
            hours=row.hours,
        )
        for rank, row in enumerate(page, start=1)
    ]
    team_rows = [
        TeamRow(
            rank=rank,
            name=row.team.name,
            center=row.center.name,
            members=row.members,
            hours=row.hours,
        )
        for rank, row in enumerate(team_board(query), start=1)
    ]
    return render(
        request,
        "points/leaderboard.html",
        {
            "volunteers": volunteers,
            "teams": team_rows,
            "year": year,
            "all_time": year == ALL_TIME,
            "center": center,
            "choices": list(public_center_choices().values_list("id", "name", "level")),
        },
    )
