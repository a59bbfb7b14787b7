"""The ledgers on the demo's SQLite, in a process of the demo's own environment: a repeated
award writes nothing and answers False, as on PostgreSQL (the error names no constraint
there, so the repeat is asked of the table), the entry's INSERT … SELECT copies the
volunteer's home there too, a missing volunteer raises, and the
drain of the outbox brings the entry to the leaderboard with its set-based upsert."""

from __future__ import annotations

import pytest

from tests.core.conftest import VENV_BIN

pytestmark = [pytest.mark.timeout(120)]

SCRIPT = """
import io
from decimal import Decimal
from points.models import ALL_TIME, HoursEntry, HoursSummary
from points.services.ledger import hours_credit, points_credit
from points.services.stars import recheck_drain
from practice.divisions import load_divisions, parse_divisions
from practice.models import Center
from tests.conftest import SMALL_TREE_CSV
from tests.factories.volunteers import make_volunteer
from volunteers.models import Volunteer

load_divisions(parse_divisions(io.StringIO(SMALL_TREE_CSV)))
volunteer = make_volunteer(1, Center.objects.get(code="430405007006"))
award = dict(volunteer_id=volunteer.pk, source="activity", source_id=7)
print("hours", hours_credit(**award, hours=Decimal("2.50")),
      hours_credit(**award, hours=Decimal("2.50")))
print("points", points_credit(**award, points=3, kind="earned"),
      points_credit(**award, points=3, kind="earned"))
try:
    hours_credit(volunteer_id=10**9, source="activity", source_id=8, hours=Decimal(1))
except Volunteer.DoesNotExist:
    print("missing volunteer raises")
print("drained", recheck_drain())
volunteer.refresh_from_db()
board = HoursSummary.objects.get(volunteer=volunteer, year=ALL_TIME).hours
print("balance", volunteer.hours, volunteer.points, "board", board)
entry = HoursEntry.objects.get(volunteer=volunteer)
print("copied", entry.home_center.code, entry.township.code, entry.county.code,
      entry.created_at is not None, entry.hours)
"""


def test_a_repeat_on_the_demos_sqlite_answers_false_and_the_drain_fills_the_board(
    embedded_site,
):
    printed = embedded_site.run(
        str(VENV_BIN / "python"), "manage.py", "shell", "-c", SCRIPT
    ).stdout.splitlines()

    assert printed[-6:] == [
        "hours True False",
        "points True False",
        "missing volunteer raises",
        "drained 1",
        "balance 2.50 3 board 2.50",
        "copied 430405007006 430405007 430405 True 2.50",
    ]
