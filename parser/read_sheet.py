"""Task lists kept as spreadsheets (任务分工表 .xlsx, .csv) -> the same `Table` blocks a
.docx gives, so the task-table logic (parser/tables.py) applies unchanged.

The columns are found by their header names in any order (parser/columns.py). A title
row above the header (one merged cell across the sheet) becomes the document's title
paragraph. In an .xlsx a merged cell's value fills every cell of its range — down (a lead
unit shared by several rows) and across (a group row "一、…" spanning the sheet) — read
from the sheet's <mergeCell> list, since openpyxl's read-only mode does not expose it.
Every reader limit applies (parser/limits.py, parser/safezip.py). A data row with a task
but no responsible unit refuses the file, naming the sheet and row number as Excel shows.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import ParseError as XmlError

from defusedxml.ElementTree import iterparse

from parser.blocks import Block, Paragraph, Table
from parser.columns import TaskColumns, recognise
from parser.errors import ParseError
from parser.limits import (
    MAX_CELL_CHARS,
    MAX_SPAN,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    check,
)
from parser.safezip import open_zip

_HEADER_WITHIN = 10  # rows above the header: a title, a date line, blank rows
_MAX_SHEETS = 50
_MAX_LISTED = 10  # bad rows named in one message
_MERGE = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"


def is_xlsx(names: Iterable[str]) -> bool:
    return "xl/workbook.xml" in set(names)


def _text(value: Any) -> str:
    """A cell as the plan's text: dates in Chinese (the deadline reader's words), whole
    numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _check_row(name: str, n: int, cells: Sequence[str]) -> None:
    check(name, "table rows", n, MAX_TABLE_ROWS)
    check(name, "table columns", len(cells), MAX_TABLE_COLUMNS)
    for cell in cells:
        check(name, "table cell length (characters)", len(cell), MAX_CELL_CHARS)


def _merges(archive: zipfile.ZipFile, member: str, name: str) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row), 1-based, of each merged range of one sheet."""
    from openpyxl.utils.cell import range_boundaries

    out: list[tuple[int, int, int, int]] = []
    try:
        with archive.open(member) as part:
            for _event, el in iterparse(part, events=("end",)):
                if el.tag == _MERGE:
                    c1, r1, c2, r2 = range_boundaries(el.get("ref", ""))
                    if None in (c1, r1, c2, r2):
                        continue
                    assert c1 and r1 and c2 and r2
                    check(name, "merged cell span", max(c2 - c1, r2 - r1) + 1, MAX_SPAN * 16)
                    out.append((c1, r1, c2, r2))
                el.clear()  # a sheet's cells are not kept: only the merge list matters
    except (KeyError, XmlError, ValueError, TypeError):
        raise ParseError(f"{name}: broken worksheet {member}") from None
    return out


def _fill(rows: list[list[str]], merges: list[tuple[int, int, int, int]]) -> None:
    for c1, r1, c2, r2 in merges:
        if r1 > len(rows):
            continue
        top = rows[r1 - 1][c1 - 1] if c1 - 1 < len(rows[r1 - 1]) else ""
        for r in range(r1, min(r2, len(rows)) + 1):
            row = rows[r - 1]
            if len(row) < c2:
                row.extend([""] * (c2 - len(row)))
            for c in range(c1, c2 + 1):
                row[c - 1] = top


def read_xlsx(data: bytes, name: str) -> list[Block]:
    """Every sheet's task table (sheets without one give their rows as a plain table)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    with open_zip(data, name, ".xlsx") as archive:
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as e:
            raise ParseError(
                f"{name}: not a readable .xlsx workbook ({type(e).__name__})"
            ) from None
        try:
            check(name, "worksheets", len(wb.worksheets), _MAX_SHEETS)
            blocks: list[Block] = []
            for ws in wb.worksheets:
                rows: list[list[str]] = []
                for values in ws.iter_rows(values_only=True):
                    cells = [_text(v) for v in values]
                    while cells and not cells[-1]:
                        cells.pop()
                    _check_row(name, len(rows) + 1, cells)
                    rows.append(cells)
                path = getattr(ws, "_worksheet_path", None)
                if path:
                    _fill(rows, _merges(archive, str(path), name))
                blocks += sheet_blocks(rows, f"{name} [{ws.title}]")
            return blocks
        except ParseError:
            raise
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as e:
            raise ParseError(
                f"{name}: not a readable .xlsx workbook ({type(e).__name__})"
            ) from None
        finally:
            wb.close()


def read_csv(text: str, name: str) -> list[Block]:
    """A task list saved as CSV (already decoded: UTF-8 or GB18030)."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text))
    try:
        for raw in reader:
            cells = [" ".join(c.split()) for c in raw]
            while cells and not cells[-1]:
                cells.pop()
            _check_row(name, len(rows) + 1, cells)
            rows.append(cells)
    except csv.Error as exc:
        raise ParseError(f"{name}: row {reader.line_num}: unreadable CSV ({exc})") from None
    return sheet_blocks(rows, name)


def sheet_blocks(rows: list[list[str]], where: str) -> list[Block]:
    """Title rows above the header as paragraphs, then the table from the header down."""
    header_at = next(
        (i for i, r in enumerate(rows[:_HEADER_WITHIN]) if recognise(tuple(r)) is not None),
        None,
    )
    if header_at is None:
        body = [r for r in rows if any(r)]
        return [Table(tuple(tuple(r) for r in body))] if body else []
    cols = recognise(tuple(rows[header_at]))
    assert cols is not None
    _check_data_rows(rows, header_at, cols, where)
    width = max(len(r) for r in rows[header_at:])
    blocks: list[Block] = []
    for r in rows[:header_at]:
        words = list(dict.fromkeys(c for c in r if c))
        if words:
            blocks.append(Paragraph(" ".join(words)))
    table = [tuple(r + [""] * (width - len(r))) for r in rows[header_at:] if any(r)]
    blocks.append(Table(tuple(table)))
    return blocks


def _check_data_rows(rows: list[list[str]], header_at: int, cols: TaskColumns, where: str) -> None:
    """A row that gives a task but no unit to do it: refuse, naming the rows (as numbered
    in Excel: the first row is 1)."""

    def cell(r: list[str], i: int | None) -> str:
        return r[i] if i is not None and i < len(r) else ""

    bad: list[int] = []
    for n, r in enumerate(rows[header_at + 1 :], start=header_at + 2):
        filled = [c for c in r if c]
        if len(set(filled)) <= 1:
            continue  # blank, or a group row ("一、…" across the sheet)
        if cell(r, cols.task) and not (cell(r, cols.lead) or cell(r, cols.resp)):
            bad.append(n)
    if bad:
        listed = "、".join(str(n) for n in bad[:_MAX_LISTED])
        more = f" (and {len(bad) - _MAX_LISTED} more)" if len(bad) > _MAX_LISTED else ""
        raise ParseError(f"{where}: row {listed}{more}: a task without a lead unit (牵头单位)")
