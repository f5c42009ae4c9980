"""A plan saved from a government portal: .html/.htm, GB2312/GBK or UTF-8.

Read like a .docx: paragraphs (`<p>`, `<div>`, `<br>`, headings, list items) and
task tables (`<table>` with rowspan/colspan expanded, each merged cell's text
repeated in every slot it covers — as the .docx reader repeats gridSpan and
vMerge cells) become the same `Paragraph`/`Table` blocks, so the table logic
downstream applies unchanged. Portals lay whole pages out in tables; a table
holding another table, a single column or page-length cells is layout and is
read as flowing paragraphs. Scripts, styles, the <head> and form controls are
dropped.

lxml's HTML parser (libxml2) takes the tag soup portals serve; it loads no DTDs
or network resources. The input is bounded by the file-size limit, spans by
`parser.limits`.
"""

from __future__ import annotations

import re
from typing import Any

from parser.blocks import Block, Paragraph, Table
from parser.errors import ParseError
from parser.limits import (
    MAX_CELL_CHARS,
    MAX_SPAN,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    MAX_TEXT_CHARS,
    check,
    exceeded,
)

_SKIP = {
    "head", "script", "style", "noscript", "template", "select", "option", "button",
    "textarea", "iframe", "svg", "object", "embed", "canvas", "map", "audio", "video",
}  # fmt: skip
_BLOCK = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
    "section", "article", "header", "footer", "nav", "aside", "main", "blockquote", "pre",
    "center", "hr", "tr", "td", "th", "caption", "table", "tbody", "thead", "tfoot", "form",
    "address", "figure", "figcaption", "body", "html", "title", "fieldset", "legend",
}  # fmt: skip
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|p|div|table)\b",
    re.I | re.S,
)
_WS = re.compile(r"[ \t\r\n\f]+")
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")
_LAYOUT_CELL = 3000  # a cell this long is a page column, not a task table cell


def looks_like_html(data: bytes) -> bool:
    head = data[:4096]
    for bom in (b"\xef\xbb\xbf",):
        head = head.removeprefix(bom)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head.decode("utf-16").encode("utf-8", "replace")
        except UnicodeDecodeError:
            return False
    return bool(_HTML_START.match(head))


def decode_html(data: bytes, name: str) -> str:
    """The page's text: BOM, then <meta charset>, then UTF-8, then GB18030 (⊃ GBK ⊃ GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    candidates = []
    declared = _CHARSET.search(data[:8192])
    if declared:
        label = declared.group(1).decode("ascii").lower()
        # Portals declare gb2312 and use GBK/GB18030 characters; the superset reads both.
        candidates.append(
            "gb18030" if label in ("gb2312", "gbk", "x-gbk", "gb_2312-80") else label
        )
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise ParseError(f"{name}: unreadable HTML encoding (not UTF-8 or GB18030)")


def read_html(data: bytes, name: str) -> list[Block]:
    import lxml.etree
    import lxml.html

    text = decode_html(data, name)
    # An XML declaration naming an encoding is refused by lxml on a str; it was used above.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not text.strip():
        raise ParseError(f"{name}: the page is empty")
    try:
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
        root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"{name}: unreadable HTML ({type(exc).__name__})") from None
    out = _Flow(name)
    out.walk(root)
    out.flush()
    if not out.blocks:
        raise ParseError(f"{name}: the page has no text")
    return out.blocks


class _Flow:
    """Text in reading order, cut into paragraphs at block elements and <br>."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.blocks: list[Block] = []
        self.buffer: list[str] = []
        self.total = 0

    def add(self, text: str | None) -> None:
        if text:
            self.buffer.append(text)

    def flush(self) -> None:
        line = _clean("".join(self.buffer))
        self.buffer.clear()
        if line:
            self._count(len(line))
            self.blocks.append(Paragraph(line))

    def _count(self, n: int) -> None:
        self.total += n
        check(self.name, "document length (characters)", self.total, MAX_TEXT_CHARS)

    def walk(self, el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if tag in _SKIP:
            return
        if tag == "table" and _is_data_table(el):
            self.flush()
            table = _table(el, self.name)
            self._count(sum(len(c) for row in table.rows for c in row))
            self.blocks.append(table)
            return
        block = tag in _BLOCK
        if block or tag == "br":
            self.flush()
        self.add(el.text)
        for child in el:
            self.walk(child)
            self.add(child.tail)
        if block:
            self.flush()


def _clean(text: str) -> str:
    """HTML whitespace rules: runs collapse to one space, none between two CJK characters."""
    text = _WS.sub(" ", text.replace("\xa0", " "))
    return _CJK_GAP.sub("", text).strip()


def _cell_text(el: Any) -> str:
    # Paragraphs inside a cell join with nothing, as the .docx reader joins them.
    parts: list[str] = []
    for piece in el.itertext(with_tail=False):
        parts.append(_clean(piece))
    return "".join(parts)


def _own(el: Any, tag: str) -> list[Any]:
    return [c for c in el if isinstance(c.tag, str) and c.tag.lower() == tag]


def _rows(table: Any) -> list[Any]:
    rows = _own(table, "tr")
    for section in table:
        if isinstance(section.tag, str) and section.tag.lower() in ("thead", "tbody", "tfoot"):
            rows += _own(section, "tr")
    # Document order (thead before tbody …) as a reader sees them.
    order = {id(el): i for i, el in enumerate(table.iter())}
    return sorted(rows, key=lambda el: order[id(el)])


def _is_data_table(table: Any) -> bool:
    if any(True for _ in table.iterdescendants("table")):
        return False  # a table holding tables lays out the page
    rows = _rows(table)
    width = max((len(_own(tr, "td") + _own(tr, "th")) for tr in rows), default=0)
    if len(rows) < 2 or width < 2:
        return False
    return all(len(_cell_text(c)) <= _LAYOUT_CELL for tr in rows for c in tr)


def _span(cell: Any, attr: str, name: str) -> int:
    raw = (cell.get(attr) or "1").strip()
    digits = re.match(r"\d+", raw)  # browsers read "2;" or "2px" as 2, junk as 1
    if not digits:
        return 1
    if len(digits.group(0)) > 6 or int(digits.group(0)) > MAX_SPAN:
        raise exceeded(name, f"table span ({attr})", digits.group(0)[:12], MAX_SPAN)
    return max(int(digits.group(0)), 1)


def _table(table: Any, name: str) -> Table:
    rows = _rows(table)
    check(name, "table rows", len(rows), MAX_TABLE_ROWS)
    grid: dict[tuple[int, int], str] = {}
    width = 0
    for r, tr in enumerate(rows):
        c = 0
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            while (r, c) in grid:
                c += 1
            text = _cell_text(cell)
            check(name, "table cell length (characters)", len(text), MAX_CELL_CHARS)
            rowspan = _span(cell, "rowspan", name)
            colspan = _span(cell, "colspan", name)
            check(name, "table columns", c + colspan, MAX_TABLE_COLUMNS)
            # A merged cell's text fills every slot it covers, as merged .docx cells do.
            for dr in range(min(rowspan, len(rows) - r)):
                for dc in range(colspan):
                    grid[(r + dr, c + dc)] = text
            c += colspan
            width = max(width, c)
    return Table(
        tuple(tuple(grid.get((r, c), "") for c in range(width)) for r in range(len(rows)))
    )
