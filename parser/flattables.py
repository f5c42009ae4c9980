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

import itertools
import re
from collections.abc import Iterator, Sequence

from parser.blocks import Block, Paragraph, Table
from parser.columns import CATEGORY, COLUMNS, recognise
from parser.numbering import fold, heading_marker, marker_length

_MAX_HEADER_CELL = 12
# What an empty cell prints.
_EMPTY = frozenset({"—", "——", "-", "－", "/", "无", "／"})
# Cells a row may hold beyond one per column: a category cell, a group row.
_SLACK = 3
_UNIT_END = re.compile(
    r"(?:局|委|办|厅|部|院|会|府|中心|公司|集团|室|处|队|站|所|行|社|馆|团|联|署|部门|单位"
    r"|街道|街镇|乡镇|园区|专班|办公室|委员会|机关|机构)$"
)
# Local governments named as a body: "各区", "相关区县", "各街镇".
_LOCALS = re.compile(r"^(?:各|相关|有关)(?:区|县|区县|市|乡镇|街镇|镇)$")
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
    header_end = 0  # a header read in vain is not read again from each of its cells
    while i < len(blocks):
        found = _table_at(blocks, i)
        if found is None and i >= header_end:
            found, header_end = _marked_table_at(blocks, i)
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
    """Rows from the cells after the header, and how many cells they used.

    A numbered row may hold several task rows of one item (序号 and 项目 printed once, then
    task | 牵头 | 配合 twice): each run of text cells followed by its own unit cells is a
    row under the same number, the cells it does not print merged from the row above."""
    numbers = [k for k, (_, text) in enumerate(cells) if text.isdigit()]
    width = len(kinds) - 1
    unit_cols = [k for k, kind in enumerate(kinds) if kind in ("lead", "coop", "resp")]
    # Task rows need the task column before the units; the columns before the task column
    # (序号, 项目) are the item's, printed once; the columns after the units follow each.
    task = kinds.index("task") if "task" in kinds else len(kinds)
    split = bool(unit_cols) and task < unit_cols[0]
    texts_after = len(kinds) - 1 - unit_cols[-1] if unit_cols else 0
    texts_before = unit_cols[0] - task if split else 0
    starts: list[int] = []
    expected = 1
    for k in numbers:
        gap = starts and _row_cells([t for _, t in cells[starts[-1] + 1 : k]], stop=False)
        if gap and len(gap) > width + _SLACK:
            runs = _unit_runs(gap) if split and not any(map(_names_a_column, gap)) else 0
            if len(gap) > width + _SLACK + width * max(0, runs - 1):
                break  # too far for one row: the table ended and other text follows
        if int(cells[k][1]) == expected:
            starts.append(k)
            expected += 1
    if not starts or starts[0] > 2:
        return [], 0
    rows: list[tuple[str, ...]] = []
    previous = [""] * len(kinds)
    used = 0
    for n, s in enumerate(starts):
        last = n + 1 == len(starts)
        stop = starts[n + 1] if not last else min(len(cells), s + 1 + width)
        body = _row_cells([text for _, text in cells[s + 1 : stop]])
        if last:
            body = _last_row(body, kinds[1:])
            raw = [t for _, t in cells[s + 1 :]]
            first = len(_last_row(raw, kinds[1:]))
            more = _more_task_rows(raw, first, texts_before, texts_after) if split else first
            body += _row_cells(raw[first:more])
            used = s + 1 + more
        parts = _sub_rows(body, split and not any(map(_names_a_column, body)), texts_after)
        for p, part in enumerate(parts):
            part = _join_unit_cells(part, len(unit_cols))
            if p == 0:
                row, before, after = _align(part, kinds[1:], previous[1:])
            else:  # a further task row: the item's own cells stay as printed above
                row, before, after = _align(part, kinds[task:], previous[task:])
                row = [*previous[1:task], *row]
            rows.extend(tuple([g] * len(kinds)) for g in before)
            full = [cells[s][1], *row]
            rows.append(tuple(full))
            rows.extend(tuple([g] * len(kinds)) for g in after)
            previous = full
    return rows, used


