"""The leaderboards (志愿服务排行榜): the summaries equal the ledger's sums whatever was
written, every board shows exactly the reader's subtree, ties and periods are decided the
same way every time, bad parameters answer a Chinese 400, and the Excel export is the page's
rows, masked and neutralised."""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from points.models import (
    ALL_TIME,
    HoursEntry,
    HoursSummary,
    Source,
    StarRecheck,
    TeamHoursSummary,
)
from points.services.leaderboards import (
    leaderboards_rebuild,
    summaries_refresh,
    team_summaries_rebuild,
)
from points.services.ledger import hours_credit, ledger_adjust, service_award, source_reverse
from points.services.stars import recheck_drain
from practice.services import center_save
from tests.factories.volunteers import make_team, make_volunteer
from tests.support.queries import exact_get
from volunteers.models import Team, Volunteer

pytestmark = pytest.mark.django_db

HENGYANG = ZoneInfo("Asia/Shanghai")
THIS_YEAR = timezone.localdate().year
PUBLIC = "/leaderboard/"


def award(volunteer: Volunteer, source_id: int, hours: str) -> None:
    """An award, and the drain of the outbox the worker runs once it commits."""
    assert service_award(
        volunteer_id=volunteer.pk, source=Source.ORDER, source_id=source_id, hours=Decimal(hours)
    )
    recheck_drain()


def summaries() -> dict[tuple[int, int], tuple[Decimal, int, int | None, int | None]]:
    return {
        (row.volunteer_id, row.year): (
            row.hours,
            row.home_center_id,
            row.township_id,
            row.county_id,
        )
        for row in HoursSummary.objects.all()
    }


def ledger_sums() -> dict[tuple[int, int], Decimal]:
    """What the summary must hold, summed in Python from the ledger itself."""
    sums: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for entry in HoursEntry.objects.all():
        year = timezone.localtime(entry.created_at, HENGYANG).year
        sums[(entry.volunteer_id, year)] += entry.hours
        sums[(entry.volunteer_id, ALL_TIME)] += entry.hours
    return dict(sums)


@pytest.fixture
def boards(tree, people) -> SimpleNamespace:
    """A volunteer in each of four villages (a: 30 h, a2: 20, a3: 10, b: 40) and three
    teams: 王江 (a), 广东路 (a3, a township's team) and 天马山 (b)."""
    a = Volunteer.objects.get(user=people.volunteer)
    a2 = make_volunteer(2, tree.village_a2, name="新园志愿")
    a3 = make_volunteer(3, tree.village_a3, name="湖北路志愿")
    b = make_volunteer(4, tree.village_b, name="天马山志愿")
    for number, (volunteer, hours) in enumerate(((a, "30"), (a2, "20"), (a3, "10"), (b, "40"))):
        award(volunteer, 100 + number, hours)
    teams = SimpleNamespace(
        a=make_team(tree.village_a, people.city_cadre, [a], name="王江小队"),
        a3=make_team(tree.township_a2, people.city_cadre, [a3], name="广东路分队"),
        b=make_team(tree.village_b, people.city_cadre, [b], name="天马山小队"),
    )
    team_summaries_rebuild()
    return SimpleNamespace(a=a, a2=a2, a3=a3, b=b, teams=teams)


# --- the summary and the ledger ---------------------------------------------------------


def test_the_summary_equals_the_ledger_after_awards_reversals_adjustments_and_a_move(
    tree, people, boards
):
    # given awards, a reversal of one, a cadre's adjustment of either sign and a repeat
    award(boards.a, 200, "2.50")
    assert source_reverse(
        actor=people.city_cadre,
        volunteer_id=boards.a.pk,
        source=Source.ORDER,
        source_id=200,
        reason="重复记录",
    )
    assert ledger_adjust(
        actor=people.county_cadre,
        volunteer_id=boards.a2.pk,
        source_id=1,
        reason="补录",
        hours=Decimal("1.25"),
    )
    assert ledger_adjust(
        actor=people.county_cadre,
        volunteer_id=boards.a2.pk,
        source_id=2,
        reason="更正",
        hours=Decimal("-0.25"),
    )
    assert not hours_credit(
        volunteer_id=boards.a.pk, source=Source.ORDER, source_id=100, hours=Decimal(30)
    )
    # when village a3 moves to county B's township
    village = tree.village_a3
    village.parent = tree.township_b
    center_save(actor=None, center=village)
    # and the workers drain the outbox the entries marked
    recheck_drain()

    # then every row holds the ledger's sum, and follows the move
    rows = summaries()
    assert {key: value[0] for key, value in rows.items()} == ledger_sums()
    assert rows[(boards.a.pk, THIS_YEAR)][0] == Decimal("30.00")
    assert rows[(boards.a2.pk, ALL_TIME)][0] == Decimal("21.00")
    assert rows[(boards.a3.pk, THIS_YEAR)][1:] == (
        tree.village_a3.pk,
        tree.township_b.pk,
        tree.county_b.pk,
    )
    # and the rebuild from the ledger derives exactly the same rows
    leaderboards_rebuild(chunk=2)
    assert summaries() == rows


