"""台账: the task ledger as an Excel sheet (openpyxl), one row per task.

Frozen header and an auto filter over every column, so a coordinator can sort and filter
by department or status straight away. The numbers are the dashboard's (working-day overdue,
counting units marked), and 最新反馈 is the department's own latest report.

The sheet is data only: every text a person or a plan supplied is written as a string cell,
and one that Excel or WPS would read as a formula or a DDE call (starting with = + - @, a
tab or a carriage return) is prefixed with an apostrophe, as OWASP recommends for CSV/Excel
injection — a contact's reply `=HYPERLINK(...)` must never become a live link or command.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.reports.data import ReportData, status_label

HEADER: tuple[str, ...] = (
    "编号",
    "类型",
    "所属措施",
    "事项",
    "牵头单位",
    "配合单位",
    "截止日期",
    "状态",
    "逾期工作日",
    "计入统计",
    "最新反馈",
    "反馈时间",
    "反馈人",
)
_WIDTHS = (8, 6, 8, 60, 16, 30, 12, 10, 10, 8, 40, 17, 14)
_OVERDUE_FILL = PatternFill("solid", fgColor="FFCDD2")
_DUE_COLUMN = HEADER.index("截止日期") + 1
# Leading characters spreadsheet programs treat as the start of a formula or DDE payload.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A text that can never be read as a formula (OWASP: prefix such cells with ')."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _put(ws: Any, row: int, column: int, value: object) -> None:
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = neutralise(value)
        cell.data_type = "s"  # a string cell, whatever openpyxl guessed from its first character
    else:
        cell.value = value


def build_ledger(data: ReportData) -> bytes:
    """The 台账 as .xlsx bytes."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "台账"
    for c, title in enumerate(HEADER, start=1):
        _put(ws, 1, c, title)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for r, t in enumerate(data.tasks, start=2):
        reply = data.last_reply.get(t.pk)
        due: date | None = t.due
        values: list[object] = [
            t.id,
            "措施" if t.kind == "measure" else "节点",
            t.measure_id,
            t.label,
            t.lead or "",
            "、".join(t.cooperating),
            due,
            status_label(t.status),
            t.overdue_days,
            "是" if t.tracked else "否（按节点计）",
            reply.text if reply else "",
            reply.at_local if reply else "",
            reply.actor if reply else "",
        ]
        for c, value in enumerate(values, start=1):
            _put(ws, r, c, value)
        if t.overdue_days:
            for cell in ws[r]:
                cell.fill = _OVERDUE_FILL
    for i, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=2, min_col=_DUE_COLUMN, max_col=_DUE_COLUMN):
        row[0].number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADER))}{ws.max_row}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
