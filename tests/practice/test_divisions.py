"""The division loader and ``manage.py load_divisions``.

Loading the real file takes a few seconds (the tree is rebuilt once after the bulk insert), so
only the tests that need the whole city load it; the bad-file tests use a prefix of it.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from practice.divisions import DivisionFileError, parse_divisions
from practice.models import Center

REAL_FILE = Path(__file__).resolve().parents[2] / "practice" / "data" / "hengyang_divisions.csv"
HEADER = "code,name,level,parent_code"


def real_lines() -> list[str]:
    """The real file's lines without line endings; ``lines[0]`` is the header (line 1)."""
    return REAL_FILE.read_text(encoding="utf-8").splitlines()


def real_rows() -> list[dict[str, str]]:
    with REAL_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# The first 100 data rows of the real file: the city, 珠晖区 and all of its divisions, and the
# start of 雁峰区. Every parent in it comes before its children, so it loads on its own.
GOOD_PREFIX = real_lines()[:101]
# The three rows after it: the last village of 雁峰街道, then 天马山街道 and its first village.
TRAILING = real_lines()[101:104]
# The line number (1-based, header is line 1) of the first line after the prefix.
NEXT_LINE = len(GOOD_PREFIX) + 1


def write(tmp_path: Path, lines: list[str], name: str = "divisions.csv", **kwargs) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding=kwargs.pop("encoding", "utf-8"), **kwargs)
    return path


def load(path: Path | None = None) -> str:
    out = io.StringIO()
    if path is None:
        call_command("load_divisions", stdout=out)
    else:
        call_command("load_divisions", "--file", str(path), stdout=out)
    return out.getvalue()


def snapshot() -> dict[int, tuple]:
    return {
        row[0]: row
        for row in Center.objects.values_list(
            "id", "code", "name", "parent_id", "lft", "rght", "tree_id", "depth", "updated_at"
        )
    }


# ---------------------------------------------------------------------------------------------
# The real file


@pytest.mark.django_db
def test_the_real_file_loads_as_one_four_tier_tree():
    # given an empty database and the file's own view of the tree
    rows = real_rows()
    parent_in_file = {row["code"]: row["parent_code"] or None for row in rows}
    name_in_file = {row["code"]: row["name"] for row in rows}
    assert Center.objects.count() == 0

    # when
    output = load()

    # then every level has exactly its count
    counts = Counter(Center.objects.values_list("level", flat=True))
    assert counts == {"city": 1, "county": 14, "township": 191, "village": 2785}
    assert "新建 2991" in output
    assert "city 1，county 14，township 191，village 2785" in output

    # and every row hangs under the parent the file gives it, with the file's name
    loaded = Center.objects.values_list("code", "parent__code", "name")
    assert {code: parent for code, parent, _name in loaded} == parent_in_file
    assert {code: name for code, _parent, name in loaded} == name_in_file

    # and every parent is one tier up
    assert not Center.objects.filter(level="city", parent__isnull=False).exists()
    assert not Center.objects.filter(level="county").exclude(parent__level="city").exists()
    assert not Center.objects.filter(level="township").exclude(parent__level="county").exists()
    assert not Center.objects.filter(level="village").exclude(parent__level="township").exists()

    # spot checks on real rows
    wangjiang = Center.objects.get(code="430405007006")
    assert wangjiang.name == "王江社区居委会"
    assert wangjiang.parent.code == "430405007"
    assert wangjiang.parent.name == "衡州路街道"
    assert wangjiang.parent.parent.code == "430405"
    for zone in ["430473", "430476"]:
        center = Center.objects.get(code=zone)
        assert center.level == "county"
        assert center.parent.code == "430400"

    # and the mptt fields describe the same tree
    city = Center.objects.get(level="city")
    assert city.code == "430400"
    assert city.get_descendant_count() == 2990
    assert city.lft == 1
    assert city.rght == 2 * 2991
    assert Center.objects.filter(level="city", depth=0).count() == 1
    assert Center.objects.filter(level="county", depth=1).count() == 14
    assert Center.objects.filter(level="township", depth=2).count() == 191
    assert Center.objects.filter(level="village", depth=3).count() == 2785
    assert set(Center.objects.values_list("tree_id", flat=True)) == {city.tree_id}
    edges = list(Center.objects.values_list("lft", "rght"))
    assert sorted(value for edge in edges for value in edge) == list(range(1, 2 * 2991 + 1))
    assert all(
        right - left == 1
        for left, right in Center.objects.filter(level="village").values_list("lft", "rght")
    )
    # every child's interval lies inside its parent's
    assert not (
        Center.objects.filter(parent__isnull=False)
        .exclude(lft__gt=F("parent__lft"), rght__lt=F("parent__rght"))
        .exists()
    )
    assert wangjiang.get_ancestors().count() == 3
    county = Center.objects.get(code="430405")
    subtree_in_file = sum(
        1 for code in name_in_file if _descends_from(code, "430405", parent_in_file)
    )
    assert county.get_descendant_count() + 1 == subtree_in_file

    # and each kind follows its level
    kinds = set(Center.objects.values_list("level", "kind"))
    assert kinds == {
        ("city", "center"),
        ("county", "center"),
        ("township", "institute"),
        ("village", "station"),
    }


