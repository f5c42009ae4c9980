"""Build plans in the other formats offices send, inside the tests, from the seed's text.

.doc/.wps by LibreOffice from a python-docx .docx; a portal's .html page (GB2312
declared, `&nbsp;` indents, a task table with rowspan/colspan); an OFD package laid
out per GB/T 33190 (OFD.xml → Document.xml → Pages/Page_N/Content.xml, text objects
placed in millimetres); an image-only "scanned" PDF from a text PDF's pages
rendered by pdfium. Nothing binary is checked in.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

from plan_files import cjk_font

from parser.blocks import Block, Paragraph, Table

# Real plans as published (the repository's copy; shared/ beside the clone before it).
_ROOT = Path(__file__).resolve().parents[1]
CORPUS = next(
    (
        p
        for p in (_ROOT / "tests" / "data" / "corpus", _ROOT.parent / "shared" / "corpus")
        if p.is_dir()
    ),
    _ROOT / "tests" / "data" / "corpus",
)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(source: Path, fmt: str, out_dir: Path) -> tuple[Path, float]:
    """LibreOffice converts `source` to `fmt` (doc, pdf …); returns the file and seconds."""
    exe = soffice()
    assert exe is not None
    with tempfile.TemporaryDirectory() as profile:
        t0 = time.monotonic()
        subprocess.run(
            [
                exe,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--convert-to",
                fmt,
                "--outdir",
                str(out_dir),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
            env={"HOME": profile, "PATH": "/usr/bin:/bin"},
        )
        seconds = time.monotonic() - t0
    return out_dir / f"{source.stem}.{fmt.split(':')[0]}", seconds


# ---------------------------------------------------------------- HTML


def portal_html(blocks: Sequence[Block], title: str, charset: str = "gb2312") -> str:
    """The page a government portal serves: nav, a layout table around the article,
    one <p> per paragraph indented with &nbsp;, task tables with merged cells."""
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            if not block.text.strip():
                continue
            body.append(
                f'<p style="text-indent:2em">&nbsp;&nbsp;&nbsp;&nbsp;{html.escape(block.text)}</p>'
            )
        else:
            body.append(table_html(block.rows))
    article = "\n".join(body)
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{html.escape(title)}_政策文件_人民政府门户网站</title>
<style>p {{ line-height: 2em; }}</style>
<script type="text/javascript">var _hmt = _hmt || []; document.write("<p>统计</p>");</script>
</head>
<body>
<table width="1000" align="center"><tr><td>
<div class="article"><div id="zoom" class="TRS_Editor">
{article}
</div></div>
</td></tr></table>
</body></html>
"""


def table_html(rows: Sequence[Sequence[str]]) -> str:
    """A table as Word's "save as web page" writes it: a row whose cells are all the
    same text is one cell with colspan; runs of the same text down a column
    (a lead unit shared by several rows) are one cell with rowspan."""
    width = max(len(r) for r in rows)
    grid = [list(r) + [""] * (width - len(r)) for r in rows]
    full = [len(set(r)) == 1 and width > 1 for r in grid]
    covered: set[tuple[int, int]] = set()
    out = ['<table border="1" cellspacing="0" cellpadding="0" class="MsoNormalTable">']
    for r, row in enumerate(grid):
        out.append("<tr>")
        if full[r]:
            out.append(f'<td colspan="{width}"><p><b>{html.escape(row[0])}</b></p></td></tr>')
            continue
        for c, text in enumerate(row):
            if (r, c) in covered:
                continue
            span = 1
            while (
                c > 0
                and text
                and r + span < len(grid)
                and not full[r + span]
                and grid[r + span][c] == text
            ):
                covered.add((r + span, c))
                span += 1
            attr = f' rowspan="{span}"' if span > 1 else ""
            tag = "th" if r == 0 else "td"
            out.append(f"<{tag}{attr}><p>{html.escape(text)}</p></{tag}>")
        out.append("</tr>")
    out.append("</table>")
    return "\n".join(out)


