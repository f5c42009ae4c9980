"""Task tables that lost their grid: one cell per paragraph.

A table copied from a web page or exported from a PDF often arrives as a run of short
paragraphs: the header cells (序号, 任务名称, 牵头部门 …), then each row's cells, a row
number first. A cell merged across rows is printed once, so later rows have fewer cells;
a group row ("行动二：…") or a category cell sits between rows.

The rows are found by their numbers (1, 2, 3 … in sequence); each row's cells are matched
to the columns in order by what they hold (a date, a list of units, a sentence), a column
left without a cell keeps the row above's value (the merged cell), and cells that fit no
column are dropped, or become a group row. The result is a `Table` like a .docx one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parser.blocks import Block, Paragraph, Table
from parser.columns import COLUMNS, recognise

_MAX_HEADER_CELL = 12
# What an empty cell prints.
_EMPTY = frozenset({"—", "——", "-", "－", "/", "无", "／"})
# Cells a row may hold beyond one per column: a category cell, a group row.
_SLACK = 3
_UNIT_END = re.compile(
    r"(?:局|委|办|厅|部|院|会|府|中心|公司|集团|室|处|队|站|所|行|社|馆|团|联|署|部门|单位"
    r"|街道|街镇|乡镇|园区|专班|办公室|委员会|机关|机构)$"
)
_DATE = re.compile(
    r"\d{4}\s*年|\d{1,2}\s*月|季度|年底|年内|年中|长期|持续|常态|每年|每月|\d{4}[-.]"
)
_GROUP = re.compile(
    r"^(?:行动[一二三四五六七八九十\d]+|[一二三四五六七八九十]+[、.．]|（[一二三四五六七八九十]+）)"
)


def lift_flat_tables(blocks: Sequence[Block]) -> list[Block]:
    """Replace each flattened task table in `blocks` by a `Table`; other blocks unchanged."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        found = _table_at(blocks, i)
        if found is None:
            out.append(blocks[i])
            i += 1
            continue
        table, i = found
        out.append(table)
    return out


def _cells(blocks: Sequence[Block], start: int) -> list[tuple[int, str]]:
    """(index of a cell's last block, text) of the cells from `start` to the next table.

    Where blank lines separate the cells (text exported from Markdown or HTML), the lines
    between two blank lines are one cell ("海绵城市" / "建设管理"); else each line is one.
    """
    blank_separated = start + 1 < len(blocks) and _is_blank(blocks[start + 1])
    out: list[tuple[int, str]] = []
    joining = False
    for k in range(start, len(blocks)):
        b = blocks[k]
        if not isinstance(b, Paragraph):
            break
        text = b.text.strip()
        if not text:
            joining = False
            continue
        if joining and blank_separated:
            out[-1] = (k, out[-1][1] + text)
        else:
            out.append((k, text))
        joining = True
    return out


def _is_blank(block: Block) -> bool:
    return isinstance(block, Paragraph) and not block.text.strip()


def _table_at(blocks: Sequence[Block], i: int) -> tuple[Table, int] | None:
    b = blocks[i]
    if not isinstance(b, Paragraph) or not COLUMNS["id"].match(b.text.strip()):
        return None
    cells = _cells(blocks, i)
    header = [cells[0][1]]
    for _, text in cells[1:]:
        if len(text) > _MAX_HEADER_CELL or text.isdigit() or _GROUP.match(text):
            break
        header.append(text)
    if len(header) < 3 or recognise(tuple(header)) is None:
        return None
    kinds = [_column_kind(h) for h in header]
    rows, used = _rows(cells[len(header) :], kinds)
    if len(rows) < 2:
        return None
    end = cells[len(header) + used - 1][0] + 1 if used else cells[len(header) - 1][0] + 1
    return Table((tuple(header), *rows)), end


def _column_kind(name: str) -> str:
    for key in ("id", "name", "lead", "coop", "resp", "due", "task"):
        if COLUMNS[key].search(name.replace(" ", "")):
            return key
    return "other"


def _rows(cells: list[tuple[int, str]], kinds: list[str]) -> tuple[list[tuple[str, ...]], int]:
    """Rows from the cells after the header, and how many cells they used."""
    numbers = [k for k, (_, text) in enumerate(cells) if text.isdigit()]
    width = len(kinds) - 1
    starts: list[int] = []
    expected = 1
    for k in numbers:
        gap = starts and len(_row_cells([t for _, t in cells[starts[-1] + 1 : k]], stop=False))
        if gap and gap > width + _SLACK:
            break  # too far for one row: the table ended and other text follows
        if int(cells[k][1]) == expected:
            starts.append(k)
            expected += 1
    if not starts or starts[0] > 2:
        return [], 0
    rows: list[tuple[str, ...]] = []
    previous = [""] * len(kinds)
    for n, s in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else min(len(cells), s + 1 + width)
        body = _row_cells([text for _, text in cells[s + 1 : stop]])
        if n + 1 == len(starts):
            body = _last_row(body, kinds[1:])
        body = _join_unit_cells(body, sum(k in ("lead", "coop", "resp") for k in kinds))
        row, before, after = _align(body, kinds[1:], previous[1:])
        rows.extend(tuple([g] * len(kinds)) for g in before)
        full = [cells[s][1], *row]
        rows.append(tuple(full))
        rows.extend(tuple([g] * len(kinds)) for g in after)
        previous = full
    used = starts[-1] + 1 + len(_last_row([t for _, t in cells[starts[-1] + 1 :]], kinds[1:]))
    return rows, used


