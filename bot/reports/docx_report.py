"""督办通报: the Word report a coordinator forwards (python-docx), laid out as a 公文.

GB/T 9704-2012 where it applies to a 通报: A4, margins 37 mm top / 35 mm bottom / 28 mm left /
26 mm right (a 156 × 225 mm text block), title in 小标宋 (黑体 where it is missing) 2号 centred,
body 仿宋 3号 at a fixed 28.9 pt line (22 lines a page), 一级标题 黑体 "一、", 二级标题 楷体
"（一）", page numbers "— 1 —" in 宋体 4号 at the foot.

Tables: a header row that repeats on every page, rows that never split across pages, and the
heading plus the first rows kept with each other so a table never starts at a page's last
line. Tasks are named by their short title (a measure's title, a milestone's sentence cut to
size), ids never wrap, and 最新反馈 is the department's own latest report (reports/data.py).
Built from `ReportData` alone (no queries).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from bot.reports.chart import completion_chart
from bot.reports.data import STATUS_ORDER, ReportData, status_label
from bot.rules import overdue as od
from bot.rules.completion import CLOSED_RATE_NAME, REPORTED_RATE_NAME

# Chinese font names as government offices have them; LibreOffice/WPS substitute by class.
TITLE_FONT = "方正小标宋简体"
TITLE_FALLBACK = "黑体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
# 字号: 2号 22 pt, 3号 16 pt, 4号 14 pt, 小四 12 pt, 五号 10.5 pt.
TITLE_SIZE = Pt(22)
BODY_SIZE = Pt(16)
PAGE_NUMBER_SIZE = Pt(14)
TABLE_SIZE = Pt(10.5)
# 225 mm / 22 lines.
BODY_LINE = Pt(28.9)
TEXT_WIDTH_CM = 15.6
BLACK = RGBColor(0, 0, 0)

_SUMMARY_TITLE = "一、总体情况"
_DEPT_TITLE = "二、各单位完成情况"
_OVERDUE_TITLE = "三、逾期事项"
_MEASURES_TITLE = "四、各项措施进展"
_CN_ORDINALS = "一二三四五六七八九十"


def _fonts(target: object, east_asia: str, latin: str = "Times New Roman") -> None:
    """Set the East Asian font (Word falls back to a Latin font for Chinese otherwise)."""
    element = target.element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)


def _page(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "— ", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    _page_field(footer)
    _run(footer, " —", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)


def _page_field(paragraph: Paragraph) -> None:
    run = _run(paragraph, "", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), ("end", None)):
        if kind is not None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _styles(doc: DocxDocument) -> None:
    normal = doc.styles["Normal"]
    normal.font.size = BODY_SIZE
    _fonts(normal, BODY_FONT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = BODY_LINE
    fmt.space_before = fmt.space_after = Pt(0)


def _run(paragraph: Paragraph, text: str, font: str, size: Pt, bold: bool = False) -> Run:
    run = paragraph.add_run(text)
    run.font.size = size
    run.bold = bold
    _fonts(run, font)
    return run


def _title(doc: DocxDocument, text: str) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.line_spacing = Pt(35)
    p.paragraph_format.keep_with_next = True
    run = _run(p, text, TITLE_FONT, TITLE_SIZE)
    # 小标宋 where installed, else 黑体: name the fallback for the Latin/complex slots.
    rfonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:cs"), TITLE_FALLBACK)


def _body(doc: DocxDocument, text: str, *, indent: bool = True) -> Paragraph:
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(32)  # two characters of 3号
    _run(p, text, BODY_FONT, BODY_SIZE)
    return p


def _heading(doc: DocxDocument, text: str, *, level: int = 1) -> Paragraph:
    """一、 in 黑体, （一） in 楷体, both 3号, indented two characters, kept with what follows."""
    p = doc.add_paragraph(style=doc.styles["Heading 1" if level == 1 else "Heading 2"])
    p.paragraph_format.first_line_indent = Pt(32)
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    p.paragraph_format.line_spacing = BODY_LINE
    run = _run(p, text, HEADING_FONT if level == 1 else SUBHEADING_FONT, BODY_SIZE)
    run.font.color.rgb = BLACK  # Word's heading blue is no 公文's
    return p


def _row_props(row: object, *, header: bool) -> None:
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    cant = OxmlElement("w:cantSplit")
    tr_pr.append(cant)
    if header:
        el = OxmlElement("w:tblHeader")
        tr_pr.append(el)


def _no_wrap(cell: object) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    tc_pr.append(OxmlElement("w:noWrap"))


def _cell_text(cell: object, text: str, *, bold: bool = False, keep: bool = False) -> None:
    p = cell.paragraphs[0]  # type: ignore[attr-defined]
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.first_line_indent = Pt(0)
    p.paragraph_format.keep_with_next = keep
    _run(p, text, BODY_FONT, TABLE_SIZE, bold=bold)


def _table(
    doc: DocxDocument,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    no_wrap: Sequence[int] = (0,),
) -> Table:
    """A grid table, `widths` in cm (summing to the text width), header repeated per page.

    `no_wrap` columns (ids, dates, figures) never break inside a value. The header and the
    first two rows are kept together, so a table never starts on a page's last line.
    """
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _row_props(table.rows[0], header=True)
    for i, (cell, text) in enumerate(zip(table.rows[0].cells, header, strict=True)):
        _cell_text(cell, text, bold=True, keep=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        if i in no_wrap:
            _no_wrap(cell)
    for n, row in enumerate(rows):
        tr = table.add_row()
        _row_props(tr, header=False)
        for i, (cell, text) in enumerate(zip(tr.cells, row, strict=True)):
            _cell_text(cell, text, keep=n < 2 and n < len(rows) - 1)
            if i in no_wrap:
                _no_wrap(cell)
    for column, w in zip(table.columns, widths, strict=True):
        column.width = Cm(w)  # the grid: what LibreOffice and WPS read
    for tr in table.rows:
        for cell, w in zip(tr.cells, widths, strict=True):
            cell.width = Cm(w)
    return table


def short(text: str, n: int = 30) -> str:
    """A task as a reader recognises it: at most `n` characters, never the whole paragraph."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _date(d: object) -> str:
    return d.isoformat() if d is not None else "未明确"  # type: ignore[attr-defined]