def _names_a_column(text: str) -> bool:
    """A header name repeated inside the cells ("序号", "责任单位"): a new table starts."""
    name = text.replace(" ", "")
    return len(name) <= 8 and any(
        COLUMNS[k].search(name) for k in ("id", "lead", "coop", "resp", "due")
    )


def _unit_runs(cells: list[str]) -> int:
    """How many runs of unit cells: one per task row that prints its units."""
    return sum(1 for a, b in itertools.pairwise([False, *map(_unit_cell, cells)]) if b and not a)


def _more_task_rows(cells: list[str], end: int, texts_before: int, texts_after: int) -> int:
    """The last row goes on past `end` while a few text cells are followed by unit cells
    of their own: the item's further task rows."""
    while True:
        k = end
        while k < len(cells) and k - end < texts_before and not _unit_cell(cells[k]):
            k += 1
        if k == end or k >= len(cells) or not _unit_cell(cells[k]):
            return end
        while k < len(cells) and _unit_cell(cells[k]):
            k += 1
        end = min(len(cells), k + texts_after)


def _row_cells(body: list[str], stop: bool = True) -> list[str]:
    """A row's cells as printed: a cell broken after 、 continues in the next paragraph, a
    cell's numbered points ("1.…" "2.…" "3.…") are one cell, and cells after a group row
    ("行动五：…" then a category) belong to the rows that follow."""
    out: list[str] = []
    point: tuple[str, int] | None = None  # the numbered point the last cell ended with
    for text in body:
        mark = _point(text)
        if out and out[-1].endswith(("、", "，", ",")):
            out[-1] += text
        elif out and point and mark == (point[0], point[1] + 1):
            out[-1] += text
            point = mark
        elif out and stop and _GROUP.match(text):
            out.append(text)
            break
        else:
            out.append(text)
            point = mark if mark and mark[1] == 1 else None
    return out


def _point(text: str) -> tuple[str, int] | None:
    """A numbered point opening a paragraph ("2.编制…"): its numbering style and number."""
    found = _family(text)
    if found is None or found[0][0] < 3:  # a sub-item's number, not a group's "二、"
        return None
    (_, kind, sep), number = found
    return kind + sep, number


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
        and all(
            len(p) <= 24 and (_UNIT_END.search(p.strip()) or _LOCALS.match(p.strip()))
            for p in parts
        )
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
    if kind == "other" and _GROUP.match(text):
        return -3.0  # "二、…" after a row's last cell: the next group, not a remark
    if kind == "name":
        if units or date:
            return -2.0
        return 2.0 if len(text) <= 30 and "。" not in text else -1.0
    if kind == "task":
        if units or date:
            return -2.0
        return 3.0 if len(text) > 30 or "。" in text else 1.5
    return 0.0


# --- Tables without a 序号 column, whose task cells carry the row's number: "（12）…" ---
#
# 任务分类 | 主要方向 | 重点任务 | 2024年 | 2025年 | 2026年 | 牵头部门 | 配合部门 | 实施主体
# printed one cell per paragraph, a header name broken over two lines ("牵头" / "部门"),
# the category cells ("（一）…", "1、…") printed once for the rows they span.

# The second half of a column name printed over two lines: "牵头" / "部门".
_HEADER_TAIL = re.compile(
    r"^(?:部门|单位|处室|主体|分类|类别|名称|内容|事项|时限|时间|节点|要求)$"
)
_BRACKETED = re.compile(r"（[^（）]*）|\([^()]*\)")
# Columns whose cells list units although their header is no 牵头/配合/责任 label.
_UNIT_COLUMN = re.compile(r"主体$")
# A cell's note printed as a paragraph of its own: it belongs to the cell above.
_NOTE = re.compile(r"^(?:注|备注)\s*[：:]")
_MAX_HEADER = 16
# The table's own title above its header ("重点任务清单", "任务分工表"): no column name.
_TABLE_TITLE = re.compile(r"(?:清单|一览表|分工表|任务表|明细表)$")


def _iter_cells(blocks: Sequence[Block], start: int) -> Iterator[tuple[int, str]]:
    """`_cells`, lazily: a header is read a few cells at a time."""
    blank_separated = start + 1 < len(blocks) and _is_blank(blocks[start + 1])
    pending: tuple[int, str] | None = None
    joining = False
    for k in range(start, len(blocks)):
        b = blocks[k]
        if not isinstance(b, Paragraph):
            break
        text = b.text.strip()
        if not text:
            joining = False
            continue
        if joining and blank_separated and pending is not None:
            pending = (k, pending[1] + text)
        else:
            if pending is not None:
                yield pending
            pending = (k, text)
        joining = True
    if pending is not None:
        yield pending


