"""Build real plan files inside tests: .docx with python-docx, .pdf with reportlab.

Nothing here is checked in as a binary: every document a test parses is made
from text by the same libraries an office would use.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "taiyuan-energy-plan.txt"
CORPUS = ROOT / "tests" / "data" / "corpus"
# The console script installed beside the interpreter running the tests (any venv, any name).
TASKBOT = Path(sys.executable).with_name("taskbot")

# A table: header row, then rows; a row of one cell spans the whole width (a section row).
TableSpec = Sequence[Sequence[str]]


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def write_docx(
    path: Path,
    paragraphs: Sequence[str],
    tables: dict[int, TableSpec] | None = None,
    merge_down: Sequence[tuple[int, int, int, int]] = (),
) -> Path:
    """One paragraph per entry; `tables[i]` is inserted before paragraph i.

    `merge_down` holds (table index, column, first row, last row): the cells are
    merged vertically, the way Word writes a lead unit shared by several rows.
    """
    import docx

    document = docx.Document()
    built = []
    tables = tables or {}
    for i, para in enumerate([*paragraphs, None]):
        if i in tables:
            built.append(_add_table(document, tables[i]))
        if para is not None:
            document.add_paragraph(para)
    for t, col, first, last in merge_down:
        table = built[t]
        top = table.cell(first, col)
        for r in range(first + 1, last + 1):
            table.cell(r, col).text = ""
        text = top.text
        merged = top.merge(table.cell(last, col))
        merged.text = text
    document.save(str(path))
    return path


def _add_table(document: object, spec: TableSpec) -> object:
    width = max(len(r) for r in spec)
    table = document.add_table(rows=0, cols=width)  # type: ignore[attr-defined]
    for row in spec:
        cells = table.add_row().cells
        if len(row) == 1 and width > 1:
            merged = cells[0].merge(cells[width - 1])  # a section row spans the table
            merged.text = row[0]
            continue
        for cell, value in zip(cells, row, strict=False):
            cell.text = value
    return table


def cjk_ttf() -> Path | None:
    """A TrueType CJK font on this machine (fontconfig first, then known paths)."""
    known = [
        Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
        Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    ]
    if shutil.which("fc-list"):
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False
        ).stdout
        known += [Path(line.split(":")[0]) for line in out.splitlines() if line.strip()]
    for p in known:
        if p.suffix.lower() in (".ttf", ".ttc") and p.exists():
            return p
    return None


def cjk_font(font_file: Path | None, name: str) -> str:
    """Register a CJK font with reportlab: the built-in STSong-Light, or a TrueType file."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if font_file is None:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        return "STSong-Light"
    pdfmetrics.registerFont(TTFont(name, str(font_file)))
    return name


def write_pdf(
    path: Path, lines: Sequence[str], font_file: Path | None = None, page_numbers: bool = True
) -> Path:
    """Lay the lines out on A4 pages the way a word processor would: wrapped at
    the page width, so sentences break mid-word across lines and pages.

    Without `font_file` the text uses reportlab's built-in CID font STSong-Light.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = cjk_font(font_file, "PlanCJK")
    size, leading, margin = 10.5, 16, 56
    width, height = A4
    c = canvas.Canvas(str(path), pagesize=A4)
    page = 1

    def footer() -> None:
        # Government PDFs print "— 3 —" under every page; the reader must drop it.
        if page_numbers:
            c.setFont(font, size)
            c.drawCentredString(width / 2, margin / 2, f"— {page} —")

    c.setFont(font, size)
    y = height - margin
    for line in lines:
        for piece in _wrap(line, font, size, width - 2 * margin):
            if y < margin:
                footer()
                c.showPage()
                page += 1
                c.setFont(font, size)
                y = height - margin
            c.drawString(margin, y, piece)
            y -= leading
    footer()
    c.save()
    return path


def _wrap(line: str, font: str, size: float, room: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if not line.strip():
        return []
    out: list[str] = []
    cur = ""
    for ch in line:
        if cur and stringWidth(cur + ch, font, size) > room:
            out.append(cur)
            cur = ""
        cur += ch
    out.append(cur)
    return out


def write_numbered_docx(path: Path, items: Sequence[tuple[int | None, str]]) -> Path:
    """A .docx whose headings are Word auto-numbered lists, the labels not in the text.

    `items` are (level, text): level 0 is "一、", 1 is "（一）", 2 is "1.", None a body
    paragraph. The list definition is written into numbering.xml as Word does.
    """
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    document = docx.Document()
    numbering = document.part.numbering_part.element
    levels = [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"), ("decimal", "%3.")]
    lvl_xml = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels)
    )
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">{lvl_xml}</w:abstractNum>'
    )
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(
        parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>')
    )
    for level, text in items:
        para = document.add_paragraph(text)
        if level is not None:
            p_pr = para._p.get_or_add_pPr()
            p_pr.append(
                parse_xml(
                    f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/>'
                    '<w:numId w:val="90"/></w:numPr>'
                )
            )
    document.save(str(path))
    return path


def write_pdf_with_table(
    path: Path,
    before: Sequence[str],
    table: TableSpec,
    after: Sequence[str],
    valign: str = "TOP",
) -> Path:
    """A PDF as Word exports one: paragraphs, then a ruled table whose long cells wrap
    onto several lines and whose header repeats on every page, then paragraphs."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cjk", fontName="STSong-Light", fontSize=10.5, leading=16)
    cell = ParagraphStyle("cell", parent=style, wordWrap="CJK")
    width = max(len(r) for r in table)
    widths = {4: [40, 200, 90, 90], 5: [36, 170, 80, 110, 70]}.get(width, [460 / width] * width)
    data = []
    spans = []
    for r, row in enumerate(table):
        if len(row) == 1:
            data.append([Paragraph(row[0], cell)] + [""] * (width - 1))
            spans.append(("SPAN", (0, r), (width - 1, r)))
        else:
            data.append([Paragraph(v, cell) for v in row])
    grid = PdfTable(data, colWidths=widths, repeatRows=1)
    rules = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), valign)]
    grid.setStyle([*rules, *spans])
    story = [Paragraph(t, style) for t in before if t.strip()] + [Spacer(1, 8), grid]
    story += [Paragraph(t, style) for t in after if t.strip()]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path