def summary_lines(data: ReportData) -> list[tuple[str, str]]:
    """The figures of 一、总体情况, as (label, value) pairs — the dashboard's numbers."""
    done = data.done
    lines = [("任务总数", f"{data.total}项")]
    lines += [(status_label(s), f"{data.count(s)}项") for s in STATUS_ORDER]
    lines += [
        ("逾期", f"{len(data.overdue)}项"),
        (f"完成率（{CLOSED_RATE_NAME}）", f"{done.closed_rate:.1f}%"),
        (REPORTED_RATE_NAME, f"{done.reported_rate:.1f}%"),
    ]
    return lines


def build_briefing(data: ReportData) -> bytes:
    """The 督办通报 as .docx bytes."""
    doc = Document()
    _page(doc)
    _styles(doc)
    _title(doc, f"{data.title}督办通报")
    dated = _body(
        doc, f"（截至{data.as_of.year}年{data.as_of.month}月{data.as_of.day}日）", indent=False
    )
    dated.alignment = WD_ALIGN_PARAGRAPH.CENTER
    done = data.done
    measures = len(data.measures)

    _heading(doc, _SUMMARY_TITLE)
    _body(
        doc,
        f"截至{data.as_of.year}年{data.as_of.month}月{data.as_of.day}日，共有督办任务"
        f"{data.total}项（有节点的措施按节点计，共涉及措施{measures}项），已销号"
        f"{data.count('closed')}项，已报完成待销号{data.count('reported')}项，"
        f"逾期未完成{len(data.overdue)}项，完成率（{CLOSED_RATE_NAME}）"
        f"{done.closed_rate:.1f}%，{REPORTED_RATE_NAME}{done.reported_rate:.1f}%。"
        f"逾期按工作日计算。",
    )
    _table(doc, ["指标", "数值"], [list(p) for p in summary_lines(data)], [7.8, 7.8], no_wrap=(1,))

    _heading(doc, _DEPT_TITLE)
    _body(doc, "各单位只统计其牵头的任务；配合任务由牵头单位统计。")
    rows = [
        [
            d.department,
            str(d.total),
            str(d.closed),
            str(d.by_status.get("reported", 0)),
            str(d.overdue),
            f"{d.completion.closed_rate:.1f}%",
        ]
        for d in data.departments
    ]
    _table(
        doc,
        ["牵头单位", "牵头任务", "已销号", "已报完成", "逾期", CLOSED_RATE_NAME],
        rows,
        [4.6, 2.2, 2.2, 2.2, 2.0, 2.4],
        no_wrap=(1, 2, 3, 4, 5),
    )
    # The chart after the table: the figures a reader checks first stay on the first page.
    doc.add_picture(io.BytesIO(completion_chart(data)), width=Cm(TEXT_WIDTH_CM))
    # An exact 28.9 pt line would clip the picture to one line's height.
    picture = doc.paragraphs[-1].paragraph_format
    picture.line_spacing_rule = WD_LINE_SPACING.SINGLE

    _heading(doc, _OVERDUE_TITLE)
    groups = data.overdue_by_department()
    if not groups:
        _body(doc, "无逾期事项。")
    for i, (dept, tasks) in enumerate(groups.items()):
        ordinal = _CN_ORDINALS[i] if i < len(_CN_ORDINALS) else str(i + 1)
        _heading(doc, f"（{ordinal}）{dept}（{len(tasks)}项）", level=2)
        _table(
            doc,
            ["编号", "事项", "截止日期", "逾期工作日", "状态"],
            [
                [
                    t.id,
                    short(t.label, 28),
                    _date(t.due),
                    str(t.overdue_days),
                    status_label(t.status),
                ]
                for t in tasks
            ],
            [1.5, 6.9, 2.6, 2.4, 2.2],
            no_wrap=(0, 2, 3, 4),
        )

    _heading(doc, _MEASURES_TITLE)
    rows = []
    for m in data.measures:
        reply = data.latest_reply_under(m)
        late = f"\n逾期{m.overdue_days}{od.UNIT}" if m.overdue_days else ""
        rows.append(
            [
                m.id,
                short(m.title or m.label, 14),
                m.lead or "",
                _date(m.due),
                status_label(m.status) + late,
                short(reply.text, 20) if reply else "",
            ]
        )
    _table(
        doc,
        ["编号", "措施", "牵头单位", "截止日期", "状态", "最新反馈"],
        rows,
        [1.3, 2.8, 3.1, 2.4, 3.4, 2.6],
        no_wrap=(0, 2, 3),
    )
    signed = _body(doc, f"{data.as_of.year}年{data.as_of.month}月{data.as_of.day}日", indent=False)
    signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signed.paragraph_format.space_before = BODY_LINE
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
