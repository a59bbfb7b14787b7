"""Volunteer rosters (志愿者花名册) in and out of spreadsheets, with django-import-export.

Import: a cadre uploads a roster of thousands of volunteers (Excel .xlsx or CSV). Reading
turns each row into a ``RosterEntry`` and a list of problems per column; the service
``volunteer_roster_check`` judges the entries as the registration rules do; nothing is
written until the whole file is clean and the cadre confirms the preview, and then
``volunteer_roster_import`` writes every row in one transaction. Rows are numbered as the
spreadsheet numbers them: the header is row 1, the first volunteer row 2.

Export: the volunteers in the cadre's scope, with the ID number and phone number masked,
written by the portal's one exporter (core.spreadsheets).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import tablib
from cryptography.fernet import InvalidToken
from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.forms import ImportForm
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import InvalidRow, Result, RowResult
from import_export.tmp_storages import CacheStorage

from accounts.models import User
from accounts.phones import mask_phone, normalize_phone
from core.errors import DomainError
from core.spreadsheets import Column
from practice.models import CadreRole, Center
from volunteers.errors import VolunteerErrorCode
from volunteers.identity import cipher, normalize_id_number
from volunteers.models import Skill, Volunteer
from volunteers.selectors import REVIEWING_LEVELS, volunteers_in_scope
from volunteers.services import (
    RosterEntry,
    RosterImported,
    roster_outcomes,
    volunteer_roster_check,
    volunteer_roster_import,
)

NAME = "姓名"
PHONE = "手机号"
ID_NUMBER = "身份证号码"
CENTER_CODE = "所属村（社区）编码"
SKILLS = "技能"
PARTY_MEMBER = "中共党员"
INSURER = "保险公司"
INSURANCE_NUMBER = "保单号"
INSURANCE_VALID_UNTIL = "保险有效期至"

IMPORT_COLUMNS = [
    NAME,
    PHONE,
    ID_NUMBER,
    CENTER_CODE,
    SKILLS,
    PARTY_MEMBER,
    INSURER,
    INSURANCE_NUMBER,
    INSURANCE_VALID_UNTIL,
]
REQUIRED_COLUMNS = IMPORT_COLUMNS[:6]
# The RosterEntry field each column fills, so that the service's problems land in a column.
COLUMN_OF_FIELD = {
    "real_name": NAME,
    "phone": PHONE,
    "id_number": ID_NUMBER,
    "home_center": CENTER_CODE,
    "skills": SKILLS,
    "is_party_member": PARTY_MEMBER,
    "insurer": INSURER,
    "insurance_number": INSURANCE_NUMBER,
    "insurance_valid_until": INSURANCE_VALID_UNTIL,
}
# The spreadsheet row of the first volunteer: row 1 holds the column names.
FIRST_LINE = 2
MAX_ROWS = 10_000
# 10,000 rows of CSV are about 1 MB; a file many times that is not a roster.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
SKILL_SEPARATORS = re.compile(r"[、,，;；/\s]+")
# What Excel leaves of an 18-digit number typed into a number cell: 4.30405E+17.
EXCEL_NUMBER = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
PARTY_VALUES = {"是": True, "否": False, "": False}
# The preview's last column: what confirming will do with each clean row. Rows are held
# for their person alike whatever exists outside the cadre's subtree, so the answer tells
# nothing about other areas.
OUTCOME = gettext_noop("处理方式")
OUTCOME_REGISTERED = gettext_noop("直接登记为在册志愿者（本辖区已验证手机号的账号）")
OUTCOME_INVITED = gettext_noop("已发出邀请，待本人确认")


class RosterFileError(DomainError):
    """The file as a whole cannot be read as a roster (missing columns, no rows, too many)."""


class RosterRejected(DomainError):
    """The roster has bad rows; ``lines`` holds them, with their problems by column."""

    def __init__(self, message: str, *, lines: Sequence[RosterLine]):
        super().__init__(message, code=VolunteerErrorCode.ROSTER_INVALID)
        self.lines = lines


@dataclass
class RosterLine:
    """One row of the file as read: the entry it makes, and what is wrong with it."""

    line: int
    entry: RosterEntry | None
    problems: dict[str, list[str]] = field(default_factory=dict)
    display: list[str] = field(default_factory=list)
    registers_at_once: bool = False

    @property
    def outcome(self) -> str:
        return _(OUTCOME_REGISTERED) if self.registers_at_once else _(OUTCOME_INVITED)

    @property
    def is_blank(self) -> bool:
        return self.entry is None


@dataclass
class RosterReading:
    lines: list[RosterLine]

    @property
    def bad_lines(self) -> list[RosterLine]:
        return [line for line in self.lines if line.problems]

    @property
    def entries(self) -> list[RosterEntry]:
        return [line.entry for line in self.lines if line.entry is not None]


# --- reading the file -----------------------------------------------------------------------


def _canonical_header(header: object) -> str:
    # Full-width and half-width brackets and stray spaces are the same column to a cadre.
    return unicodedata.normalize("NFKC", str(header or "")).replace(" ", "").strip()


_COLUMN_BY_CANONICAL = {_canonical_header(column): column for column in IMPORT_COLUMNS}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    return str(value).strip()


def _mask_raw_id_number(value: str) -> str:
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def _display(row: Mapping[str, Any]) -> list[str]:
    """The row as the preview shows it: the ID number and phone number masked, since the
    page is rendered, cached and printed like any other."""
    values = {column: _text(row.get(column)) for column in IMPORT_COLUMNS}
    values[PHONE] = mask_phone(normalize_phone(values[PHONE]))
    values[ID_NUMBER] = _mask_raw_id_number(normalize_id_number(values[ID_NUMBER]))
    return [values[column] for column in IMPORT_COLUMNS]


def _read_date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        return None
    for date_format in DATE_FORMATS:
        try:
            # Only the date is kept, so the missing time zone cannot matter.
            return datetime.datetime.strptime(text, date_format).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise ValueError(text)


def _check_headers(headers: Sequence[str]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in headers]
    if missing:
        raise RosterFileError(
            _("花名册缺少以下列：%(columns)s。第一行应为列名：%(expected)s。")
            % {"columns": "、".join(missing), "expected": "、".join(IMPORT_COLUMNS)},
            code=VolunteerErrorCode.ROSTER_COLUMNS_MISSING,
        )
    repeated = [column for column in IMPORT_COLUMNS if headers.count(column) > 1]
    if repeated:
        raise RosterFileError(
            _("以下列出现了不止一次：%(columns)s。") % {"columns": "、".join(repeated)},
            code=VolunteerErrorCode.ROSTER_COLUMNS_REPEATED,
        )


def normalize_headers(dataset: tablib.Dataset) -> None:
    """Rename the dataset's columns to the roster's own names, whatever brackets and spaces
    the spreadsheet used, so every row can be read by name."""
    if dataset.headers:
        dataset.headers = [
            _COLUMN_BY_CANONICAL.get(_canonical_header(header), _text(header))
            for header in dataset.headers
        ]


def read_roster(dataset: tablib.Dataset) -> RosterReading:
    """Each row's entry and its problems of form (the services judge the rest). Two
    queries whatever the file's length: the centers it names and the skills."""
    normalize_headers(dataset)
    headers = list(dataset.headers or [])
    _check_headers(headers)
    rows = [dict(zip(headers, values, strict=False)) for values in dataset]
    if len(rows) > MAX_ROWS:
        raise RosterFileError(
            _("一次最多导入 %(max)d 行，本文件有 %(rows)d 行，请分批导入。")
            % {"max": MAX_ROWS, "rows": len(rows)},
            code=VolunteerErrorCode.ROSTER_TOO_LONG,
        )
    codes = {unicodedata.normalize("NFKC", _text(row.get(CENTER_CODE))) for row in rows}
    # The tree above each village comes along: the checks read township and county.
    centers = {
        center.code: center
        for center in Center.objects.filter(code__in=codes - {""}).select_related(
            "parent__parent__parent"
        )
    }
    skills = {skill.name: skill for skill in Skill.objects.all()}
    lines = [_read_row(row, FIRST_LINE + index, centers, skills) for index, row in enumerate(rows)]
    if not any(not line.is_blank for line in lines):
        raise RosterFileError(_("花名册中没有志愿者数据。"), code=VolunteerErrorCode.ROSTER_EMPTY)
    return RosterReading(lines=lines)


