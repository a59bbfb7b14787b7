"""Two refreshes of the team boards at once (beat's run beside a rebuild by hand): the
second waits for the first and writes the same figures, instead of breaking the (team, year)
key with rows the first inserted after the second's DELETE. And the nightly rebuild of
volunteers' rows beside the outbox's drain: the drain waits for the rebuild's transaction
instead of inserting, between its DELETE and its INSERT, the rows the INSERT then writes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from points.models import ALL_TIME, HoursSummary, Source, TeamHoursSummary
from points.services.leaderboards import summaries_rebuild, team_summaries_rebuild
from points.services.ledger import service_award
from points.services.stars import recheck_drain
from tests.factories.volunteers import make_team
from tests.support.rivals import rival_between
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db(transaction=True)


def before_team_insert(sql: str) -> bool:
    # The rebuild's own SQL (points.services.leaderboards.TEAMS_SQL), after its DELETE.
    return "INSERT INTO points_teamhourssummary" in sql


def test_two_team_refreshes_at_once_both_finish_with_the_same_rows(tree, people):
    # given a team whose member has hours
    volunteer = Volunteer.objects.get(user=people.volunteer)
    assert service_award(
        volunteer_id=volunteer.pk, source=Source.ORDER, source_id=1, hours=Decimal("5.00")
    )
    make_team(tree.village_a, people.city_cadre, [volunteer], name="王江小队")
    recheck_drain()
    # when a rival refresh runs, on its own connection, just before our INSERT
    with rival_between(team_summaries_rebuild, before_team_insert) as rival:
        ours = team_summaries_rebuild()
    theirs = rival.finish()
    # then both wrote the team's year and all-time rows, and those are what stands
    assert ours == theirs == 2
    assert sorted(TeamHoursSummary.objects.values_list("year", "hours", "members")) == [
        (0, Decimal("5.00"), 1),
        (TeamHoursSummary.objects.exclude(year=0).get().year, Decimal("5.00"), 1),
    ]


def before_volunteers_insert(sql: str) -> bool:
    # The range rebuild's INSERT (points.services.leaderboards.INSERT_SUMMARIES_SQL), after
    # its DELETE.
    return "INSERT INTO points_hourssummary" in sql


def test_a_drain_during_a_rebuild_waits_and_both_leave_the_ledgers_figures(people):
    # given a volunteer whose first entry is written and not yet drained: no rows yet
    volunteer = Volunteer.objects.get(user=people.volunteer)
    assert service_award(
        volunteer_id=volunteer.pk, source=Source.ORDER, source_id=1, hours=Decimal("5.00")
    )
    assert not HoursSummary.objects.exists()
    # when the drain runs, on its own connection, between the rebuild's DELETE and INSERT
    with rival_between(recheck_drain, before_volunteers_insert) as rival:
        written = summaries_rebuild(low=volunteer.pk, high=volunteer.pk + 1)
    drained = rival.finish()
    # then neither broke the (volunteer, year) key: the rebuild wrote the year's and the
    # all-time row, the drain then refreshed the same two, and they hold the ledger
    assert (written, drained) == (2, 1)
    rows = dict(HoursSummary.objects.values_list("year", "hours"))
    assert rows.pop(ALL_TIME) == Decimal("5.00")
    assert list(rows.values()) == [Decimal("5.00")]
