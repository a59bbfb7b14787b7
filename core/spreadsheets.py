"""The one exporter of rows to Excel (.xlsx) and CSV, for every export of the portal.

A caller describes its columns once (``Column``: a header and a function of the row) and
passes the rows as an iterable, typically its scoped queryset's
``.iterator(chunk_size=...)``: rows are written one at a time and never held together.
Scoping and masking are the caller's job; what this module guarantees is

- constant memory: XlsxWriter's ``constant_memory`` mode writes each row to a temporary
  file as it comes, and the response streams the finished file from disk; CSV is streamed
  to the client as it is made (StreamingHttpResponse);
- no formula injection (OWASP, "CSV Injection"): every text cell that begins with
  ``= + - @``, a tab or a carriage return (or their full-width forms, which a Chinese
  spreadsheet may take for the same) gets a leading apostrophe, in both formats; text is
  written to Excel as text, never parsed as a formula or a number;
- Excel's limit: past ``max_rows`` rows (1,048,576, the header included) the rows go on in
  a new sheet with the header again.
"""

from __future__ import annotations

import csv
import datetime
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, Generic, TypeVar

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

T = TypeVar("T")
Cell = str | int | float | Decimal | bool | datetime.date | datetime.datetime | None

# The most rows an Excel sheet holds, its header row included.
EXCEL_MAX_ROWS = 1_048_576
# The most characters an Excel cell holds.
EXCEL_MAX_CELL_CHARS = 32_767
EXCEL_MAX_SHEET_NAME = 31
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Excel opens a UTF-8 CSV as mojibake unless it starts with a byte-order mark.
CSV_BOM = "\ufeff"
# What makes a spreadsheet read a cell as a formula (OWASP), and the full-width forms.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column of an export: its header (text for people, already translated) and the
    function that gives a row's cell."""

    header: str
    value: Callable[[T], Cell]


def neutralise(text: str) -> str:
    """``text`` as a cell no spreadsheet runs as a formula."""
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _text(value: Cell) -> str:
    """A cell as CSV text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def csv_lines(columns: Sequence[Column[T]], rows: Iterable[T]) -> Iterator[str]:
    """The CSV text of ``rows``, a line at a time: the byte-order mark and the header first."""

    class _Line:
        # csv.writer writes into anything with write(); it hands back each line.
        def write(self, line: str) -> str:
            return line

    writer = csv.writer(_Line())
    yield CSV_BOM + writer.writerow([column.header for column in columns])
    for row in rows:
        yield writer.writerow([_text(column.value(row)) for column in columns])


def csv_response(
    filename: str, columns: Sequence[Column[T]], rows: Iterable[T]
) -> StreamingHttpResponse:
    """A download of ``rows`` as CSV (UTF-8 with a byte-order mark), streamed as it is made:
    the rows are read while the client receives them."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(columns, rows)),
        content_type=CSV_CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{_ascii(filename)}"'
    return response


def _ascii(filename: str) -> str:
    # Callers name downloads in ASCII; anything else becomes an underscore rather than a
    # broken header.
    return re.sub(r"[^A-Za-z0-9._-]", "_", filename)


def _sheet_name(base: str, number: int) -> str:
    name = _SHEET_NAME_FORBIDDEN.sub("_", base).strip("'") or "Sheet"
    if number == 1:
        return name[:EXCEL_MAX_SHEET_NAME]
    suffix = f"（{number}）"
    return name[: EXCEL_MAX_SHEET_NAME - len(suffix)] + suffix


def write_xlsx(
    target: str | IO[bytes],
    columns: Sequence[Column[T]],
    rows: Iterable[T],
    *,
    sheet_name: str,
    max_rows: int = EXCEL_MAX_ROWS,
) -> int:
    """Write ``rows`` to an .xlsx file at ``target`` (a path or a binary file) and return how
    many rows were written. Each sheet holds the header and up to ``max_rows - 1`` rows; the
    rows past that go on in a new sheet, named after the first with its number."""
    if max_rows < 2:
        raise ValueError("a sheet holds the header and at least one row")
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            # Text stays text: no number, date or URL guessing on any cell.
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    header_format = workbook.add_format({"bold": True})
    sheets = 0
    written = 0
    sheet: Any = None
    line = max_rows  # forces the first sheet
    try:
        for row in rows:
            if line >= max_rows:
                sheets += 1
                sheet = _new_sheet(
                    workbook, columns, _sheet_name(sheet_name, sheets), header_format
                )
                line = 1
            for index, column in enumerate(columns):
                _write_cell(sheet, line, index, column.value(row))
            line += 1
            written += 1
        if sheets == 0:
            _new_sheet(workbook, columns, _sheet_name(sheet_name, 1), header_format)
    finally:
        workbook.close()
    return written


def _new_sheet(workbook: Any, columns: Sequence[Column[Any]], name: str, header: Any) -> Any:
    sheet = workbook.add_worksheet(name)
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.header, header)
    return sheet


def _write_cell(sheet: Any, line: int, index: int, value: Cell) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(line, index, value)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(line, index, float(value))
    elif isinstance(value, str):
        sheet.write_string(line, index, neutralise(value)[:EXCEL_MAX_CELL_CHARS])
    else:
        sheet.write_string(line, index, _text(value))


def xlsx_response(
    filename: str,
    columns: Sequence[Column[T]],
    rows: Iterable[T],
    *,
    sheet_name: str,
    max_rows: int = EXCEL_MAX_ROWS,
) -> FileResponse:
    """A download of ``rows`` as .xlsx: written to a temporary file (an .xlsx is a zip, whole
    only when finished), then streamed from it; the file goes when the response closes."""
    # FileResponse closes the file when the response is done with it.
    handle = tempfile.TemporaryFile()
    try:
        write_xlsx(handle, columns, rows, sheet_name=sheet_name, max_rows=max_rows)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return FileResponse(
        handle, as_attachment=True, filename=_ascii(filename), content_type=XLSX_CONTENT_TYPE
    )
