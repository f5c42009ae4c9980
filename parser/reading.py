"""Read a plan file into blocks of raw text: paragraphs and tables.

.txt (UTF-8, UTF-16 with BOM, GB18030/GBK — detected), .docx (body paragraphs
and tables in document order, via python-docx, with Word's automatic list
numbers restored) and .pdf (text layer, via pypdf). The content decides the
format, not the file name. Anything unreadable raises `ParseError` with one line
for the user.
"""

from __future__ import annotations

import logging
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any

from parser.blocks import Block, Paragraph, Table
from parser.errors import ParseError
from parser.pdftables import lift_layout_tables
from parser.wordnum import Numbering

_MAX_BYTES = 50 * 1024 * 1024
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Word/WPS compound file


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
    suffix = p.suffix.lower()
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ParseError(f"{p}: cannot read ({exc.strerror})") from None
    # The content decides, then the name: offices rename files freely.
    if data[:4] == b"PK\x03\x04" or (suffix == ".docx" and not data.startswith(b"%PDF-")):
        return _read_docx(p, data)
    if data.startswith(b"%PDF-") or suffix == ".pdf":
        return _read_pdf(p, data)
    if data[:8] == _OLE or suffix in (".doc", ".wps"):
        raise ParseError(f"{p}: legacy .doc/.wps is not supported; save it as .docx")
    return [Paragraph(line) for line in decode_text(data, str(p)).split("\n")]


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


def _garbage_ratio(text: str) -> float:
    """Share of characters that never occur in a real plan (controls, private use)."""
    if not text:
        return 0.0
    bad = sum(
        1
        for ch in text
        if (ord(ch) < 32 and ch not in "\n\t\f\v") or 0xE000 <= ord(ch) <= 0xF8FF or ch == "\ufffd"
    )
    return bad / len(text)


def _read_docx(p: Path, data: bytes) -> list[Block]:
    import io

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ParseError(f"{p}: not a valid .docx file (not a Word/ZIP document)")
    try:
        import docx
        from docx.oxml.ns import qn

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise ParseError(f"{p}: corrupt or unsupported .docx ({type(exc).__name__})") from None
    blocks: list[Block] = []
    body = document.element.body
    numbering = Numbering(document)
    # Walk the body in order so tables stay between the paragraphs around them.
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            blocks.append(Paragraph(numbering.label(child) + _paragraph_text(child)))
        elif child.tag == qn("w:tbl"):
            blocks.append(_table_rows(child))
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


def _table_rows(tbl_el: object) -> Table:
    from docx.oxml.ns import qn

    rows: list[tuple[str, ...]] = []
    for tr in tbl_el.iterchildren(qn("w:tr")):  # type: ignore[attr-defined]
        cells: list[str] = []
        for tc in tr.iterchildren(qn("w:tc")):
            paras = [_paragraph_text(p) for p in tc.iter(qn("w:p"))]
            text = "".join(paras).replace("\n", "")
            span = 1
            tcpr = tc.find(qn("w:tcPr"))
            if tcpr is not None:
                gs = tcpr.find(qn("w:gridSpan"))
                if gs is not None:
                    span = int(gs.get(qn("w:val"), "1"))
            # A horizontally merged cell repeats its text so columns stay aligned.
            cells.extend([text] * span)
        rows.append(tuple(cells))
    _fill_vertical_merges(rows, tbl_el)
    return Table(tuple(rows))


def _fill_vertical_merges(rows: list[tuple[str, ...]], tbl_el: object) -> None:
    """Cells continued from the row above (w:vMerge without restart) inherit its text."""
    from docx.oxml.ns import qn

    for r, tr in enumerate(tbl_el.iterchildren(qn("w:tr"))):  # type: ignore[attr-defined]
        if r == 0:
            continue
        col = 0
        new = list(rows[r])
        for tc in tr.iterchildren(qn("w:tc")):
            tcpr = tc.find(qn("w:tcPr"))
            span = 1
            merged = False
            if tcpr is not None:
                gs = tcpr.find(qn("w:gridSpan"))
                if gs is not None:
                    span = int(gs.get(qn("w:val"), "1"))
                vm = tcpr.find(qn("w:vMerge"))
                merged = vm is not None and vm.get(qn("w:val")) in (None, "continue")
            if merged:
                above = rows[r - 1]
                for c in range(col, min(col + span, len(above), len(new))):
                    new[c] = above[c]
            col += span
        rows[r] = tuple(new)


def _read_pdf(p: Path, data: bytes) -> list[Block]:
    # pypdf logs (even at ERROR) and warns on every odd object it repairs; the user
    # needs our one line, so it is silenced while it reads, and only then.
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _read_pdf_quietly(p, data)
    finally:
        pypdf_log.setLevel(level)


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
        pages = [_page_text(page) for page in reader.pages]
    except ParseError:
        raise
    except (PdfReadError, Exception) as exc:
        raise ParseError(f"{p}: corrupt or unsupported PDF ({type(exc).__name__})") from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise ParseError(f"{p}: the PDF has no text layer (a scan?); OCR it first")
    return lift_layout_tables(text.replace("\r", "").split("\n"))


def _page_text(page: Any) -> str:
    """Layout mode keeps columns apart (task tables); plain mode if layout fails."""
    try:
        return str(page.extract_text(extraction_mode="layout") or "")
    except Exception:  # layout mode trips on some odd fonts; plain text still helps
        return str(page.extract_text() or "")