def _header_name(text: str) -> bool:
    """A short cell that may be (part of) a column name: no number, no sentence."""
    bare = _BRACKETED.sub("", text)
    return (
        0 < len(bare) <= _MAX_HEADER_CELL
        and len(text) <= _MAX_HEADER
        and not text.isdigit()
        and heading_marker(text) is None
        and not re.search(r"[。；;，,：:]", text)
        and not _TABLE_TITLE.search(text)
    )


def _marked_header(blocks: Sequence[Block], i: int) -> tuple[list[str], int, int] | None:
    """The header starting at block i, names broken over two lines joined; how many cells
    it has, and the block after its last one."""
    b = blocks[i]
    if not isinstance(b, Paragraph) or not _header_name(b.text.strip()):
        return None
    first = b.text.strip().replace(" ", "")
    if not CATEGORY.search(first) and not any(
        COLUMNS[k].search(first) for k in ("name", "task", "lead", "resp")
    ):
        return None
    header: list[str] = []
    used = 0
    end = i + 1
    for k, text in _iter_cells(blocks, i):
        if not _header_name(text) or used > 30:
            break
        end = k + 1
        name = text.replace(" ", "")
        if header and _HEADER_TAIL.match(name) and not _HEADER_TAIL.match(header[-1]):
            header[-1] += name
        else:
            header.append(name)
        used += 1
    return header, used, end


def _family(text: str) -> tuple[tuple[int, str, str], int] | None:
    """A cell's numbering style (level, kind, separator) and number, if it opens with one."""
    mk = heading_marker(text)
    if mk is None:
        return None
    sep = fold(text[: mk.body]).strip()[-1:]
    return (int(mk.level), mk.kind, sep), mk.number


def _marked_table_at(blocks: Sequence[Block], i: int) -> tuple[tuple[Table, int] | None, int]:
    """A flattened task table with no 序号 column: its rows are found by the numbers its
    task cells open with ("（1）" … "（35）"), the finest numbering that runs on in sequence;
    the coarser ones ("（一）", "1、") are the category cells before the task column."""
    found = _marked_header(blocks, i)
    if found is None:
        return None, i + 1
    header, used, header_end = found
    cols = recognise(tuple(header))
    if len(header) < 3 or cols is None or cols.id is not None:
        return None, header_end
    # The row's number opens its task cell, or the cell of the task's short name where
    # one comes first ("项目 | 主要任务": "1.做好…" then what to do).
    numbered = cols.name if cols.name is not None and cols.name < cols.task else cols.task
    # The first row's numbered cell, number 1, follows its category cells: look at those
    # few cells before reading the rest of the document.
    near = itertools.islice(_iter_cells(blocks, i), used, used + 2 * numbered + 2)
    if not any((m := _family(t)) is not None and m[1] == 1 for _, t in near):
        return None, header_end
    cells = list(_iter_cells(blocks, i))[used:]
    marks = [_family(t) for _, t in cells]
    width = len(header)
    units = [_unit_cell(t) for _, t in cells]
    starts = _row_starts(marks, width, 2 * numbered + 1, units)
    if len(starts) < 2:
        return None, header_end
    kinds = ["unit" if _is_unit_column(h) else "text" for h in header]
    families: list[tuple[int, str, str]] = []
    for m in marks[: starts[0]]:
        if m is not None and m[0] not in families:
            families.append(m[0])
    families = families[:numbered]
    expected = {f: 1 for f in families}
    rows: list[tuple[str, ...]] = []
    previous = [""] * width
    lead_in = [t for _, t in cells[: starts[0]]]
    end = starts[-1] + 1
    for n, s in enumerate(starts):
        for text in lead_in:  # this row's category cells: what numbers come next
            mark = _family(text)
            if mark is not None and mark[0] in expected:
                expected[mark[0]] = mark[1] + 1
        stop = starts[n + 1] if n + 1 < len(starts) else len(cells)
        body = [t for _, t in cells[s + 1 : stop]]
        cut = len(body)
        for k, m in enumerate(marks[s + 1 : stop]):
            if m is not None and expected.get(m[0]) == m[1]:
                cut = k  # the next row's category cells start here
                break
        if n + 1 == len(starts):
            cut = min(cut, _last_row_length(body, kinds[numbered + 1 :]))
            end = s + 1 + cut
        categories, lead_in = lead_in, body[cut:]
        for row in _marked_rows(categories, cells[s][1], body[:cut], kinds, numbered, families):
            for k in range(width):
                if row[k] is None or (k < len(families) and not row[k]):
                    row[k] = previous[k]  # merged with the row above
            if families and row[0] and row[0] != previous[0]:
                rows.append(tuple([row[0] or ""] * width))  # a new group: "（二）…"
            full = [v or "" for v in row]
            rows.append(tuple(full))
            previous = full
    last = cells[end - 1][0] + 1
    return (Table((tuple(header), *rows)), last), last