def _read_row(
    row: Mapping[str, Any], line: int, centers: Mapping[str, Center], skills: Mapping[str, Skill]
) -> RosterLine:
    if all(_text(value) == "" for value in row.values()):
        return RosterLine(line=line, entry=None)
    problems: dict[str, list[str]] = {}

    def refuse(column: str, message: str) -> None:
        problems.setdefault(column, []).append(message)

    raw_id = row.get(ID_NUMBER)
    id_number = normalize_id_number(unicodedata.normalize("NFKC", _text(raw_id)))
    if isinstance(raw_id, float) or EXCEL_NUMBER.match(id_number):
        refuse(
            ID_NUMBER,
            _("身份证号码被存成了数字，末尾几位已丢失；请把该列设为“文本”格式后重新填写。"),
        )
    code = unicodedata.normalize("NFKC", _text(row.get(CENTER_CODE)))
    center = centers.get(code)
    if not code:
        refuse(CENTER_CODE, _("请填写所属村（社区）编码。"))
    elif center is None:
        refuse(CENTER_CODE, _("未找到编码为“%(code)s”的阵地。") % {"code": code})
    names = [name for name in SKILL_SEPARATORS.split(_text(row.get(SKILLS))) if name]
    unknown = [name for name in names if name not in skills]
    if unknown:
        refuse(SKILLS, _("未知的技能：%(names)s。") % {"names": "、".join(unknown)})
    party = _text(row.get(PARTY_MEMBER))
    if party not in PARTY_VALUES:
        refuse(PARTY_MEMBER, _("请填写“是”或“否”。"))
    try:
        valid_until = _read_date(row.get(INSURANCE_VALID_UNTIL))
    except ValueError:
        valid_until = None
        refuse(INSURANCE_VALID_UNTIL, _("请填写日期，例如 2027-12-31。"))
    entry = RosterEntry(
        line=line,
        real_name=_text(row.get(NAME)),
        phone=normalize_phone(_text(row.get(PHONE))),
        id_number=id_number,
        home_center=center,
        skills=tuple(skills[name] for name in dict.fromkeys(names) if name in skills),
        is_party_member=PARTY_VALUES.get(party, False),
        insurer=_text(row.get(INSURER)),
        insurance_number=_text(row.get(INSURANCE_NUMBER)),
        insurance_valid_until=valid_until,
    )
    return RosterLine(line=line, entry=entry, problems=problems, display=_display(row))


