"""Loading the official division list into the center tree.

The file is checked whole before anything is written: one bad line and nothing loads, and
every problem is reported with its line number so the operator can fix the file in one go.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from practice.models import DEFAULT_KIND, Center, Level

EXPECTED_HEADER = ["code", "name", "level", "parent_code"]
CODE_LENGTH = {Level.CITY: 6, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}
PARENT_LEVEL = {
    Level.COUNTY: Level.CITY,
    Level.TOWNSHIP: Level.COUNTY,
    Level.VILLAGE: Level.TOWNSHIP,
}
# How many leading digits a division shares with its parent's code.
SHARED_PREFIX = {Level.COUNTY: 4, Level.TOWNSHIP: 6, Level.VILLAGE: 9}
NAME_MAX_LENGTH: int = Center._meta.get_field("name").max_length or 0


@dataclass(frozen=True)
class DivisionRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str


class DivisionFileError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class LoadResult:
    created: int = 0
    renamed: int = 0
    moved: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


def parse_divisions(lines: Iterable[str]) -> list[DivisionRow]:
    """Read and check every line; raise DivisionFileError listing all problems found."""
    errors: list[str] = []
    rows: list[DivisionRow] = []
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise DivisionFileError([_("文件为空。")])
    if [cell.strip().lstrip("\ufeff") for cell in header] != EXPECTED_HEADER:
        raise DivisionFileError(
            [_("第 1 行：表头应为 %(expected)s。") % {"expected": ",".join(EXPECTED_HEADER)}]
        )
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(EXPECTED_HEADER):
            errors.append(
                _("第 %(line)d 行：应有 4 列，实有 %(count)d 列。")
                % {"line": line, "count": len(cells)}
            )
            continue
        code, name, level, parent_code = (cell.strip() for cell in cells)
        problem = _row_problem(code, name, level, parent_code)
        if problem:
            errors.append(_("第 %(line)d 行：%(problem)s") % {"line": line, "problem": problem})
            continue
        rows.append(DivisionRow(line, code, name, level, parent_code))
    errors.extend(_tree_problems(rows))
    if errors:
        raise DivisionFileError(errors)
    return rows


def _row_problem(code: str, name: str, level: str, parent_code: str) -> str | None:
    if level not in Level.values:
        return _("层级“%(level)s”无效，应为 city、county、township 或 village。") % {"level": level}
    expected_length = CODE_LENGTH[Level(level)]
    if not code.isdigit() or len(code) != expected_length:
        return _("编码“%(code)s”应为 %(length)d 位数字。") % {
            "code": code,
            "length": expected_length,
        }
    if not name:
        return _("名称为空。")
    if len(name) > NAME_MAX_LENGTH:
        return _("名称超过 %(max)d 个字。") % {"max": NAME_MAX_LENGTH}
    if level == Level.CITY:
        if parent_code:
            return _("市级行不应有上级编码。")
        return None
    prefix = SHARED_PREFIX[Level(level)]
    if not parent_code:
        return _("缺少上级编码。")
    if parent_code[:prefix] != code[:prefix]:
        return _("编码“%(code)s”与上级编码“%(parent)s”的前 %(prefix)d 位不一致。") % {
            "code": code,
            "parent": parent_code,
            "prefix": prefix,
        }
    return None


def _tree_problems(rows: list[DivisionRow]) -> list[str]:
    errors: list[str] = []
    first_line: dict[str, int] = {}
    level_of: dict[str, str] = {}
    for row in rows:
        if row.code in first_line:
            errors.append(
                _("第 %(line)d 行：编码 %(code)s 与第 %(first)d 行重复。")
                % {"line": row.line, "code": row.code, "first": first_line[row.code]}
            )
            continue
        first_line[row.code] = row.line
        level_of[row.code] = row.level
    outside = {
        row.parent_code for row in rows if row.parent_code and row.parent_code not in level_of
    }
    known_outside = dict(Center.objects.filter(code__in=outside).values_list("code", "level"))
    level_of_parent = {**known_outside, **level_of}
    for row in rows:
        if row.level == Level.CITY:
            continue
        parent_level = level_of_parent.get(row.parent_code)
        if parent_level is None:
            errors.append(
                _("第 %(line)d 行：上级编码 %(parent)s 在文件和数据库中都不存在。")
                % {"line": row.line, "parent": row.parent_code}
            )
        elif parent_level != PARENT_LEVEL[Level(row.level)]:
            errors.append(
                _(
                    "第 %(line)d 行：上级 %(parent)s 是 %(parent_level)s，"
                    "不能作为 %(level)s 的上级。"
                )
                % {
                    "line": row.line,
                    "parent": row.parent_code,
                    "parent_level": parent_level,
                    "level": row.level,
                }
            )
    return errors


@transaction.atomic
def load_divisions(rows: list[DivisionRow]) -> LoadResult:
    """Bring the tree in line with ``rows``: create what is new, rename and re-parent what
    changed, and touch nothing else, so a second run of the same file writes nothing.

    New rows are inserted with tree maintenance off and the tree rebuilt once: inserting
    thousands of nodes one by one would renumber the tree thousands of times.
    """
    result = LoadResult()
    existing = {
        center.code: center
        for center in Center.objects.filter(code__in=[row.code for row in rows]).select_related(
            "parent"
        )
    }
    for row in rows:
        center = existing.get(row.code)
        if center is not None and center.level != row.level:
            raise DivisionFileError(
                [
                    _("第 %(line)d 行：编码 %(code)s 已作为 %(old)s 存在，文件中为 %(new)s。")
                    % {"line": row.line, "code": row.code, "old": center.level, "new": row.level}
                ]
            )
    ids_by_code = dict(
        Center.objects.filter(
            code__in={row.parent_code for row in rows if row.parent_code}
        ).values_list("code", "id")
    )
    renamed: list[Center] = []
    moved: list[Center] = []
    tree_changed = False
    now = timezone.now()
    with Center.objects.disable_mptt_updates():
        for level in Level.values:
            fresh = []
            for row in rows:
                if row.level != level:
                    continue
                parent_id = ids_by_code.get(row.parent_code) if row.parent_code else None
                center = existing.get(row.code)
                if center is None:
                    fresh.append(_new_center(row, parent_id))
                    continue
                changed = False
                if center.parent_id != parent_id:
                    center.parent_id = parent_id
                    moved.append(center)
                    changed = True
                if center.name != row.name:
                    center.name = row.name
                    renamed.append(center)
                    changed = True
                if changed:
                    # bulk_update does not apply auto_now.
                    center.updated_at = now
                else:
                    result.unchanged += 1
            for center in Center.objects.bulk_create(fresh):
                ids_by_code[center.code] = center.pk
            result.created += len(fresh)
            result.by_level[level] = sum(1 for row in rows if row.level == level)
            tree_changed = tree_changed or bool(fresh)
        if renamed:
            Center.objects.bulk_update(renamed, ["name", "updated_at"])
        if moved:
            Center.objects.bulk_update(moved, ["parent", "updated_at"])
            tree_changed = True
    if tree_changed:
        Center.objects.rebuild()
    result.renamed = len(renamed)
    result.moved = len(moved)
    return result


def _new_center(row: DivisionRow, parent_id: int | None) -> Center:
    level = Level(row.level)
    # Tree fields are placeholders until the rebuild that follows the bulk insert.
    return Center(
        code=row.code,
        name=row.name,
        level=level,
        kind=DEFAULT_KIND[level],
        parent_id=parent_id,
        tree_id=0,
        lft=0,
        rght=0,
        depth=0,
    )
