"""OFD (GB/T 33190-2016), China's fixed-layout document format: a zip of XML pages.

A small reader of the text objects, not a renderer. OFD.xml names the document
(DocBody/DocRoot); Document.xml lists the pages (Pages/Page@BaseLoc); each
page's Content.xml holds layers of TextObject elements — a Boundary box ("x y
w h" in millimetres) and TextCode runs placed at X/Y inside it. The runs are
laid out as text lines by position (parser.layout), the way pypdf prints a text
PDF, so wrapped lines rejoin and task tables are lifted by the same code.

Why not a library (both judged from their PyPI wheels): easyofd (20260427)
converts OFD to PDF and back; it requires PyMuPDF (AGPL — a licence a city's
deployment should not inherit), reportlab, loguru and xmltodict, extracts every
zip member to disk with no size or count check and parses with xmltodict
(expat, no entity defusing): a zip bomb or billion-laughs OFD would cost the
server. ofdparser (0.0.8, last release April 2023) is one 54 KB module with no
declared licence. Text objects are all a plan needs. Parsing uses defusedxml
(no DTDs, no entities); sizes are checked before unzipping (parser.safezip).
"""

from __future__ import annotations

import posixpath
import zipfile
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from parser import progress
from parser.blocks import Block
from parser.errors import ParseError
from parser.layout import Fragment, drop_page_numbers, layout_lines
from parser.limits import MAX_PAGES, MAX_TEXT_CHARS, check
from parser.pdftables import lift_layout_tables
from parser.safezip import open_zip, read_member


def is_ofd(names: list[str]) -> bool:
    return "OFD.xml" in names or "ofd.xml" in names


def read_ofd(data: bytes, name: str) -> list[Block]:
    archive = open_zip(data, name, ".ofd")
    try:
        return _read(archive, name)
    finally:
        archive.close()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(el: Any, local: str) -> Any:
    for child in el.iter():
        if _local(child.tag) == local:
            return child
    return None


def _xml(archive: zipfile.ZipFile, member: str, name: str) -> Any:
    raw = read_member(archive, member, name)
    try:
        return ElementTree.fromstring(raw)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise ParseError(f"{name}: malformed OFD part {member} ({type(exc).__name__})") from None


def _resolve(base_dir: str, loc: str) -> str:
    """A location inside the package: absolute from the root, else from base_dir."""
    loc = loc.strip().replace("\\", "/")
    path = loc.lstrip("/") if loc.startswith("/") else posixpath.join(base_dir, loc)
    path = posixpath.normpath(path)
    if path.startswith(".."):
        raise ParseError(f"{path}: OFD location outside the package")
    return path


def _read(archive: zipfile.ZipFile, name: str) -> list[Block]:
    names = archive.namelist()
    root_name = "OFD.xml" if "OFD.xml" in names else "ofd.xml"
    ofd = _xml(archive, root_name, name)
    doc_root = _find(ofd, "DocRoot")
    if doc_root is None or not (doc_root.text or "").strip():
        raise ParseError(f"{name}: not an OFD document (OFD.xml names no DocRoot)")
    doc_path = _resolve("", doc_root.text or "")
    document = _xml(archive, doc_path, name)
    doc_dir = posixpath.dirname(doc_path)
    page_locs = [el.get("BaseLoc", "") for el in document.iter() if _local(el.tag) == "Page"]
    check(name, "OFD pages", len(page_locs), MAX_PAGES)
    pages: list[str] = []
    total = 0
    for n, loc in enumerate(page_locs):
        progress.step("OFD", n, len(page_locs))
        if not loc:
            continue
        page = _xml(archive, _resolve(doc_dir, loc), name)
        text = "\n".join(drop_page_numbers(layout_lines(_fragments(page, name))))
        total += len(text)
        check(name, "document length (characters)", total, MAX_TEXT_CHARS)
        pages.append(text)
    text = "\n\n".join(pages)
    if not text.strip():
        raise ParseError(f"{name}: the OFD has no text objects (a scanned image?)")
    return lift_layout_tables(text.split("\n"))


def _numbers(raw: str | None) -> list[float]:
    out = []
    for token in (raw or "").split():
        try:
            out.append(float(token))
        except ValueError:
            continue  # "g 3 4.2" in DeltaX: a repeat marker, not a position
    return out


def _fragments(page: Any, name: str) -> list[Fragment]:
    fragments = []
    for obj in page.iter():
        if _local(obj.tag) != "TextObject":
            continue
        box = _numbers(obj.get("Boundary"))
        if len(box) < 4:
            continue
        bx, by = box[0], box[1]
        size = _numbers(obj.get("Size")) or [box[3] or 1.0]
        height = size[0]
        for code in obj:
            if _local(code.tag) != "TextCode" or not code.text:
                continue
            x = bx + (_numbers(code.get("X")) or [0.0])[0]
            baseline = by + (_numbers(code.get("Y")) or [height])[0]
            text = code.text
            width = _run_width(code.get("DeltaX"), len(text), height)
            fragments.append(Fragment(x, x + width, baseline - height, baseline, text))
    return fragments


def _run_width(delta_x: str | None, chars: int, size: float) -> float:
    """Width of a run: the DeltaX advances ("g N d" repeats d N times) plus one glyph."""
    if not delta_x:
        return chars * size
    tokens = delta_x.split()
    total = 0.0
    i = 0
    count = 0
    while i < len(tokens) and count < chars - 1:
        if tokens[i] == "g" and i + 2 < len(tokens):
            try:
                repeat, step = int(tokens[i + 1]), float(tokens[i + 2])
            except ValueError:
                break
            repeat = min(repeat, chars - 1 - count)
            total += repeat * step
            count += repeat
            i += 3
        else:
            try:
                total += float(tokens[i])
            except ValueError:
                break
            count += 1
            i += 1
    return total + size