def _descends_from(code: str | None, ancestor: str, parent_of: dict[str, str | None]) -> bool:
    while code is not None:
        if code == ancestor:
            return True
        code = parent_of[code]
    return False


@pytest.mark.django_db
def test_loading_the_same_file_again_changes_nothing():
    # given the real file loaded once
    load()
    before = snapshot()

    # when it is loaded again
    output = load()

    # then no row was created, changed, renumbered or even saved
    assert snapshot() == before
    assert "新建 0，更名 0，调整上级 0，未变 2991" in output


@pytest.mark.django_db
def test_a_renamed_division_updates_that_row_and_only_that_row(tmp_path):
    # given the real file loaded, and a copy in which one village has a new name
    load()
    before = snapshot()
    lines = real_lines()
    index = next(i for i, line in enumerate(lines) if line.startswith("430405007006,"))
    assert lines[index] == "430405007006,王江社区居委会,village,430405007"
    lines[index] = "430405007006,王江新社区居委会,village,430405007"
    path = write(tmp_path, lines)

    # when the copy is loaded
    output = load(path)

    # then that village has its new name and a new updated_at, in the same place in the tree
    after = snapshot()
    renamed = Center.objects.get(code="430405007006")
    old = before[renamed.pk]
    new = after[renamed.pk]
    assert new[2] == "王江新社区居委会"
    assert new[8] > old[8]
    assert new[:2] + new[3:8] == old[:2] + old[3:8]
    # and no other row changed at all
    del before[renamed.pk], after[renamed.pk]
    assert after == before
    assert "新建 0，更名 1，调整上级 0，未变 2990" in output


# ---------------------------------------------------------------------------------------------
# Bad files: rejected whole, with the line number


@pytest.mark.django_db
def test_the_good_prefix_used_below_loads_on_its_own(tmp_path):
    # A control for the bad-file tests: without the bad line, the same file loads.
    output = load(write(tmp_path, GOOD_PREFIX + TRAILING))
    assert "新建 103" in output
    assert Center.objects.count() == 103


BAD_ROWS = {
    "missing parent": "430405099001,某某村,village,430405099",
    "three columns": "430405007099,某某社区,village",
    "five columns": "430405007099,某某社区,village,430405007,x",
    "bad level": "430405007099,某某社区,hamlet,430405007",
    "non-digit code": "43040500709X,某某社区,village,430405007",
    "code too long": "4304050070991,某某社区,village,430405007",
    "code too short": "43040500709,某某社区,village,430405007",
    "empty name": "430405007099,,village,430405007",
    "blank name": "430405007099,   ,village,430405007",
    "name too long": "430405007099," + "长" * 101 + ",village,430405007",
    "parent code of another county": "430405007099,某某社区,village,430406001",
    "parent one tier off": "430405123,某某街道,township,430405007",
    "city with a parent": "430499,某某市,city,430400",
    "village without parent": "430405007099,某某社区,village,",
}