def check_roster(*, actor: User, dataset: tablib.Dataset) -> RosterReading:
    """Read the roster and judge every row as the services would: what the preview shows.

    A column already refused as unreadable (an unknown center code, an unknown skill) keeps
    that reason alone; every other column gets the services' verdict, so that one upload
    reports everything wrong with a row.
    """
    reading = read_roster(dataset)
    entries = [line.entry for line in reading.lines if line.entry is not None]
    found = volunteer_roster_check(actor=actor, entries=entries)
    at_once = roster_outcomes(actor=actor, entries=entries)
    for roster_line in reading.lines:
        if roster_line.entry is not None:
            roster_line.registers_at_once = at_once[roster_line.line]
        for field_name, messages in found.get(roster_line.line, {}).items():
            column = COLUMN_OF_FIELD[field_name]
            if column not in roster_line.problems:
                roster_line.problems[column] = list(messages)
    return reading


def roster_import(*, actor: User, dataset: tablib.Dataset) -> RosterImported:
    """Import a clean roster in one transaction, or raise ``RosterRejected`` with its bad
    rows and import nothing. For callers outside the admin (scripts, commands, tests)."""
    reading = check_roster(actor=actor, dataset=dataset)
    if reading.bad_lines:
        raise RosterRejected(
            _("花名册中有 %(count)d 行有误，未导入任何志愿者。")
            % {"count": len(reading.bad_lines)},
            lines=reading.bad_lines,
        )
    return volunteer_roster_import(actor=actor, entries=reading.entries)


def can_import_roster(user: User) -> bool:
    """Importing makes volunteers active without review, so it is for those who may approve
    applications: a superuser, or a cadre with a township-level role or higher."""
    if user.is_superuser:
        return True
    return CadreRole.objects.filter(user=user, center__level__in=REVIEWING_LEVELS).exists()


# --- the import-export plumbing ---------------------------------------------------------------


class RosterCSV(base_formats.CSV):
    """CSV as cadres' spreadsheets save it: UTF-8 with or without a byte-order mark, or
    GB18030 (what Excel on Chinese Windows writes); blank lines are kept as empty rows so
    that row numbers stay those of the file."""

    def create_dataset(self, in_stream: str | bytes, **kwargs: Any) -> tablib.Dataset:
        text = in_stream if isinstance(in_stream, str) else ""
        if isinstance(in_stream, bytes):
            try:
                text = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = in_stream.decode("gb18030")
        rows = list(csv.reader(io.StringIO(text)))
        dataset = tablib.Dataset()
        if not rows:
            return dataset
        width = max(len(row) for row in rows)
        dataset.headers = rows[0] + [""] * (width - len(rows[0]))
        for row in rows[1:]:
            dataset.append(row + [""] * (width - len(row)))
        return dataset


