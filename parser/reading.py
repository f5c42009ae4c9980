"""Read a plan file into blocks of raw text: paragraphs and tables.

.txt (UTF-8, UTF-16 with BOM, GB18030/GBK — detected), .docx (body paragraphs
and tables in document order, via python-docx, with Word's automatic list
numbers restored), .pdf (text layer via pypdf; pages without one are OCR'd when
the `ocr` extra is installed), .html/.htm saved from a portal, .ofd (GB/T 33190)
and legacy .doc/.wps (converted by LibreOffice, then read as .docx). The content
decides the format, not the file name. Anything unreadable, or past a limit in
`parser.limits`, raises `ParseError` with one line for the user.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from parser.blocks import Block, Paragraph, Table
from parser.errors import ParseError
from parser.limits import (
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    MAX_PAGES,
    MAX_SPAN,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    MAX_TEXT_CHARS,
    check,
    parse_int,
)
from parser.pdftables import lift_layout_tables
from parser.wordnum import Numbering

_MAX_BYTES = MAX_FILE_BYTES
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Word/WPS compound file
_RTF = b"{\\rtf"


def read_blocks(path: str | os.PathLike[str]) -> list[Block]:
    """Read `path` and return its blocks in document order."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ParseError(f"{p}: no such file") from None
    except OSError as exc:
        raise ParseError(f"{p}: cannot read ({exc.strerror})") from None
    if p.is_dir():
        raise ParseError(f"{p}: is a directory, not a plan document")
    if size == 0:
        raise ParseError(f"{p}: the file is empty")
    if size > _MAX_BYTES:
        raise ParseError(f"{p}: file too large ({size} bytes) for a plan document")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ParseError(f"{p}: cannot read ({exc.strerror})") from None
    blocks = read_bytes(data, p)
    check_length(blocks, str(p))
    return blocks


def read_bytes(data: bytes, p: Path) -> list[Block]:
    """Dispatch on the content first, then the name: offices rename files freely."""
    suffix = p.suffix.lower()
    if data[:4] == b"PK\x03\x04" or (suffix in (".docx", ".ofd") and not _is_pdf(data)):
        from parser.read_ofd import is_ofd, read_ofd
        from parser.safezip import open_zip

        kind = {".ofd": ".ofd", ".xlsx": ".xlsx"}.get(suffix, ".docx")
        with open_zip(data, str(p), kind) as archive:
            names = archive.namelist()
        if is_ofd(names):
            return read_ofd(data, str(p))
        from parser.read_sheet import is_xlsx, read_xlsx

        if is_xlsx(names):  # a task list kept in Excel (任务分工表)
            return read_xlsx(data, str(p))
        return _read_docx(p, data)
    if _is_pdf(data) or suffix == ".pdf":
        return _read_pdf(p, data)
    if data[:8] == _OLE or data.startswith(_RTF) or suffix in (".doc", ".wps", ".rtf"):
        from parser.read_html import looks_like_html

        if not (data[:8] == _OLE or data.startswith(_RTF)) and looks_like_html(data):
            # Portals often serve HTML under a .doc name ("下载 Word 版").
            from parser.read_html import read_html

            return read_html(data, str(p))
        from parser.read_office import convert_to_docx

        docx_bytes = convert_to_docx(data, str(p))
        return _read_docx(p, docx_bytes)
    from parser.read_html import looks_like_html

    if suffix in (".html", ".htm", ".shtml", ".xhtml") or looks_like_html(data):
        from parser.read_html import read_html

        return read_html(data, str(p))
    text = decode_text(data, str(p))
    check(str(p), "document length (characters)", len(text), MAX_TEXT_CHARS)
    if suffix == ".csv":  # a task list saved from Excel: text whose cells are columns
        from parser.read_sheet import read_csv

        return read_csv(text, str(p))
    return [Paragraph(line) for line in text.split("\n")]


def _is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


def check_length(blocks: list[Block], name: str) -> None:
    """The document-length limit, counted over paragraphs and table cells alike."""
    total = 0
    for block in blocks:
        if isinstance(block, Paragraph):
            total += len(block.text)
        else:
            total += sum(len(cell) for row in block.rows for cell in row)
        check(name, "document length (characters)", total, MAX_TEXT_CHARS)