@pytest.mark.django_db
@pytest.mark.parametrize("bad_row", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_after_good_ones_loads_nothing(tmp_path, bad_row):
    # given an empty database and a file of 100 good rows, a bad one, and more good ones
    lines = GOOD_PREFIX + [bad_row] + TRAILING
    path = write(tmp_path, lines)

    # when
    with pytest.raises(CommandError) as raised:
        load(path)

    # then the bad line is named, and only it
    message = str(raised.value)
    assert f"第 {NEXT_LINE} 行" in message
    assert message.count("第 ") == 1
    assert "1 处错误，未导入任何数据" in message
    assert str(path) in message
    # and nothing was written
    assert Center.objects.count() == 0


@pytest.mark.django_db
def test_a_duplicate_code_names_both_lines(tmp_path):
    # given a file that repeats 王江社区 after the good prefix
    first = GOOD_PREFIX.index("430405007006,王江社区居委会,village,430405007") + 1
    assert first == 5
    path = write(tmp_path, GOOD_PREFIX + ["430405007006,王江社区,village,430405007"])

    # when
    with pytest.raises(CommandError) as raised:
        load(path)

    # then
    message = str(raised.value)
    assert f"第 {NEXT_LINE} 行：编码 430405007006 与第 {first} 行重复" in message
    assert Center.objects.count() == 0


@pytest.mark.django_db
def test_a_wrong_header_is_line_one(tmp_path):
    path = write(tmp_path, ["code,name,level,parent"] + GOOD_PREFIX[1:])

    with pytest.raises(CommandError) as raised:
        load(path)

    assert "第 1 行：表头应为 code,name,level,parent_code" in str(raised.value)
    assert Center.objects.count() == 0


@pytest.mark.django_db
def test_line_numbers_count_blank_lines_and_every_problem_is_listed(tmp_path):
    # given a file with a blank line, then two bad rows further down
    lines = [
        *GOOD_PREFIX,
        "",
        "430405007099,,village,430405007",
        "430405099001,某某村,village,430405099",
    ]
    path = write(tmp_path, lines)

    # when
    with pytest.raises(CommandError) as raised:
        load(path)

    # then both are reported, numbered as an editor numbers the lines
    message = str(raised.value)
    assert "2 处错误" in message
    assert f"第 {NEXT_LINE + 1} 行：名称为空" in message
    assert f"第 {NEXT_LINE + 2} 行：上级编码 430405099 在文件和数据库中都不存在" in message
    assert Center.objects.count() == 0


@pytest.mark.django_db
def test_a_long_list_of_problems_is_cut_to_fifty(tmp_path):
    bad = [f"4304050079{n:02d},,village,430405007" for n in range(60)]
    path = write(tmp_path, GOOD_PREFIX + bad)

    with pytest.raises(CommandError) as raised:
        load(path)

    message = str(raised.value)
    assert "有 60 处错误" in message
    assert "另有 10 处错误未列出" in message
    assert f"第 {NEXT_LINE + 49} 行" in message
    assert f"第 {NEXT_LINE + 50} 行" not in message
    assert Center.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_file_leaves_an_existing_tree_untouched(tmp_path):
    # given the good prefix loaded
    load(write(tmp_path, GOOD_PREFIX, name="good.csv"))
    before = snapshot()

    # when a file renames a row and adds one, but has a bad line
    lines = list(GOOD_PREFIX)
    lines[4] = "430405007006,王江新社区,village,430405007"
    lines += TRAILING + ["430405099001,某某村,village,430405099"]
    with pytest.raises(CommandError) as raised:
        load(write(tmp_path, lines, name="bad.csv"))

    # then nothing changed
    assert f"第 {NEXT_LINE + len(TRAILING)} 行" in str(raised.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_code_loaded_at_another_level_is_refused(tmp_path):
    # given the good prefix loaded, 珠晖区 among its counties
    load(write(tmp_path, GOOD_PREFIX, name="good.csv"))
    before = snapshot()

    # when a file claims 430405 is a city
    with pytest.raises(CommandError) as raised:
        load(write(tmp_path, [HEADER, "430405,珠晖区,city,"], name="bad.csv"))

    # then
    assert "第 2 行：编码 430405 已作为 county 存在，文件中为 city" in str(raised.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_file_may_add_children_to_parents_already_loaded(tmp_path):
    # given the good prefix loaded
    load(write(tmp_path, GOOD_PREFIX, name="good.csv"))

    # when a file holds only a new township and village of a county already in the database
    assert TRAILING[1:] == [
        "430406003,天马山街道,township,430406",
        "430406003001,岳屏社区居委会,village,430406003",
    ]
    output = load(write(tmp_path, [HEADER, *TRAILING[1:]], name="more.csv"))

    # then they are attached under it, and the tree stays consistent
    assert "新建 2，更名 0，调整上级 0，未变 0" in output
    village = Center.objects.get(code="430406003001")
    assert [c.code for c in village.get_ancestors()] == ["430400", "430406", "430406003"]
    assert Center.objects.get(code="430400").get_descendant_count() == 101


@pytest.mark.django_db
def test_a_non_utf8_file_is_a_command_error(tmp_path):
    path = write(tmp_path, GOOD_PREFIX, encoding="gbk")

    with pytest.raises(CommandError) as raised:
        load(path)

    assert "不是 UTF-8 编码" in str(raised.value)
    assert Center.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError) as raised:
        load(tmp_path / "nowhere.csv")

    assert "找不到文件" in str(raised.value)
    assert Center.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_file_is_a_command_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    with pytest.raises(CommandError) as raised:
        load(path)

    assert "文件为空" in str(raised.value)


@pytest.mark.django_db
def test_a_file_saved_by_excel_loads(tmp_path):
    # given the good prefix with a byte order mark and CRLF line endings
    path = tmp_path / "excel.csv"
    path.write_bytes(("\r\n".join(GOOD_PREFIX) + "\r\n").encode("utf-8-sig"))

    # when
    load(path)

    # then
    assert Center.objects.count() == 100
    assert Center.objects.get(code="430405007006").name == "王江社区居委会"


@pytest.mark.django_db
def test_parse_divisions_raises_with_every_error_listed():
    # The function the command wraps: two problems, two entries.
    text = "\n".join(
        [HEADER, "430400,衡阳市,city,", "43040X,某区,county,430400", "430405,,county,430400"]
    )
    with pytest.raises(DivisionFileError) as raised:
        parse_divisions(io.StringIO(text))
    assert len(raised.value.errors) == 2
    assert raised.value.errors[0].startswith("第 3 行：")
    assert raised.value.errors[1].startswith("第 4 行：")