def _is_unit_column(name: str) -> bool:
    return any(COLUMNS[k].search(name) for k in ("lead", "coop", "resp")) or bool(
        _UNIT_COLUMN.search(name)
    )


def _row_starts(
    marks: list[tuple[tuple[int, str, str], int] | None],
    width: int,
    first_within: int,
    units: list[bool],
) -> list[int]:
    """Where the rows start: the numbering style that runs on longest (1, 2, 3 …) from a
    row 1 near the header; on a tie the finer one, printed later in the row. A row is a
    few cells long, one row's width more for each further task row (run of unit cells)."""
    best: list[int] = []
    families = dict.fromkeys(m[0] for m in marks[: first_within + 1] if m is not None)
    for family in families:
        starts: list[int] = []
        for k, m in enumerate(marks):
            if m is None or m[0] != family or m[1] != len(starts) + 1:
                continue
            if starts and k - starts[-1] > 3 * width:
                between = units[starts[-1] : k]
                runs = sum(1 for a, b in itertools.pairwise([False, *between]) if b and not a)
                if k - starts[-1] > 3 * width + width * max(0, runs - 1):
                    break  # too far for one row: the table ended
            if not starts and k > first_within:
                break
            starts.append(k)
        if len(starts) >= len(best):
            best = starts
    return best


def _last_row_length(body: list[str], kinds: list[str]) -> int:
    """Where the last row ends (body text follows the table): after its run of unit
    cells and one cell for each text column after the units; without unit cells, after
    one cell per text column. A row of several task rows (sub-rows of one numbered item)
    goes on while a few text cells are followed by unit cells of their own."""
    units = [k for k, kind in enumerate(kinds) if kind == "unit"]
    texts_after = sum(1 for k in kinds[units[-1] + 1 :] if k == "text") if units else 0
    texts_before = sum(1 for k in kinds[: units[0]] if k == "text") if units else 0
    k = 0
    while k < len(body) and not _unit_cell(body[k]) and k <= 3 * len(kinds):
        k += 1
    if k >= len(body) or not _unit_cell(body[k]):
        return min(len(body), len(kinds) - len(units))
    while True:
        while k < len(body) and _unit_cell(body[k]):
            k += 1
        end = min(len(body), k + texts_after)
        nxt = end
        while nxt < len(body) and nxt - end < texts_before and not _unit_cell(body[nxt]):
            nxt += 1
        if nxt == end or nxt >= len(body) or not _unit_cell(body[nxt]):
            return end
        k = nxt


def _unit_cell(text: str) -> bool:
    return text in _EMPTY or _is_units(text)