def test_a_failed_entry_moves_no_summary(boards):
    # given the summary as it stands
    before = summaries()
    # when an entry is refused by the ledger's sign rule
    with pytest.raises(Exception):  # noqa: B017, PT011 - the DomainError of the sign check
        hours_credit(
            volunteer_id=boards.a.pk, source=Source.ORDER, source_id=999, hours=Decimal(-1)
        )
    # then it marked nothing for the drain, and nothing moved
    assert not StarRecheck.objects.exists()
    recheck_drain()
    assert summaries() == before


def test_an_entry_moves_the_board_at_the_drain_and_a_second_drain_changes_nothing(boards):
    # given an entry just written, not yet drained
    assert hours_credit(
        volunteer_id=boards.a.pk, source=Source.ORDER, source_id=500, hours=Decimal("1.50")
    )
    assert summaries()[(boards.a.pk, ALL_TIME)][0] == Decimal("30.00")
    # when the workers drain the outbox, then once more (a redelivered task)
    assert recheck_drain() == 1
    after = summaries()
    assert recheck_drain() == 0
    boards.a.refresh_from_db()
    # then the board holds the entry once, as the balance does
    assert after[(boards.a.pk, ALL_TIME)][0] == boards.a.hours == Decimal("31.50")
    assert summaries() == after
    assert {key: value[0] for key, value in after.items()} == ledger_sums()
    # and a refresh of volunteers whose rows already hold the ledger writes none of them
    assert summaries_refresh(volunteer_ids=[boards.a.pk, boards.b.pk]) == 0
    assert summaries() == after
    # while one whose row is off is put right
    HoursSummary.objects.filter(volunteer=boards.b, year=ALL_TIME).update(hours=Decimal(1))
    assert summaries_refresh(volunteer_ids=[boards.a.pk, boards.b.pk]) == 1
    assert summaries() == after


def test_entries_count_in_their_own_year_at_midnight_in_hengyang(monkeypatch, boards):
    # given two entries a second apart, either side of New Year's midnight in Hengyang
    last_second = datetime.datetime(THIS_YEAR - 1, 12, 31, 23, 59, 59, tzinfo=HENGYANG)
    first_second = datetime.datetime(THIS_YEAR, 1, 1, 0, 0, 0, tzinfo=HENGYANG)
    for source_id, at, hours in ((300, last_second, "3"), (301, first_second, "4")):
        monkeypatch.setattr(timezone, "now", lambda at=at: at)
        award(boards.b, source_id, hours)
    monkeypatch.undo()

    # then each counts in its own year (UTC would put both in the old year)
    rows = summaries()
    assert rows[(boards.b.pk, THIS_YEAR - 1)][0] == Decimal("3.00")
    assert rows[(boards.b.pk, THIS_YEAR)][0] == Decimal("44.00")
    assert rows[(boards.b.pk, ALL_TIME)][0] == Decimal("47.00")
    # and the rebuild's SQL draws the same line
    leaderboards_rebuild()
    assert summaries() == rows


def test_team_figures_are_the_current_members_hours(people, tree, boards):
    # given a second member of 20 hours in 王江小队 and one who left 天马山小队
    from volunteers.services import team_member_add, team_member_remove

    second = make_volunteer(7, tree.village_a, name="王江二")
    award(second, 700, "20")
    team_member_add(actor=people.city_cadre, team=boards.teams.a, volunteer=second)
    membership = boards.teams.b.memberships.get(volunteer=boards.b)
    team_member_remove(actor=people.city_cadre, membership=membership)
    # when the team boards are refreshed
    team_summaries_rebuild()
    # then a team's hours are its current members'
    figures = {
        row.team_id: (row.hours, row.members)
        for row in TeamHoursSummary.objects.filter(year=THIS_YEAR)
    }
    assert figures == {
        boards.teams.a.pk: (Decimal("50.00"), 2),
        boards.teams.a3.pk: (Decimal("10.00"), 1),
    }


