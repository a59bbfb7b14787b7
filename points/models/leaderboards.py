"""The leaderboards' summaries (docs/points.md, "Leaderboards and honours").

A board is the top rows of a subtree and a period, ordered by certified hours. Summing the
hours ledger (ten million rows at city scale) at each request is out of the question, so
the figures are kept per (volunteer, year) and per (team, year), each row beside the
scope columns it is listed by, and every board is one index range read in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from points.models.ledger import copied_center_column
from practice.scoping import AncestorColumns
from volunteers.models import Team, Volunteer

if TYPE_CHECKING:
    pass


# The year column's value for "all time": a row per volunteer beside their yearly rows, so
# the all-time board is an index range like a year's.
ALL_TIME = 0


class HoursSummary(models.Model):
    """A volunteer's certified hours in one calendar year (Asia/Shanghai) of the ledger's
    entries, or in all (``year`` = ALL_TIME). Re-derived from the ledger, set-based, for each
    batch of volunteers the recheck outbox drains after their entries
    (points.services.leaderboards.summaries_refresh) and for id ranges by the nightly
    rebuild (``summaries_rebuild``).

    An entry counts in the year it was written: a reversal in January takes hours from the
    new year, as the ledger's own sums by date do. The place columns copy the volunteer's
    home as of their latest entry (or the last rebuild), since a board ranks volunteers
    where they live now; practice.ancestry keeps them in step when a center moves."""

    # No index of its own: the unique (volunteer, year) leads with it, and every refresh
    # moves the row's hours, so each index here is written again at every refresh.
    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("志愿者"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    home_center = copied_center_column(_("所属村（社区）"), null=False)
    township = copied_center_column(_("所属乡镇（街道）"), null=True)
    county = copied_center_column(_("所属县（市、区）"), null=True)
    hours = models.DecimalField(_("服务时长"), max_digits=10, decimal_places=2)

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="home_center"
    )

    class Meta:
        verbose_name = _("志愿服务排行榜")
        verbose_name_plural = _("志愿服务排行榜")
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "year"], name="summary_once_per_year"),
        ]
        # A board per tier and period is the head of one of these, in its order (volunteer
        # last: ties go to the longer-serving, lower id, the same way every time).
        indexes = [
            models.Index(fields=["year", "-hours", "volunteer"], name="summary_city_top"),
            models.Index(
                fields=["county", "year", "-hours", "volunteer"], name="summary_county_top"
            ),
            models.Index(
                fields=["township", "year", "-hours", "volunteer"], name="summary_township_top"
            ),
            models.Index(
                fields=["home_center", "year", "-hours", "volunteer"], name="summary_village_top"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.year}: {self.hours}"


class TeamHoursSummary(models.Model):
    """A team's certified hours in a year (or all time): the sum of its current members'
    HoursSummary rows, with how many members it counted. Rebuilt whole, set-based, by
    ``team_summaries_rebuild`` (beat, every TEAM_BOARD_REFRESH_SECONDS), so a join, a leave
    or an award shows on the team boards within that time and the award path writes no
    team row (a large team's row would be a hot spot for every member's entry).

    The place columns copy the team's memberships' (the team's center and the township,
    county and city above it), as a team may hang at any tier."""

    team = models.ForeignKey(
        Team, verbose_name=_("队伍"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    hours = models.DecimalField(_("服务时长"), max_digits=14, decimal_places=2)
    members = models.PositiveIntegerField(_("队员人数"))
    center = copied_center_column(_("队伍所属阵地"), null=False)
    township = copied_center_column(_("所属乡镇（街道）"), null=True)
    county = copied_center_column(_("所属县（市、区）"), null=True)
    city = copied_center_column(_("所属市"), null=True)
    refreshed_at = models.DateTimeField(_("统计时间"))

    scope_ancestors: ClassVar[AncestorColumns] = AncestorColumns(
        county="county", township="township", village="center", city="city"
    )

    class Meta:
        verbose_name = _("志愿服务队排行榜")
        verbose_name_plural = _("志愿服务队排行榜")
        constraints = [
            models.UniqueConstraint(fields=["team", "year"], name="team_summary_once_per_year"),
        ]
        indexes = [
            models.Index(fields=["city", "year", "-hours", "team"], name="team_summary_city_top"),
            models.Index(
                fields=["county", "year", "-hours", "team"], name="team_summary_county_top"
            ),
            models.Index(
                fields=["township", "year", "-hours", "team"], name="team_summary_township_top"
            ),
            models.Index(
                fields=["center", "year", "-hours", "team"], name="team_summary_center_top"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.year}: {self.hours}"