def _marked_rows(
    categories: list[str],
    task: str,
    body: list[str],
    kinds: list[str],
    task_col: int,
    families: list[tuple[int, str, str]],
) -> list[list[str | None]]:
    """One numbered row's values by column: "" for a text cell the row leaves empty, None
    for a unit cell it does not print (merged with the row above).

    A numbered item may span several task rows, each with its own unit cells ("1.做好…" |
    task | 牵头 | 配合, then task | 牵头 | 配合 beneath it): every run of text cells
    followed by unit cells is one row, its numbered cell and categories repeated (as a
    merged cell reads in a .docx table); text cells after the last run of unit cells are a
    row whose unit cells are merged with the one above."""
    row: list[str | None] = [""] * len(kinds)
    row[task_col] = task
    # Category cells: a bare "（一）" and its words are one cell; each goes to the column
    # of its numbering style.
    joined: list[str] = []
    for text in categories:
        if joined and heading_marker(joined[-1]) and not joined[-1][marker_length(joined[-1]) :]:
            joined[-1] += text
        else:
            joined.append(text)
    for text in joined:
        mark = _family(text)
        if mark is not None and mark[0] in families:
            row[families.index(mark[0])] = text
    cells = _paragraphs_to_cells(body)
    after = list(range(task_col + 1, len(kinds)))
    unit_cols = [k for k in after if kinds[k] == "unit"]
    before_units = [k for k in after if kinds[k] == "text" and (not unit_cols or k < unit_cols[0])]
    after_units = [k for k in after if kinds[k] == "text" and unit_cols and k > unit_cols[-1]]
    out: list[list[str | None]] = []
    for part in _sub_rows(cells, bool(before_units and unit_cols), len(after_units)):
        sub = list(row)
        _fill_row(sub, part, unit_cols, before_units, after_units)
        out.append(sub)
    return out


def _sub_rows(cells: list[str], split: bool, texts_after: int) -> list[list[str]]:
    """A numbered row's cells cut into its task rows: text cells, then a run of unit
    cells, then the text cells after the unit columns. Without text columns before the
    units there is one row (its unit cells are its last run of unit lists)."""
    runs = 0
    for k, text in enumerate(cells):
        if _unit_cell(text) and (k == 0 or not _unit_cell(cells[k - 1])):
            runs += 1
    if not split or runs < 2 or _unit_cell(cells[0]):
        return [cells]
    out: list[list[str]] = []
    k = 0
    while k < len(cells):
        j = k
        while j < len(cells) and not _unit_cell(cells[j]):
            j += 1
        while j < len(cells) and _unit_cell(cells[j]):
            j += 1
        j = min(len(cells), j + texts_after)
        out.append(cells[k:j])
        k = j
    return out


def _fill_row(
    row: list[str | None],
    cells: list[str],
    unit_cols: list[int],
    before_units: list[int],
    after_units: list[int],
) -> None:
    """One task row's cells into its columns: the unit cells are its last run of unit
    lists; text cells stand either side."""
    end = len(cells)
    while end > 0 and not _unit_cell(cells[end - 1]):
        end -= 1
    begin = end
    while begin > 0 and _unit_cell(cells[begin - 1]):
        begin -= 1
    if begin == end:  # no unit cell printed: all merged with the row above
        begin = end = len(cells) if before_units or not after_units else 0
    _fill_text(row, before_units, cells[:begin])
    _fill_text(row, after_units, cells[end:])
    unit_cells = cells[begin:end]
    for k in unit_cols:
        row[k] = None
    if unit_cols and unit_cells:
        # More lists than columns: the first cell (牵头) was printed over two lines.
        while len(unit_cells) > len(unit_cols):
            unit_cells[0:2] = [unit_cells[0].rstrip("、，,") + "、" + unit_cells[1]]
        # Fewer: the cells merged with the row above are the first ones.
        for k, text in zip(unit_cols[len(unit_cols) - len(unit_cells) :], unit_cells, strict=True):
            row[k] = "" if text in _EMPTY else text


def _fill_text(row: list[str | None], columns: list[int], cells: list[str]) -> None:
    """Text cells into text columns in order; paragraphs beyond them join the last one."""
    if not columns:
        return
    head, rest = cells[: len(columns) - 1], cells[len(columns) - 1 :]
    for k, text in zip(columns, [*head, "".join(rest)], strict=False):
        row[k] = text


def _paragraphs_to_cells(body: list[str]) -> list[str]:
    """A cell printed over several paragraphs: a paragraph that ends in 、，； goes on in
    the next one, and a note ("注：…") belongs to the cell above."""
    out: list[str] = []
    for text in body:
        goes_on = out and (out[-1].endswith(("、", "，", ",", "；", ";")) or _NOTE.match(text))
        if goes_on and not (_is_units(out[-1].rstrip("、，,；;")) and not _is_units(text)):
            out[-1] += text
            continue
        out.append(text)
    return out