class RosterImportForm(ImportForm):
    """The upload form, refusing files far beyond the row limit before they are read into
    memory and parked in the cache."""

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("文件过大（超过 %(mb)d MB），请分批导入。")
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
                code="roster_too_large",
            )
        return upload


class RosterUploadExpired(Exception):
    """The upload waited too long between preview and confirm and is gone."""


class RosterUploadStorage(CacheStorage):
    """Uploads wait between preview and confirm in the cache, encrypted: a roster holds ID
    and phone numbers in clear, the cache (Redis, perhaps with its append-only file on disk)
    must only ever see a Fernet token under the personal-data keys, and an abandoned preview
    disappears by itself after CACHE_LIFETIME."""

    CACHE_LIFETIME = 15 * 60
    CACHE_PREFIX = "roster-upload-"
    # Text uploads (CSV) come as str, binary ones (xlsx) as bytes; one byte says which.
    _TEXT, _BINARY = b"t", b"b"

    def save(self, data: str | bytes) -> None:
        if isinstance(data, str):
            plain = self._TEXT + data.encode("utf-8")
        else:
            plain = self._BINARY + bytes(data)
        super().save(cipher().encrypt(plain).decode("ascii"))

    def read(self) -> Any:
        token = super().read()
        if token is None:
            raise RosterUploadExpired
        try:
            plain = cipher().decrypt(token.encode("ascii"), ttl=self.CACHE_LIFETIME)
        except InvalidToken as exc:
            raise RosterUploadExpired from exc
        kind, body = plain[:1], plain[1:]
        return body.decode("utf-8") if kind == self._TEXT else body


class RosterResult(Result):
    """A Result whose bad rows carry their spreadsheet row numbers and masked values."""

    def append_invalid_row(
        self, number: int, row: Mapping[str, Any], validation_error: ValidationError
    ) -> None:
        self.invalid_rows.append(
            InvalidRow(
                number=number + FIRST_LINE - 1,
                validation_error=validation_error,
                values=_display(row),
            )
        )


class RosterImportResource(resources.Resource):
    """The import side: rows are judged together before the loop (``check_roster``), each row
    reports its verdict, and the clean roster is written in one go after it. The dry run
    (the preview) writes too and is rolled back, so the preview proves the very writes the
    confirm will make."""

    real_name = Field(column_name=NAME)
    phone = Field(column_name=PHONE)
    id_number = Field(column_name=ID_NUMBER)
    center_code = Field(column_name=CENTER_CODE)
    skills = Field(column_name=SKILLS)
    is_party_member = Field(column_name=PARTY_MEMBER)
    insurer = Field(column_name=INSURER)
    insurance_number = Field(column_name=INSURANCE_NUMBER)
    insurance_valid_until = Field(column_name=INSURANCE_VALID_UNTIL)

    class Meta:
        # Nothing is saved row by row, so the per-row savepoints would be thousands of
        # queries for nothing; use_bulk skips them (and there is nothing to bulk-save).
        use_bulk = True
        report_skipped = False
        using_db = "default"
        # Rows are never looked up as existing objects.
        instance_loader_class = BaseInstanceLoader

    def __init__(self, *, actor: User | None = None, **kwargs: Any):
        super().__init__()
        self.actor = actor
        self.reading: RosterReading | None = None
        self.dry_run = False
        self._new_rows: list[tuple[RowResult, RosterEntry]] = []
        self.imported: RosterImported | None = None

    @classmethod
    def get_display_name(cls) -> str:
        return _("志愿者花名册")

    @classmethod
    def get_result_class(cls) -> type[Result]:
        return RosterResult

    def get_diff_headers(self) -> list[str]:
        return [*IMPORT_COLUMNS, _(OUTCOME)]

    def import_data(self, dataset: tablib.Dataset, dry_run: bool = False, **kwargs: Any) -> Any:
        self.dry_run = dry_run
        self.reading = None
        self._new_rows = []
        if self.actor is None:
            self.actor = kwargs.get("user")
        return super().import_data(dataset, dry_run=dry_run, **kwargs)

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        if self.actor is None:
            raise RosterFileError(_("请先登录。"), code=VolunteerErrorCode.ACTOR_REQUIRED)
        self.reading = check_roster(actor=self.actor, dataset=dataset)

    def import_row(self, row: Mapping[str, Any], instance_loader: Any, **kwargs: Any) -> RowResult:
        row_result = self.get_row_result_class()()
        if self.reading is None:
            # The file as a whole was refused (a base error says why): no row verdicts.
            row_result.import_type = RowResult.IMPORT_TYPE_SKIP
            return row_result
        roster_line = self.reading.lines[kwargs["row_number"] - 1]
        if roster_line.is_blank:
            row_result.import_type = RowResult.IMPORT_TYPE_SKIP
        elif roster_line.problems:
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = ValidationError(
                {
                    column: roster_line.problems[column]
                    for column in IMPORT_COLUMNS
                    if column in roster_line.problems
                }
            )
        else:
            row_result.import_type = RowResult.IMPORT_TYPE_NEW
            row_result.diff = [*roster_line.display, roster_line.outcome]
            self._new_rows.append((row_result, roster_line.entry))
        return row_result

    def after_import(self, dataset: tablib.Dataset, result: Result, **kwargs: Any) -> None:
        if self.reading is None or self.actor is None:
            return  # nothing was read (before_import refuses an import without a cadre)
        if result.has_errors() or result.has_validation_errors():
            return
        connection = connections[self.get_db_connection_name()]
        if self.dry_run and not connection.features.supports_transactions:
            return  # a dry run that could not be rolled back must not write
        entries = [entry for _row, entry in self._new_rows]
        imported = volunteer_roster_import(actor=self.actor, entries=entries)
        self.imported = imported
        made = imported.by_line(entries)
        for (row_result, _entry), instance in zip(self._new_rows, made, strict=True):
            row_result.add_instance_info(instance)
            row_result.instance = instance