def text_blocks(text: str) -> list[Block]:
    return [Paragraph(line) for line in text.split("\n")]


def tables_of(blocks: Sequence[Block]) -> list[Table]:
    return [b for b in blocks if isinstance(b, Table)]


# ---------------------------------------------------------------- OFD

_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
_PAGE_W, _PAGE_H, _MARGIN, _SIZE, _LEADING = 210.0, 297.0, 25.0, 3.7, 6.0


def write_ofd(path: Path, lines: Sequence[str], per_char: bool = False) -> Path:
    """An OFD of `lines`, wrapped at the page width as a word processor lays them out.

    `per_char` places every character as its own TextObject, as many converters do.
    The seed's markdown bold (`**30**`) is a .txt habit: a fixed layout has a bold
    font instead, so the asterisks are not drawn.
    """
    lines = [line.replace("**", "") for line in lines]
    per_line = int((_PAGE_W - 2 * _MARGIN) // _SIZE)
    wrapped = [
        [(0.0, line[i : i + per_line])]
        for line in lines
        if line.strip()
        for i in range(0, len(line), per_line)
    ]
    return _write_placed(path, wrapped, per_char=per_char)


def write_ofd_table(
    path: Path, before: Sequence[str], table: Sequence[Sequence[str]], widths: Sequence[int]
) -> Path:
    """Paragraphs, then a task table drawn as an OFD converter draws Word's: each cell's
    text wrapped inside its column (`widths` in characters), the header repeated at
    the top of every page the table continues on."""
    per_line = int((_PAGE_W - 2 * _MARGIN) // _SIZE)
    placed: list[list[tuple[float, str]]] = [
        [(0.0, line[i : i + per_line])] for line in before for i in range(0, len(line), per_line)
    ]
    starts = [sum(widths[:k]) + k for k in range(len(widths))]  # one character between columns

    def row_lines(row: Sequence[str]) -> list[list[tuple[float, str]]]:
        cells = [
            [text[i : i + w] for i in range(0, len(text), w)] or [""]
            for text, w in zip(row, widths, strict=True)
        ]
        height = max(len(c) for c in cells)
        return [
            [(starts[k] * _SIZE, cells[k][n]) for k in range(len(cells)) if n < len(cells[k])]
            for n in range(height)
        ]

    rows_per_page = int((_PAGE_H - 2 * _MARGIN) // _LEADING)
    header = row_lines(table[0])
    page_fill = len(placed) % rows_per_page
    placed += header
    page_fill += len(header)
    for row in table[1:]:
        block = row_lines(row)
        if page_fill + len(block) > rows_per_page:
            # Pad to the page end, then the repeated header.
            placed += [[] for _ in range(rows_per_page - page_fill)]
            placed += header
            page_fill = len(header)
        placed += block
        page_fill += len(block)
    return _write_placed(path, placed, per_char=False)


def _write_placed(
    path: Path, placed: Sequence[Sequence[tuple[float, str]]], per_char: bool
) -> Path:
    """The OFD package: each entry of `placed` is one visual line of (x offset mm, text)."""
    rows = int((_PAGE_H - 2 * _MARGIN) // _LEADING)
    pages = [placed[i : i + rows] for i in range(0, len(placed), rows)] or [[]]
    object_id = 10
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {_NS} Version="1.0" DocType="OFD">'
            "<ofd:DocBody><ofd:DocInfo><ofd:DocID>0C1D4F7159954EEEDE517F7285E84DC4</ofd:DocID>"
            "<ofd:Creator>taskbot tests</ofd:Creator></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        page_refs = "".join(
            f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>'
            for i in range(len(pages))
        )
        z.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {_NS}><ofd:CommonData>'
            f"<ofd:MaxUnitID>999999</ofd:MaxUnitID><ofd:PageArea>"
            f"<ofd:PhysicalBox>0 0 {_PAGE_W} {_PAGE_H}</ofd:PhysicalBox></ofd:PageArea>"
            "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
            f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        z.writestr(
            "Doc_0/PublicRes.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {_NS} BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
        )
        for n, page in enumerate(pages):
            objects: list[str] = []
            for row, line in enumerate(page):
                y = _MARGIN + row * _LEADING
                for x_offset, text in line:
                    pieces = [(i, ch) for i, ch in enumerate(text)] if per_char else [(0, text)]
                    for offset, piece in pieces:
                        if not piece:
                            continue
                        object_id += 1
                        x = _MARGIN + x_offset + offset * _SIZE
                        width = _SIZE * len(piece)
                        delta = f' DeltaX="g {len(piece) - 1} {_SIZE}"' if len(piece) > 1 else ""
                        objects.append(
                            f'<ofd:TextObject ID="{object_id}" Boundary="{x:.2f} {y:.2f} '
                            f'{width:.2f} {_SIZE * 1.4:.2f}" Font="2" Size="{_SIZE}">'
                            f'<ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="{_SIZE}"'
                            f"{delta}>{html.escape(piece)}</ofd:TextCode></ofd:TextObject>"
                        )
            footer = (
                f'<ofd:TextObject ID="{object_id + 1}" Boundary="100 285 12 5" Font="2" '
                f'Size="{_SIZE}"><ofd:TextCode X="0" Y="{_SIZE}">— {n + 1} —</ofd:TextCode>'
                "</ofd:TextObject>"
            )
            object_id += 1
            z.writestr(
                f"Doc_0/Pages/Page_{n}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {_NS}><ofd:Content>'
                f'<ofd:Layer ID="{object_id + 1}">{"".join(objects)}{footer}</ofd:Layer>'
                "</ofd:Content></ofd:Page>",
            )
            object_id += 1
    return path


# ---------------------------------------------------------------- scans


def scan_pdf(
    text_pdf: Path, out: Path, dpi: int = 200, pages: Sequence[int] | None = None
) -> Path:
    """An image-only PDF: each page of `text_pdf` rendered to a greyscale bitmap, as a
    scanner would deliver it — no text layer left."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(text_pdf))
    indices = list(range(len(pdf))) if pages is None else list(pages)
    images = [pdf[i].render(scale=dpi / 72).to_pil().convert("L") for i in indices]
    pdf.close()
    images[0].save(out, save_all=True, append_images=images[1:], resolution=dpi)
    return out


# Chinese typesetting (避头尾): these never begin a line; Word and WPS pull the last
# character of the line above down with them. reportlab's plain wrap does not.
_NO_LINE_START = "）〕】》」』〉，。、；：？！”’%…—"


def write_typeset_pdf(path: Path, lines: Sequence[str], font_file: Path | None) -> Path:
    """The seed as a word processor prints it on A4: wrapped at the page width with
    避头尾 (no line starts with a closing bracket or a comma), page numbers below.

    The scan tests print with this: a page a real office scans was typeset so, and
    OCR cannot find a bracket standing alone at the start of a line.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = cjk_font(font_file, "PlanCJKTypeset")
    size, leading, margin = 10.5, 16, 56
    width, height = A4
    room = width - 2 * margin

    def wrap(line: str) -> list[str]:
        out: list[str] = []
        cur = ""
        for ch in line:
            if cur and stringWidth(cur + ch, font, size) > room:
                if ch in _NO_LINE_START and len(cur) > 1:
                    out.append(cur[:-1])
                    cur = cur[-1]
                else:
                    out.append(cur)
                    cur = ""
            cur += ch
        if cur:
            out.append(cur)
        return out

    c = canvas.Canvas(str(path), pagesize=A4)
    page, y = 1, height - margin
    c.setFont(font, size)
    for line in lines:
        for piece in wrap(line) if line.strip() else []:
            if y < margin:
                c.drawCentredString(width / 2, margin / 2, f"— {page} —")
                c.showPage()
                page += 1
                c.setFont(font, size)
                y = height - margin
            c.drawString(margin, y, piece)
            y -= leading
    c.drawCentredString(width / 2, margin / 2, f"— {page} —")
    c.save()
    return path
