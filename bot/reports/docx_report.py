"""督办通报: the Word report a coordinator forwards (python-docx).

Title, date, summary figures, a chart of completion by department, the overdue list by
department and the status of every measure. Built from `ReportData` alone (no queries).
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table

from bot.reports.chart import completion_chart
from bot.reports.data import STATUS_ORDER, ReportData, completion, status_label

# Word falls back to a Latin font for Chinese unless East Asian text has its own font.
_CJK_FONT = "宋体"
_HEADING_FONT = "黑体"
_SUMMARY_TITLE = "一、总体情况"
_DEPT_TITLE = "二、各单位完成情况"
_OVERDUE_TITLE = "三、逾期事项"
_MEASURES_TITLE = "四、各项措施进展"


def _cjk(style_or_run: object, name: str) -> None:
    element = style_or_run.element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _styles(doc: DocxDocument) -> None:
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    _cjk(normal, _CJK_FONT)
    for name in ("Title", "Heading 1", "Heading 2"):
        _cjk(doc.styles[name], _HEADING_FONT)
    doc.styles["Title"].font.size = Pt(22)  # one line for a typical plan title


def _table(
    doc: DocxDocument, header: list[str], rows: list[list[str]], widths: list[float] | None = None
) -> Table:
    """A grid table; `widths` in cm (Word wants the width on every cell, not the column)."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Table Grid"]
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    if widths:
        table.autofit = False
        for column, w in zip(table.columns, widths, strict=True):
            column.width = Cm(w)  # the grid: what LibreOffice and WPS read
        for tr in table.rows:
            for cell, w in zip(tr.cells, widths, strict=True):
                cell.width = Cm(w)
    return table


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def summary_lines(data: ReportData) -> list[tuple[str, str]]:
    """The figures at the top of the report, as (label, value) pairs."""
    measures = len(data.measures)
    lines = [
        ("任务总数", f"{data.total}项（措施{measures}项、节点{data.total - measures}项）"),
    ]
    lines += [(status_label(s), f"{data.count(s)}项") for s in STATUS_ORDER]
    lines += [
        ("逾期", f"{len(data.overdue)}项"),
        ("完成率（已销号）", f"{data.completion:.1f}%"),
    ]
    return lines


def build_briefing(data: ReportData) -> bytes:
    """The 督办通报 as .docx bytes."""
    doc = Document()
    _styles(doc)
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2.2)
    title = doc.add_heading(f"{data.title}督办通报", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    dated = doc.add_paragraph(f"截至{data.as_of.year}年{data.as_of.month}月{data.as_of.day}日")
    dated.alignment = WD_ALIGN_PARAGRAPH.CENTER

    doc.add_heading(_SUMMARY_TITLE, level=1)
    doc.add_paragraph(
        f"截至{data.as_of.isoformat()}，共有督办任务{data.total}项，已销号"
        f"{data.count('closed')}项，已报完成待销号{data.count('reported')}项，"
        f"逾期未完成{len(data.overdue)}项，完成率{data.completion:.1f}%。"
    )
    _table(doc, ["指标", "数值"], [list(p) for p in summary_lines(data)], widths=[5.0, 11.6])

    doc.add_heading(_DEPT_TITLE, level=1)
    doc.add_picture(io.BytesIO(completion_chart(data)), width=Cm(16))
    rows = [
        [
            d.department,
            str(d.total),
            str(d.closed),
            str(d.overdue),
            f"{completion(d.closed, d.total):.1f}%",
        ]
        for d in data.departments
    ]
    _table(doc, ["牵头单位", "牵头任务", "已销号", "逾期", "完成率"], rows)

    doc.add_heading(_OVERDUE_TITLE, level=1)
    groups = data.overdue_by_department()
    if not groups:
        doc.add_paragraph("无逾期事项。")
    for dept, tasks in groups.items():
        doc.add_heading(f"{dept}（{len(tasks)}项）", level=2)
        _table(
            doc,
            ["编号", "事项", "截止日期", "逾期天数", "状态"],
            [
                [
                    t.id,
                    _short(t.text),
                    t.due.isoformat() if t.due else "",
                    str(t.overdue_days),
                    status_label(t.status),
                ]
                for t in tasks
            ],
            widths=[1.4, 8.3, 2.7, 1.8, 2.4],
        )

    doc.add_heading(_MEASURES_TITLE, level=1)
    rows = []
    for m in data.measures:
        reply = data.last_reply.get(m.pk)
        rows.append(
            [
                m.id,
                _short(m.title or m.text, 30),
                m.lead or "",
                m.due.isoformat() if m.due else "",
                status_label(m.status) + (f"（逾期{m.overdue_days}天）" if m.overdue_days else ""),
                _short(reply.text, 40) if reply else "",
            ]
        )
    _table(
        doc,
        ["编号", "措施", "牵头单位", "截止日期", "状态", "最新反馈"],
        rows,
        widths=[1.2, 4.3, 2.8, 2.7, 2.6, 3.0],
    )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
