"""The leaderboards in the admin (志愿服务排行榜), for every cadre over their own subtree:
the top volunteers and teams of a period, narrowed to a center of the subtree, and their
download as Excel through the portal's one exporter (core.spreadsheets).

A cadre in scope reads the full name (it is their own volunteers' record); the phone is
masked and no ID number is shown, as on the volunteers' list. The page replaces the
summary's changelist: the rows are written by points.services.leaderboards alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.phones import mask_phone
from core.spreadsheets import Column, xlsx_response
from points.models import ALL_TIME, HoursSummary
from points.selectors.leaderboards import (
    VOLUNTEER_BOARD_FIELDS,
    BadBoardParameter,
    BoardQuery,
    cadre_center,
    cadre_center_choices,
    parse_center_id,
    parse_year,
    reader_roles,
    team_board,
    teams_of,
    volunteer_board,
)
from points.services.honours import NOMINATING_LEVELS
from practice.admin_scoping import ReadOnlyScopedAdmin, admin_actor
from practice.scoping import RoleRow
from volunteers.models import portal_number


@dataclass(frozen=True)
class CadreRow:
    """One line of a cadre's board (and of its export): the volunteers' or the teams'."""

    board: str
    rank: int
    volunteer_id: int | None
    name: str
    number: str
    phone: str
    team: str
    center: str
    members: int | None
    hours: Decimal


def _board_rows(
    reader: Any, query: BoardQuery, roles: list[RoleRow]
) -> tuple[list[CadreRow], list[CadreRow]]:
    """Both boards of the cadre's subtree: three queries (the volunteers
    with their accounts and homes, their teams, the teams' board)."""
    page = list(
        volunteer_board(query, reader=reader, roles=roles)
        .select_related("volunteer__user")
        .only(*VOLUNTEER_BOARD_FIELDS, "volunteer__user__phone")
    )
    teams = teams_of({row.volunteer_id for row in page})
    volunteers = [
        CadreRow(
            board=gettext("志愿者"),
            rank=rank,
            volunteer_id=row.volunteer_id,
            name=row.volunteer.real_name,
            number=portal_number(row.volunteer_id),
            phone=mask_phone(row.volunteer.user.phone),
            team=teams.get(row.volunteer_id, ""),
            center=row.home_center.name,
            members=None,
            hours=row.hours,
        )
        for rank, row in enumerate(page, start=1)
    ]
    team_rows = [
        CadreRow(
            board=gettext("志愿服务队"),
            rank=rank,
            volunteer_id=None,
            name=row.team.name,
            number="",
            phone="",
            team="",
            center=row.center.name,
            members=row.members,
            hours=row.hours,
        )
        for rank, row in enumerate(team_board(query, reader=reader, roles=roles), start=1)
    ]
    return volunteers, team_rows


def export_columns() -> Sequence[Column[CadreRow]]:
    return [
        Column(gettext("榜单"), lambda row: row.board),
        Column(gettext("名次"), lambda row: row.rank),
        Column(gettext("姓名或队伍"), lambda row: row.name),
        Column(gettext("志愿者编号"), lambda row: row.number),
        Column(gettext("手机号"), lambda row: row.phone),
        Column(gettext("所在队伍"), lambda row: row.team),
        Column(gettext("所属阵地"), lambda row: row.center),
        Column(gettext("队员人数"), lambda row: row.members),
        Column(gettext("服务时长（小时）"), lambda row: row.hours),
    ]


@admin.register(HoursSummary)
class LeaderboardAdmin(ReadOnlyScopedAdmin):
    scope_via = "home_center"

    def get_urls(self) -> list[Any]:
        info = (self.opts.app_label, self.opts.model_name)
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def _query(self, request: HttpRequest) -> BoardQuery:
        """The period and center asked for; BadBoardParameter with the message to show."""
        try:
            year = parse_year(request.GET.get("year"))
        except ValueError as exc:
            raise BadBoardParameter(gettext("年度无效，请选择 2000 年至今的年份。")) from exc
        try:
            center_id = parse_center_id(request.GET.get("center"))
            center = None if center_id is None else cadre_center(request.user, center_id)
        except (ValueError, BadBoardParameter) as exc:
            raise BadBoardParameter(gettext("所选阵地不存在或不在您的管辖范围内。")) from exc
        return BoardQuery(year=year, center=center)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The two boards of the cadre's subtree, or of the center chosen in it."""
        actor = admin_actor(request)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": gettext("志愿服务排行榜"),
            "opts": self.opts,
        }
        request.current_app = self.admin_site.name
        try:
            query = self._query(request)
        except BadBoardParameter as exc:
            context["notice"] = str(exc)
            return TemplateResponse(
                request, "admin/points/hourssummary/board.html", context, status=400
            )
        roles = reader_roles(actor)
        volunteers, teams = _board_rows(actor, query, roles)
        params = request.GET.urlencode()
        context.update(
            {
                "volunteers": volunteers,
                "teams": teams,
                "year": query.year,
                "all_time": query.year == ALL_TIME,
                "center": query.center,
                "choices": list(cadre_center_choices(actor).values_list("id", "name")),
                # Honours are nominated for a year, by a county's or the city's cadre.
                "may_nominate": query.year != ALL_TIME
                and (actor.is_superuser or any(role[1] in NOMINATING_LEVELS for role in roles)),
                "export_url": reverse("admin:points_hourssummary_export")
                + (f"?{params}" if params else ""),
            }
        )
        return TemplateResponse(request, "admin/points/hourssummary/board.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        """The page's two boards as one .xlsx sheet, the same rows, masked the same way."""
        actor = admin_actor(request)
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        try:
            query = self._query(request)
        except BadBoardParameter as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        volunteers, teams = _board_rows(actor, query, reader_roles(actor))
        period = "all" if query.year == ALL_TIME else str(query.year)
        stamp = timezone.localdate().strftime("%Y%m%d")
        return xlsx_response(
            f"leaderboard-{period}-{stamp}.xlsx",
            export_columns(),
            [*volunteers, *teams],
            sheet_name=gettext("志愿服务排行榜"),
        )
