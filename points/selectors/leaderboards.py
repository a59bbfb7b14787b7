"""Reads of the leaderboards (docs/points.md, "Leaderboards and honours").

A board is the head of one index range of a summary table (points.models.leaderboards):
the period's rows of a subtree, most hours first, the lower id first on a tie. Who may
read which subtree is practice.scoping's question (a cadre's), or nobody's (the public
board of any center); what a row shows is the caller's (masked for the public).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.http import account_of
from points.models.leaderboards import ALL_TIME, HoursSummary, TeamHoursSummary
from practice.models import CadreRole, Center, Level
from practice.scoping import (
    ROLE_COLUMNS,
    AncestorColumns,
    RoleRow,
    scope_queryset,
    visible_centers,
)
from volunteers.models import TeamMembership, Volunteer

BOARD_SIZE = 50
# What the volunteers' board reads of each row; a caller adding a relation names its fields
# beside these (the cadre's board, the account's phone).
VOLUNTEER_BOARD_FIELDS = (
    "volunteer_id",
    "year",
    "hours",
    "home_center_id",
    "volunteer__real_name",
    "home_center__name",
)
# The first year the portal's ledger can hold (as the certificates' earliest period).
FIRST_YEAR = 2000


class BadBoardParameter(ValueError):
    """A year or a center the board cannot show; the message is for people."""


@dataclass(frozen=True)
class BoardQuery:
    """What a board shows: the period (a year, or ALL_TIME) and the subtree (a center, or
    the reader's whole scope when None)."""

    year: int
    center: Center | None


def parse_year(raw: str | None, *, today: datetime.date | None = None) -> int:
    """``?year=``: empty for the current year, ``all`` for all time, else a year from
    FIRST_YEAR to the current one. Anything else raises ValueError."""
    today = today or timezone.localdate()
    if raw is None or raw == "":
        return today.year
    if raw == "all":
        return ALL_TIME
    if not raw.isascii() or not raw.isdigit() or len(raw) != 4:
        raise ValueError(raw)
    year = int(raw)
    if not FIRST_YEAR <= year <= today.year:
        raise ValueError(raw)
    return year


def parse_center_id(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValueError(raw)
    return int(raw)


def _under(center: Center, columns: AncestorColumns) -> Q:
    """The rows placed at or below ``center``, on the copied columns: an equality on the
    tier's column (the head of its index), a village's bases included."""
    if center.level == Level.CITY:
        return Q(**{f"{columns.city}_id": center.pk}) if columns.city else Q()
    if center.level == Level.COUNTY:
        return Q(**{f"{columns.county}_id": center.pk})
    if center.level == Level.TOWNSHIP:
        return Q(**{f"{columns.township}_id": center.pk})
    if center.rght == center.lft + 1:
        return Q(**{f"{columns.village}_id": center.pk})
    subtree = Center.objects.filter(
        tree_id=center.tree_id, lft__gte=center.lft, rght__lte=center.rght
    )
    return Q(**{f"{columns.village}_id__in": subtree.values("id")})


def volunteer_board(
    query: BoardQuery, *, reader: object | None = None, roles: list[RoleRow] | None = None
) -> QuerySet[HoursSummary]:
    """The top BOARD_SIZE active volunteers of the period and subtree: of ``query.center``
    (any center for the public, ``reader`` None), within the reader's scope for a cadre."""
    rows = HoursSummary.objects.filter(
        year=query.year, hours__gt=0, volunteer__status=Volunteer.Status.ACTIVE
    )
    if reader is not None:
        rows = scope_queryset(rows, reader, via="home_center", roles=roles)
    if query.center is not None:
        rows = rows.filter(_under(query.center, HoursSummary.scope_ancestors))
    # Only what a board prints: the volunteer row's other columns (the ID number's
    # ciphertext among them) stay in the database.
    return (
        rows.select_related("volunteer", "home_center")
        .only(*VOLUNTEER_BOARD_FIELDS)
        .order_by("-hours", "volunteer_id")[:BOARD_SIZE]
    )


def team_board(
    query: BoardQuery, *, reader: object | None = None, roles: list[RoleRow] | None = None
) -> QuerySet[TeamHoursSummary]:
    """The top BOARD_SIZE teams of the period whose center lies in the subtree, by the hours
    of their current members (as of ``refreshed_at``)."""
    rows = TeamHoursSummary.objects.filter(year=query.year, hours__gt=0)
    if reader is not None:
        rows = scope_queryset(rows, reader, via="center", roles=roles)
    if query.center is not None:
        rows = rows.filter(_under(query.center, TeamHoursSummary.scope_ancestors))
    return rows.select_related("team", "center").order_by("-hours", "team_id")[:BOARD_SIZE]


def teams_of(volunteer_ids: set[int]) -> dict[int, str]:
    """Each volunteer's first current team (the one joined first), one query, as the star
    notice shows it."""
    teams: dict[int, str] = {}
    if not volunteer_ids:
        return teams
    for volunteer_id, team in (
        TeamMembership.objects.filter(volunteer_id__in=volunteer_ids, left_on__isnull=True)
        .order_by("volunteer_id", "id")
        .values_list("volunteer_id", "team__name")
    ):
        teams.setdefault(volunteer_id, team)
    return teams


# The tiers a board's center choice offers: a village board is reached from its row's link.
CHOICE_LEVELS = (Level.CITY, Level.COUNTY, Level.TOWNSHIP)


def public_center(center_id: int) -> Center:
    """Any active center, for the public board; BadBoardParameter if there is none."""
    center = Center.objects.filter(pk=center_id, is_active=True).first()
    if center is None:
        raise BadBoardParameter(center_id)
    return center


def public_center_choices() -> QuerySet[Center]:
    return Center.objects.filter(is_active=True, level__in=CHOICE_LEVELS).order_by("tree_id", "lft")


def cadre_center(reader: object, center_id: int) -> Center:
    """A center of the cadre's subtree; BadBoardParameter for any other (outside reads as
    absent)."""
    center = visible_centers(reader).filter(pk=center_id).first()
    if center is None:
        raise BadBoardParameter(center_id)
    return center


def cadre_center_choices(reader: object) -> QuerySet[Center]:
    return visible_centers(reader).filter(level__in=CHOICE_LEVELS).order_by("tree_id", "lft")


def reader_roles(reader: object) -> list[RoleRow]:
    """The cadre's roles, read once for both boards (practice.scoping's ROLE_COLUMNS)."""
    return list(CadreRole.objects.filter(user=account_of(reader)).values_list(*ROLE_COLUMNS))