# --- who sees which board ----------------------------------------------------------------

SCOPES = [
    ("city_cadre", ["b", "a", "a2", "a3"], ["b", "a", "a3"]),
    ("county_cadre", ["a", "a2", "a3"], ["a", "a3"]),
    ("township_cadre", ["a", "a2"], ["a"]),
    ("village_cadre", ["a"], ["a"]),
    ("outsider_cadre", ["b"], ["b"]),
]
BOARD = reverse("admin:points_hourssummary_changelist")
EXPORT = reverse("admin:points_hourssummary_export")


@pytest.mark.parametrize(("persona", "volunteers", "teams"), SCOPES)
def test_each_cadre_sees_exactly_their_subtrees_boards(
    client, people, boards, persona, volunteers, teams
):
    client.force_login(getattr(people, persona))
    response = client.get(BOARD)
    assert response.status_code == 200
    shown = [row.number for row in response.context["volunteers"]]
    assert shown == [f"HY{getattr(boards, name).pk:09d}" for name in volunteers]
    assert [row.name for row in response.context["teams"]] == [
        getattr(boards.teams, name).name for name in teams
    ]


def test_a_cadre_reads_full_names_masked_phones_and_no_id_number(client, people, boards):
    client.force_login(people.county_cadre)
    page = client.get(BOARD).content.decode()
    assert "新园志愿" in page
    assert "135****0002" in page
    assert "13500000002" not in page
    assert re.search(r"\d{17}[\dX]", page) is None


def test_a_cadre_narrows_the_board_to_a_center_of_their_subtree(client, people, tree, boards):
    client.force_login(people.county_cadre)
    response = client.get(BOARD, {"center": tree.township_a2.pk})
    assert [row.name for row in response.context["volunteers"]] == ["湖北路志愿"]
    assert [row.name for row in response.context["teams"]] == ["广东路分队"]


@pytest.mark.parametrize(
    "params",
    [{"year": "20x6"}, {"year": "1999"}, {"year": str(THIS_YEAR + 1)}, {"center": "abc"}],
)
def test_a_cadres_bad_parameter_answers_a_chinese_400(client, people, boards, params):
    client.force_login(people.county_cadre)
    response = client.get(BOARD, params)
    assert response.status_code == 400
    assert re.search(r"[\u4e00-\u9fff]", response.context["notice"])


def test_a_center_outside_the_cadres_subtree_is_refused_as_absent(client, people, tree, boards):
    # given the outsider, asking for county A's township
    client.force_login(people.outsider_cadre)
    response = client.get(BOARD, {"center": tree.township_a.pk})
    # then refused, without a row of county A
    assert response.status_code == 400
    assert "所选阵地不存在或不在您的管辖范围内" in response.content.decode()
    assert client.get(EXPORT, {"center": tree.township_a.pk}).status_code == 400


def test_a_resident_has_no_board_in_the_admin(client, people, boards):
    client.force_login(people.resident)
    assert client.get(BOARD).status_code == 302


# --- ordering and periods ----------------------------------------------------------------


def test_ties_go_to_the_lower_id_and_the_order_is_stable(client, people, tree, boards):
    # given two more volunteers tied with a2 at 20 hours
    twins = [make_volunteer(n, tree.village_a2, name=f"并列{n}") for n in (5, 6)]
    for number, volunteer in enumerate(twins):
        award(volunteer, 400 + number, "20")
    client.force_login(people.township_cadre)
    # when the board is read twice
    first = [row.number for row in client.get(BOARD).context["volunteers"]]
    second = [row.number for row in client.get(BOARD).context["volunteers"]]
    # then the tie is broken by id, the same way each time
    ids = sorted([boards.a2.pk, *(v.pk for v in twins)])
    assert first == second == [f"HY{pk:09d}" for pk in [boards.a.pk, *ids]]


def test_a_years_board_holds_that_years_hours_and_all_time_holds_them_all(
    client, monkeypatch, boards
):
    # given b's 40 hours this year and 100 hours last year for a2
    monkeypatch.setattr(
        timezone, "now", lambda: datetime.datetime(THIS_YEAR - 1, 6, 1, tzinfo=HENGYANG)
    )
    award(boards.a2, 500, "100")
    monkeypatch.undo()
    # when the public boards of each period are read
    this_year = client.get(PUBLIC).context["volunteers"]
    last_year = client.get(PUBLIC, {"year": str(THIS_YEAR - 1)}).context["volunteers"]
    all_time = client.get(PUBLIC, {"year": "all"}).context["volunteers"]
    # then each ranks its own period's hours
    assert [(row.name, row.hours) for row in this_year][:2] == [
        ("天**", Decimal("40.00")),
        ("李**", Decimal("30.00")),
    ]
    assert [(row.name, row.hours) for row in last_year] == [("新**", Decimal("100.00"))]
    assert (all_time[0].name, all_time[0].hours) == ("新**", Decimal("120.00"))