def decode_text(data: bytes, name: str = "<bytes>") -> str:
    """Decode plain text, detecting UTF-8/UTF-16 (BOM) or GB18030 (a superset of GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        text = _strict(data[3:], "utf-8", name)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _strict(data, "utf-16", name)
    else:
        if b"\x00" in data[:4096]:
            raise ParseError(f"{name}: looks like a binary file, not a text plan")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _strict(data, "gb18030", name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _garbage_ratio(text) > 0.05:
        raise ParseError(f"{name}: unreadable text encoding (not UTF-8 or GB18030)")
    return text


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ParseError(f"{name}: unreadable text encoding (not UTF-8 or GB18030)") from None


# Characters that never occur in a real plan (controls, private use, replacement).
_GARBAGE = re.compile("[\x00-\x08\x0e-\x1f\ue000-\uf8ff\ufffd]")


def _garbage_ratio(text: str) -> float:
    """Share of characters that never occur in a real plan (one regex pass, not a loop)."""
    if not text:
        return 0.0
    return len(_GARBAGE.findall(text)) / len(text)


def _read_docx(p: Path, data: bytes) -> list[Block]:
    import io

    from parser.safezip import open_zip

    name = str(p)
    # Declared sizes first: python-docx would inflate every part into memory.
    open_zip(data, name, ".docx").close()
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise ParseError(f"{p}: corrupt or unsupported .docx ({type(exc).__name__})") from None
    try:
        return _docx_blocks(document, name)
    except ParseError:
        raise
    except Exception as exc:  # a malformed part python-docx accepted lazily
        raise ParseError(f"{p}: corrupt or unsupported .docx ({type(exc).__name__})") from None


def _docx_blocks(document: Any, name: str) -> list[Block]:
    from docx.oxml.ns import qn

    blocks: list[Block] = []
    body = document.element.body
    numbering = Numbering(document, name)
    total = 0
    # Walk the body in order so tables stay between the paragraphs around them.
    for child in body.iterchildren():
        block: Block
        if child.tag == qn("w:p"):
            text = numbering.label(child) + _paragraph_text(child)
            total += len(text)
            block = Paragraph(text)
        elif child.tag == qn("w:tbl"):
            table = _table_rows(child, name)
            total += sum(len(c) for row in table.rows for c in row)
            block = table
        else:
            continue
        check(name, "document length (characters)", total, MAX_TEXT_CHARS)
        blocks.append(block)
    return blocks


def _paragraph_text(p_el: object) -> str:
    from docx.oxml.ns import qn

    parts: list[str] = []
    for node in p_el.iter():  # type: ignore[attr-defined]
        if node.tag == qn("w:t") and node.text:
            parts.append(node.text)
        elif node.tag in (qn("w:br"), qn("w:cr")):
            parts.append("\n")
        elif node.tag == qn("w:tab"):
            parts.append("\t")
    return "".join(parts)


def _span(tcpr: Any, name: str) -> int:
    from docx.oxml.ns import qn

    if tcpr is None:
        return 1
    gs = tcpr.find(qn("w:gridSpan"))
    if gs is None:
        return 1
    return max(1, parse_int(name, "table span (gridSpan)", gs.get(qn("w:val")), 1, MAX_SPAN))


def _table_rows(tbl_el: object, name: str) -> Table:
    from docx.oxml.ns import qn

    rows: list[tuple[str, ...]] = []
    for tr in tbl_el.iterchildren(qn("w:tr")):  # type: ignore[attr-defined]
        check(name, "table rows", len(rows) + 1, MAX_TABLE_ROWS)
        cells: list[str] = []
        for tc in tr.iterchildren(qn("w:tc")):
            paras = [_paragraph_text(p) for p in tc.iter(qn("w:p"))]
            text = "".join(paras).replace("\n", "")
            check(name, "table cell length (characters)", len(text), MAX_CELL_CHARS)
            span = _span(tc.find(qn("w:tcPr")), name)
            # The span is bounded above, so repeating it costs at most MAX_SPAN cells.
            check(name, "table columns", len(cells) + span, MAX_TABLE_COLUMNS)
            # A horizontally merged cell repeats its text so columns stay aligned.
            cells.extend([text] * span)
        rows.append(tuple(cells))
    _fill_vertical_merges(rows, tbl_el, name)
    return Table(tuple(rows))


def _fill_vertical_merges(rows: list[tuple[str, ...]], tbl_el: object, name: str) -> None:
    """Cells continued from the row above (w:vMerge without restart) inherit its text."""
    from docx.oxml.ns import qn

    for r, tr in enumerate(tbl_el.iterchildren(qn("w:tr"))):  # type: ignore[attr-defined]
        if r == 0:
            continue
        col = 0
        new = list(rows[r])
        for tc in tr.iterchildren(qn("w:tc")):
            tcpr = tc.find(qn("w:tcPr"))
            span = _span(tcpr, name)
            merged = False
            if tcpr is not None:
                vm = tcpr.find(qn("w:vMerge"))
                merged = vm is not None and vm.get(qn("w:val")) in (None, "continue")
            if merged:
                above = rows[r - 1]
                for c in range(col, min(col + span, len(above), len(new))):
                    new[c] = above[c]
            col += span
        rows[r] = tuple(new)


# pypdf logs (even at ERROR) and warns on every odd object it repairs; the user
# needs our one line. Its loggers ("pypdf._reader" …) inherit the level of "pypdf",
# so that level is raised while any thread reads a PDF: the first reader saves the
# level and raises it, the last one restores it, under a lock — no thread can take
# another's raised level for the original and leave pypdf silenced for good (the
# unguarded swap this replaces could).
_quiet_lock = threading.Lock()
_quiet_users = 0
_quiet_saved = logging.NOTSET


@contextmanager
def _pypdf_quiet() -> Iterator[None]:
    global _quiet_users, _quiet_saved
    log = logging.getLogger("pypdf")
    with _quiet_lock:
        if _quiet_users == 0:
            _quiet_saved = log.level
            log.setLevel(logging.CRITICAL + 1)
            # warnings.catch_warnings() swaps process-wide filters and is not thread-safe;
            # a standing filter for pypdf's own module is (it is idempotent, and pypdf's
            # repair notes are never for our users).
            warnings.filterwarnings("ignore", module=r"pypdf(\.|$)")
        _quiet_users += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_users -= 1
            if _quiet_users == 0:
                log.setLevel(_quiet_saved)


def _read_pdf(p: Path, data: bytes) -> list[Block]:
    with _pypdf_quiet():
        return _read_pdf_quietly(p, data)


def _read_pdf_quietly(p: Path, data: bytes) -> list[Block]:
    import io

    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise ParseError(f"{p}: the PDF is password-protected") from None
        check(str(p), "PDF pages", len(reader.pages), MAX_PAGES)
        pages = [_page_text(page) for page in reader.pages]
        scanned = [
            i for i, text in enumerate(pages) if not text.strip() and _has_image(reader.pages[i])
        ]
    except ParseError:
        raise
    except (PdfReadError, Exception) as exc:
        raise ParseError(f"{p}: corrupt or unsupported PDF ({type(exc).__name__})") from None
    if scanned:
        # Pages that are only an image are scans: OCR them (the `ocr` extra), or say how.
        from parser import ocr

        if ocr.available() or not any(text.strip() for text in pages):
            for i, text in zip(scanned, ocr.ocr_pdf_pages(data, scanned, str(p)), strict=True):
                pages[i] = text
        else:
            # A text plan with a scanned signature page still reads; the gap is logged.
            logging.getLogger(__name__).warning(
                "%s: %d scanned page(s) skipped; OCR needs %s", p, len(scanned), ocr.INSTALL_HINT
            )
    text = "\n\n".join(pages)
    if not text.strip():
        raise ParseError(f"{p}: the PDF has no text (blank pages)")
    return lift_layout_tables(text.replace("\r", "").split("\n"))


def _has_image(page: Any) -> bool:
    """Whether the page draws an image (a scan) — a blank page needs no OCR."""
    try:
        return _draws_image(page.get("/Resources"), depth=0)
    except Exception:  # odd resources: let OCR look rather than guess "blank"
        return True


def _draws_image(resources: Any, depth: int) -> bool:
    # Some scanners wrap the page image in a form XObject; a few levels are followed.
    if resources is None or depth > 3:
        return False
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return False
    for key in xobjects.get_object():
        xobject = xobjects[key].get_object()
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            return True
        if subtype == "/Form" and _draws_image(xobject.get("/Resources"), depth + 1):
            return True
    return False


def _page_text(page: Any) -> str:
    """Layout mode keeps columns apart (task tables); plain mode if layout fails."""
    try:
        return str(page.extract_text(extraction_mode="layout") or "")
    except Exception:  # layout mode trips on some odd fonts; plain text still helps
        return str(page.extract_text() or "")