def _iso(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _home_township(volunteer: Volunteer) -> str:
    return volunteer.township.name if volunteer.township else ""


# The export: every column, in order, with its header and the cell of a volunteer. The
# exporter (core.spreadsheets) defuses formulas in every text cell (a name or an insurer
# typed by a resident may begin with = + - @).
ROSTER_EXPORT_COLUMNS: list[Column[Volunteer]] = [
    Column(NAME, lambda volunteer: volunteer.real_name),
    Column(PHONE, lambda volunteer: mask_phone(volunteer.user.phone)),
    Column(ID_NUMBER, lambda volunteer: volunteer.id_number_masked),
    Column("性别", lambda volunteer: str(volunteer.get_gender_display())),
    Column(CENTER_CODE, lambda volunteer: volunteer.home_center.code),
    Column("所属村（社区）", lambda volunteer: volunteer.home_center.name),
    Column("所属乡镇（街道）", _home_township),
    Column(SKILLS, lambda volunteer: "、".join(skill.name for skill in volunteer.skills.all())),
    Column(PARTY_MEMBER, lambda volunteer: _("是") if volunteer.is_party_member else _("否")),
    Column("状态", lambda volunteer: str(volunteer.get_status_display())),
    Column("加入日期", lambda volunteer: _iso(volunteer.joined_on)),
    Column(INSURER, lambda volunteer: volunteer.insurer),
    Column(INSURANCE_NUMBER, lambda volunteer: volunteer.insurance_number),
    Column(INSURANCE_VALID_UNTIL, lambda volunteer: _iso(volunteer.insurance_valid_until)),
    Column("服务时长", lambda volunteer: str(volunteer.hours)),
    Column("积分", lambda volunteer: volunteer.points),
]
# Rows are read a chunk at a time with their skills prefetched: two queries a chunk.
ROSTER_EXPORT_CHUNK = 1000


def roster_export_rows(
    *, actor: User | None, queryset: QuerySet[Volunteer] | None = None
) -> Iterator[Volunteer]:
    """The volunteers a roster export holds: those of ``queryset`` (the admin's list, filtered
    and searched) that lie in the actor's scope, whatever queryset the caller passes; none
    without an actor. Read lazily, a chunk at a time."""
    if actor is None:
        return iter(())
    scoped = volunteers_in_scope(actor)
    if queryset is not None:
        scoped = scoped.filter(pk__in=queryset.values("pk"))
    return (
        scoped.select_related("user", "home_center", "township")
        .prefetch_related("skills")
        .order_by("pk")
        .iterator(chunk_size=ROSTER_EXPORT_CHUNK)
    )


@dataclass(frozen=True)
class _ExportedColumn:
    column_name: str


class RosterExport:
    """What the admin's export form (django-import-export's) shows as the one thing it
    exports, with its columns; the file itself is written by core.spreadsheets from
    ROSTER_EXPORT_COLUMNS."""

    @classmethod
    def get_display_name(cls) -> str:
        return _("志愿者花名册")

    def get_user_visible_fields(self) -> list[_ExportedColumn]:
        return [_ExportedColumn(column.header) for column in ROSTER_EXPORT_COLUMNS]