def test_a_fully_reversed_volunteer_leaves_the_board(client, people, boards):
    source_reverse(
        actor=people.city_cadre,
        volunteer_id=boards.a3.pk,
        source=Source.ORDER,
        source_id=102,
        reason="未实际服务",
    )
    recheck_drain()
    names = [row.name for row in client.get(PUBLIC).context["volunteers"]]
    assert "湖**" not in names


# --- the public board --------------------------------------------------------------------


def test_the_public_board_shows_only_what_the_city_publishes(client, tree, boards):
    response = exact_get(client, PUBLIC, 4)
    rows = response.context["volunteers"]
    assert [(row.name, row.team, row.center, row.hours) for row in rows] == [
        ("天**", "天马山小队", "天马山社区居委会", Decimal("40.00")),
        ("李**", "王江小队", "王江社区居委会", Decimal("30.00")),
        ("新**", "", "新园社区居委会", Decimal("20.00")),
        ("湖**", "广东路分队", "湖北路社区居委会", Decimal("10.00")),
    ]
    page = response.content.decode()
    assert "李志愿" not in page
    assert "13700000001" not in page
    assert "1370" not in page


def test_the_public_board_of_a_center_is_its_subtree(client, tree, boards):
    response = exact_get(client, PUBLIC, 5, {"center": tree.county_a.pk, "year": str(THIS_YEAR)})
    assert [row.name for row in response.context["volunteers"]] == ["李**", "新**", "湖**"]
    assert [row.name for row in response.context["teams"]] == ["王江小队", "广东路分队"]
    village = client.get(PUBLIC, {"center": tree.village_b.pk})
    assert [row.name for row in village.context["volunteers"]] == ["天**"]


@pytest.mark.parametrize(
    "params",
    [
        {"year": "abcd"},
        {"year": "１２３４"},
        {"year": "1999"},
        {"year": str(THIS_YEAR + 1)},
        {"center": "-1"},
        {"center": "99999999"},
        {"center": "1" * 40},
    ],
)
def test_a_bad_public_parameter_answers_a_chinese_400(client, boards, params):
    response = exact_get(
        client,
        PUBLIC,
        1 if "center" in params and params["center"] == "99999999" else 0,
        params,
        status=400,
    )
    assert re.search(r"[\u4e00-\u9fff]", response.context["notice"])


# --- the export --------------------------------------------------------------------------


def xlsx_rows(content: bytes) -> list[list[str]]:
    """The first sheet's cells as text, read with the standard library (an .xlsx is a zip
    of XML): shared strings and inline strings both."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{{{ns['m']}}}row"):
        cells = []
        for cell in row.findall("m:c", ns):
            kind = cell.get("t")
            if kind == "s":
                cells.append(shared[int(cell.findtext("m:v", "", ns))])
            elif kind == "inlineStr":
                cells.append("".join(t.text or "" for t in cell.iter(f"{{{ns['m']}}}t")))
            else:
                cells.append(cell.findtext("m:v", "", ns))
        rows.append(cells)
    return rows


def test_the_export_is_the_pages_rows_masked_and_neutralised(client, people, tree, boards):
    # given a team whose name a spreadsheet would run as a formula
    team = boards.teams.a
    Team.objects.filter(pk=team.pk).update(name='=HYPERLINK("http://evil","x")')
    team_summaries_rebuild()
    client.force_login(people.county_cadre)
    # when the county's board is exported
    response = client.get(EXPORT, {"year": str(THIS_YEAR)})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = xlsx_rows(b"".join(response.streaming_content))
    # then its rows are the county's, phones masked, the formula written as text
    assert rows[0][:3] == ["榜单", "名次", "姓名或队伍"]
    names = [row[2] for row in rows[1:]]
    assert names[:3] == ["李志愿", "新园志愿", "湖北路志愿"]
    assert "天马山志愿" not in names
    assert rows[1][4] == "137****0001"
    assert '\'=HYPERLINK("http://evil","x")' in names
    assert all("13700000001" not in cell for row in rows for cell in row)


def test_the_admin_board_costs_a_fixed_number_of_queries(client, people, boards):
    client.force_login(people.county_cadre)
    exact_get(client, BOARD, 11)
