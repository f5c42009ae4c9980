"""台账: the task ledger as an Excel sheet (openpyxl), one row per task.

Frozen header and an auto filter over every column, so a coordinator can sort and filter
by department or status straight away.
"""

from __future__ import annotations

import io

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
    "逾期天数",
    "最新反馈",
    "反馈时间",
    "反馈人",
)
_WIDTHS = (8, 6, 8, 60, 16, 30, 12, 10, 8, 40, 17, 14)
_OVERDUE_FILL = PatternFill("solid", fgColor="FFCDD2")


def build_ledger(data: ReportData) -> bytes:
    """The 台账 as .xlsx bytes."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "台账"
    ws.append(list(HEADER))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for t in data.tasks:
        reply = data.last_reply.get(t.pk)
        ws.append(
            [
                t.id,
                "措施" if t.kind == "measure" else "节点",
                t.measure_id,
                t.label,
                t.lead or "",
                "、".join(t.cooperating),
                t.due,
                status_label(t.status),
                t.overdue_days,
                reply.text if reply else "",
                reply.at_local if reply else "",
                reply.actor if reply else "",
            ]
        )
        if t.overdue_days:
            for cell in ws[ws.max_row]:
                cell.fill = _OVERDUE_FILL
    for i, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=2, min_col=7, max_col=7):
        row[0].number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADER))}{ws.max_row}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
