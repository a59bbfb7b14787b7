"""The one exporter (core.spreadsheets): formula injection neutralised in both formats
(OWASP's CSV injection guidance), text kept as text, a new sheet past the row limit (a
small limit here, not a million rows), and CSV streamed."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.http import StreamingHttpResponse

from core.spreadsheets import (
    Column,
    csv_lines,
    csv_response,
    neutralise,
    write_xlsx,
    xlsx_response,
)

COLUMNS: list[Column[tuple]] = [
    Column("姓名", lambda row: row[0]),
    Column("时长", lambda row: row[1]),
]
DANGEROUS = [
    '=HYPERLINK("http://x","点我")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "＝1+1",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_cell_that_starts_a_formula_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["李志愿", "", "1=1", "a-b", "'quoted", "137****0001"])
def test_harmless_text_is_left_alone(text):
    assert neutralise(text) == text


def read_xlsx(data: bytes) -> dict[str, list[list[object]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {
        sheet.title: [[cell.value for cell in line] for line in sheet.iter_rows()]
        for sheet in book.worksheets
    }


def test_the_xlsx_neutralises_every_text_cell_and_keeps_numbers(tmp_path):
    rows = [(text, Decimal("1.5")) for text in DANGEROUS] + [("李志愿", -3)]
    target = tmp_path / "out.xlsx"

    written = write_xlsx(str(target), COLUMNS, iter(rows), sheet_name="花名册")

    sheets = read_xlsx(target.read_bytes())
    assert written == len(rows)
    assert list(sheets) == ["花名册"]
    values = sheets["花名册"]
    assert values[0] == ["姓名", "时长"]
    # (Excel stores a carriage return as _x000D_, which openpyxl leaves as it is.)
    names = [str(line[0]).replace("_x000D_", "\r") for line in values[1:]]
    assert names == ["'" + text for text in DANGEROUS] + ["李志愿"]
    # Typed numbers stay numbers (a negative one is not text to defuse).
    assert [line[1] for line in values[1:]] == [1.5] * len(DANGEROUS) + [-3]


def test_the_xlsx_writes_no_formula_and_no_number_from_text(tmp_path):
    target = tmp_path / "out.xlsx"

    write_xlsx(str(target), COLUMNS, [("00123", "=1+1")], sheet_name="s")

    book = openpyxl.load_workbook(io.BytesIO(target.read_bytes()))
    sheet = book.active
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == "00123"
    assert sheet["B2"].data_type == "s"
    assert sheet["B2"].value == "'=1+1"


def test_rows_past_the_limit_go_on_in_new_sheets_with_the_header(tmp_path):
    # given a limit of 3 rows a sheet: the header and two rows
    rows = [(f"人{index}", index) for index in range(5)]
    target = tmp_path / "out.xlsx"

    # when
    written = write_xlsx(str(target), COLUMNS, iter(rows), sheet_name="花名册", max_rows=3)

    # then
    sheets = read_xlsx(target.read_bytes())
    assert written == 5
    assert list(sheets) == ["花名册", "花名册（2）", "花名册（3）"]
    assert sheets["花名册"] == [["姓名", "时长"], ["人0", 0], ["人1", 1]]
    assert sheets["花名册（2）"] == [["姓名", "时长"], ["人2", 2], ["人3", 3]]
    assert sheets["花名册（3）"] == [["姓名", "时长"], ["人4", 4]]


def test_an_exact_multiple_of_the_limit_adds_no_empty_sheet(tmp_path):
    target = tmp_path / "out.xlsx"

    write_xlsx(str(target), COLUMNS, [("a", 1), ("b", 2)], sheet_name="s", max_rows=3)

    assert list(read_xlsx(target.read_bytes())) == ["s"]


def test_no_rows_give_the_header_alone(tmp_path):
    target = tmp_path / "out.xlsx"

    assert write_xlsx(str(target), COLUMNS, [], sheet_name="s") == 0

    assert read_xlsx(target.read_bytes()) == {"s": [["姓名", "时长"]]}


def test_a_sheet_name_excel_forbids_is_made_safe(tmp_path):
    target = tmp_path / "out.xlsx"

    write_xlsx(str(target), COLUMNS, [("a", 1), ("b", 2)], sheet_name="a/b:c" * 10, max_rows=2)

    names = list(read_xlsx(target.read_bytes()))
    assert names[0] == ("a_b_c" * 10)[:31]
    assert names[1].endswith("（2）")
    assert len(names[1]) <= 31


def test_a_limit_below_two_rows_is_refused(tmp_path):
    with pytest.raises(ValueError, match="header"):
        write_xlsx(str(tmp_path / "x.xlsx"), COLUMNS, [], sheet_name="s", max_rows=1)


def test_the_csv_is_streamed_with_a_byte_order_mark_and_neutralised():
    # given rows made lazily: none is read before the response is
    read: list[int] = []

    def rows():
        for index, text in enumerate(DANGEROUS):
            read.append(index)
            yield (text, index)

    # when
    response = csv_response("roster.csv", COLUMNS, rows())

    # then
    assert isinstance(response, StreamingHttpResponse)
    assert read == []
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="roster.csv"'
    body = response.getvalue().decode("utf-8")
    assert body.startswith("\ufeff姓名,时长\r\n")
    parsed = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert [line[0] for line in parsed[1:]] == ["'" + text for text in DANGEROUS]
    assert read == list(range(len(DANGEROUS)))


def test_csv_quotes_separators_and_quotes():
    lines = list(csv_lines(COLUMNS, [('a,"b"', None), ("c", datetime.date(2026, 1, 2))]))

    assert lines[1] == '"a,""b""",\r\n'
    assert lines[2] == "c,2026-01-02\r\n"


def test_the_xlsx_response_streams_a_finished_file():
    response = xlsx_response("roster 名册.xlsx", COLUMNS, [("=1", 2)], sheet_name="s")

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "roster_" in response["Content-Disposition"]
    assert read_xlsx(response.getvalue()) == {"s": [["姓名", "时长"], ["'=1", 2]]}
