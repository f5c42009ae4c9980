"""Task tables in PDFs: rebuild rows and cells from pypdf's layout-mode text.

A PDF has no tables, only text drawn at positions. pypdf's layout mode keeps
the horizontal positions as columns of characters, so a 重点任务分工表 comes out
as lines whose cells are separated by runs of spaces, its header line naming
the columns. Cells are assigned to the header's columns by position; a line
with a new 序号 starts a row, other lines continue the cells of the row above
(text wrapped inside a cell); short "一、…" lines are section rows. Everything
that is not such a table stays a paragraph line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from parser.blocks import Block, Paragraph, Table
from parser.numbering import Level, heading_marker

_FRAGMENT = re.compile(r"\S+")  # a run of text; cells are told apart by position
_TASK = re.compile(r"任务|措施|工作内容|主要内容|事项")
_UNIT = re.compile(r"牵头|责任|配合")
_ID = re.compile(r"^(?:序号|编号|序)$")
_NUMBER = re.compile(r"^\d{1,3}[.、]?$")


def _is_section(text: str) -> bool:
    """A group row of a task table: "一、产业升级", "（二）民生保障"."""
    mk = heading_marker(text)
    return (
        mk is not None
        and mk.level in (Level.CHAPTER, Level.ITEM)
        and 1 <= len(text) - mk.body <= 30
        and " " not in text[mk.body :]
    )


_PAGE = re.compile(r"^[-—~·－\s]*\d{1,3}[-—~·－\s]*$|^第\s*\d+\s*页")


@dataclass(frozen=True, slots=True)
class _Frag:
    start: int
    end: int
    text: str


def _fragments(line: str) -> list[_Frag]:
    return [_Frag(m.start(), m.end(), m.group(0)) for m in _FRAGMENT.finditer(line)]


def _is_header(frags: list[_Frag]) -> bool:
    names = [f.text for f in frags]
    return (
        3 <= len(frags) <= 12
        and all(len(n) <= 8 and not re.search(r"[，。；：]", n) for n in names)
        and any(_TASK.search(n) for n in names)
        and any(_UNIT.search(n) for n in names)
    )


class _Grid:
    """Columns of one table, from its header line."""

    def __init__(self, header: list[_Frag]) -> None:
        self.names = [f.text.replace(" ", "") for f in header]
        # A cell belongs to the column whose span holds its first character; spans
        # meet halfway between one header name's end and the next one's start.
        self.bounds = [(a.end + b.start) // 2 for a, b in pairwise(header)]
        self.id_col = next((i for i, n in enumerate(self.names) if _ID.match(n)), None)
        self.unit_cols = {i for i, n in enumerate(self.names) if _UNIT.search(n)}

    def column(self, frag: _Frag) -> int:
        col = sum(1 for b in self.bounds if frag.start >= b)
        if col == self.id_col and not _NUMBER.match(frag.text):
            col += 1  # a task cell starting left of a centred "重点任务" header
        return min(col, len(self.names) - 1)

    def cells(self, frags: list[_Frag]) -> dict[int, str]:
        out: dict[int, str] = {}
        for f in frags:
            col = self.column(f)
            out[col] = out[col] + f.text if col in out else f.text
        return out


def lift_layout_tables(lines: Sequence[str]) -> list[Block]:
    """Paragraph lines, with every task table among them turned into a `Table`."""
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        frags = _fragments(lines[i])
        if _is_header(frags):
            table, i = _read_table(lines, i, _Grid(frags))
            if len(table.rows) > 1:
                blocks.append(table)
                continue
        blocks.append(Paragraph(lines[i]))
        i += 1
    return blocks


def _read_table(lines: Sequence[str], i: int, grid: _Grid) -> tuple[Table, int]:
    """Rows from the header at `i` on; returns the table and the first line after it.

    Lines come in bands between blank lines (the rules between rows). A band with
    one 序号 is one row wherever the number sits (cells centred vertically put it
    mid-row); a band with several is split at each; a band without one continues
    the row above (a row broken by a page).
    """
    width = len(grid.names)
    rows: list[list[str]] = [list(grid.names)]
    current: list[str] | None = None
    j = i + 1
    while j < len(lines):
        band: list[dict[int, str]] = []
        while j < len(lines) and _fragments(lines[j]):
            frags = _fragments(lines[j])
            if len(frags) == 1 and _PAGE.match(frags[0].text):
                break
            if [f.text for f in frags] == grid.names:
                j += 1  # the header repeated on the next page
                continue
            if len(frags) == 1 and _is_section(frags[0].text):
                break
            if len(frags) == 1 and len(frags[0].text) >= 25 and "。" in frags[0].text:
                break  # prose again
            band.append(grid.cells(frags))
            j += 1
        if band:
            current = _add_band(rows, band, current, grid, width)
            continue
        if j >= len(lines):
            break
        frags = _fragments(lines[j])
        if frags and len(frags) == 1 and _is_section(frags[0].text):
            if not _rows_follow(lines, j + 1, grid):
                break
            rows.append([frags[0].text] * width)
            current = None
        elif frags and not _PAGE.match(frags[0].text):
            break  # prose: the table is over
        j += 1
    return Table(tuple(tuple(r) for r in rows)), j


def _add_band(
    rows: list[list[str]],
    band: list[dict[int, str]],
    current: list[str] | None,
    grid: _Grid,
    width: int,
) -> list[str] | None:
    """Add one band of lines to `rows`; returns the row that later lines continue."""
    if grid.id_col is not None:
        starts = [k for k, cells in enumerate(band) if grid.id_col in cells]
    else:
        starts = [k for k, cells in enumerate(band) if grid.unit_cols & cells.keys()][:1]
    if len(starts) == 1 and grid.id_col is not None:
        starts = [0]  # one number in the band: the whole band is its row
    for k, cells in enumerate(band):
        if k in starts or current is None:
            current = [""] * width
            rows.append(current)
        for col, text in cells.items():
            current[col] += text
    return current


def _rows_follow(lines: Sequence[str], j: int, grid: _Grid) -> bool:
    """Whether table rows (not prose) come after a section line."""
    while j < len(lines):
        frags = _fragments(lines[j])
        if frags:
            first_col = grid.id_col is not None and grid.id_col in grid.cells(frags)
            return len(frags) >= 2 or first_col
        j += 1
    return False