def _row_cells(body: list[str], stop: bool = True) -> list[str]:
    """A row's cells as printed: a cell broken after 、 continues in the next paragraph, and
    cells after a group row ("行动五：…" then a category) belong to the rows that follow."""
    out: list[str] = []
    for text in body:
        if out and out[-1].endswith(("、", "，", ",")):
            out[-1] += text
        elif out and stop and _GROUP.match(text):
            out.append(text)
            break
        else:
            out.append(text)
    return out


def _join_unit_cells(body: list[str], columns: int) -> list[str]:
    """More lists of units than unit columns: the last list was printed over two lines."""
    cells = list(body)
    while sum(map(_is_units, cells)) > columns:
        pairs = [
            k for k in range(len(cells) - 1) if _is_units(cells[k]) and _is_units(cells[k + 1])
        ]
        if not pairs:
            break
        k = pairs[-1]
        cells[k : k + 2] = [cells[k].rstrip("、，,") + "、" + cells[k + 1]]
    return cells


def _last_row(body: list[str], kinds: list[str]) -> list[str]:
    """The last row ends where its cells stop fitting the columns (body text follows)."""
    out: list[str] = []
    k = 0
    for text in body[: len(kinds)]:
        while k < len(kinds) and _fit(text, kinds[k]) < 0:
            k += 1
        if k >= len(kinds):
            break
        out.append(text)
        k += 1
    return out


def _align(
    body: list[str], kinds: list[str], above: list[str]
) -> tuple[list[str], list[str], list[str]]:
    """Match a row's cells to its columns in order; (row values, groups before, after).

    An order-keeping alignment that maximises how well each cell fits its column; a
    column without a cell keeps the value above (a merged cell), a cell without a column
    is dropped, or is a group row when it reads like one ("行动二：…").
    """
    n, m = len(body), len(kinds)
    neg = float("-inf")
    score = [[neg] * (m + 1) for _ in range(n + 1)]
    move: list[list[str]] = [[""] * (m + 1) for _ in range(n + 1)]
    score[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            best, how = neg, ""
            if i and j and score[i - 1][j - 1] > neg:
                # A hair's preference for earlier columns breaks ties the way tables are
                # read: one list of units beside 牵头 and 配合 is the 牵头 one.
                v = score[i - 1][j - 1] + _fit(body[i - 1], kinds[j - 1]) - 0.01 * j
                best, how = v, "match"
            if j and score[i][j - 1] > neg and score[i][j - 1] - 0.5 > best:
                best, how = score[i][j - 1] - 0.5, "skip"
            if i and score[i - 1][j] > neg and score[i - 1][j] - 2.0 > best:
                best, how = score[i - 1][j] - 2.0, "drop"
            score[i][j], move[i][j] = best, how
    row = list(above)
    matched: list[int] = []
    groups: list[int] = []
    i, j = n, m
    while i or j:
        how = move[i][j]
        if how == "match":
            row[j - 1] = "" if body[i - 1] in _EMPTY else body[i - 1]
            matched.append(i - 1)
            i, j = i - 1, j - 1
        elif how == "skip":
            j -= 1
        else:
            if _GROUP.match(body[i - 1]):
                groups.append(i - 1)
            i -= 1
    last = max(matched, default=-1)
    before = [body[g] for g in sorted(groups) if g < last]
    after = [body[g] for g in sorted(groups) if g > last]
    return row, before, after


def _is_units(text: str) -> bool:
    parts = [p for p in re.split(r"[、，,；;/]", re.sub(r"（[^（）]*）", "", text)) if p.strip()]
    return (
        bool(parts)
        and "。" not in text
        and not re.search(r"\d", text)  # "加装电梯700台" is a task, not a unit
        and all(len(p) <= 24 and _UNIT_END.search(p.strip()) for p in parts)
    )


def _is_date(text: str) -> bool:
    return len(text) <= 30 and bool(_DATE.search(text)) and not _is_units(text)


def _fit(text: str, kind: str) -> float:
    """How well a cell's text fits a column: > 0 fits, < 0 does not."""
    if text in _EMPTY:
        return 1.0  # "—": this row's cell is empty (not merged from above)
    units, date = _is_units(text), _is_date(text)
    if kind == "due":
        return 3.0 if date else -3.0
    if kind in ("lead", "coop", "resp"):
        return 3.0 if units else -3.0
    if kind == "name":
        if units or date:
            return -2.0
        return 2.0 if len(text) <= 30 and "。" not in text else -1.0
    if kind == "task":
        if units or date:
            return -2.0
        return 3.0 if len(text) > 30 or "。" in text else 1.5
    return 0.0
