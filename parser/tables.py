"""Task allocation tables (重点任务分工表) -> measures.

Columns are recognised by their headers: 序号/编号, 重点任务/工作任务/主要内容,
牵头单位, 配合单位, 责任单位, 完成时限/时限要求/完成时间.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import zip_longest

from parser.columns import COLUMNS, TaskColumns, recognise
from parser.deadlines import find_times
from parser.ids import IdRegistry
from parser.milestones import deadline_cell_milestones, extract_milestones, reserve_ids
from parser.model import Measure, Milestone, ParseWarning
from parser.normalize import Cell, TableAt
from parser.numbering import Level, fold, heading_marker, marker_length
from parser.structure import heading_title
from parser.units import UnitParser


def table_measures(
    text: str,
    table: TableAt,
    chapter: str,
    units: UnitParser,
    county: tuple[str, ...],
    period_end: date | None,
    warnings: list[ParseWarning],
    ids: IdRegistry,
) -> list[Measure]:
    """Measures from one table, or [] when it is not a task table."""
    heads = [(h, recognise(tuple(c.text for c in row))) for h, row in enumerate(table.rows[:3])]
    found = [(h, cols) for h, cols in heads if cols is not None]
    if not found:
        return []
    h, cols = found[0]
    header = [c.text for c in table.rows[h]]
    # A two-row header: "责任单位" spanning "牵头单位 | 配合单位" beneath it.
    while h + 1 < len(table.rows) and _is_sub_header([c.text for c in table.rows[h + 1]], header):
        below = [c.text for c in table.rows[h + 1]]
        header = [b or a for a, b in zip_longest(header, below, fillvalue="")]
        h += 1
        cols = recognise(tuple(header)) or cols
    measures: list[Measure] = []
    section = chapter
    above: tuple[Cell, ...] = ()
    work = _work_columns(header, cols)
    numbered, by_name = _task_numbers(table.rows[h + 1 :], cols)
    # Rows of one measure: a numbered name cell ("1.做好…") merged over several task rows.
    groups: list[tuple[str, list[tuple[tuple[Cell, ...], tuple[Cell, ...]]]]] = []
    for row in table.rows[h + 1 :]:
        row_above, above = above, row
        cells = [c.text for c in row]
        if not any(cells):
            continue
        if len(set(cells)) == 1:
            section = heading_title(cells[0][marker_length(cells[0]) :])
            continue
        if cols.task >= len(row) or not row[cols.task].text:
            continue
        if groups and _same_item(groups[-1][1][-1][0], row, cols, by_name):
            groups[-1][1].append((row, row_above))
        else:
            groups.append((section, [(row, row_above)]))
    for section, rows in groups:
        row = rows[0][0]
        raw_id = row[cols.id].text if cols.id is not None and cols.id < len(row) else ""
        mid = raw_id.strip("．. ") if re.fullmatch(r"\d+(?:[.．]\d+)*[.．]?", raw_id) else ""
        if not mid and numbered:  # no 序号: the number the task (or name) cell opens with
            mid = str(numbered[id(row)])
        if not mid:  # no 序号 at all: the next free row number
            n = len(measures) + 1
            while str(n) in ids.taken:
                n += 1
            mid = str(n)
        written = mid
        mid, renumbered = ids.claim(mid)
        span = (row[0].start, rows[-1][0][-1].end)
        if renumbered:
            warnings.append(
                ParseWarning(
                    "renumbered_id", f"序号 {written} appears twice; this row is {mid}", span, mid
                )
            )
        clause = _clause(row, cols)
        resp = units.parse(clause) if clause else None
        if resp is None or resp.lead is None:
            warnings.append(ParseWarning("no_clause", "no responsible unit found", span, mid))
        else:
            warnings.extend(ParseWarning("unknown_unit", w, span, mid) for w in resp.warnings)
        coop = list(resp.cooperating) if resp else []
        lead = resp.lead if resp else None
        # The item's later task rows: every unit they name works with the first row's lead.
        for later, _ in rows[1:]:
            more = units.parse(_clause(later, cols))
            warnings.extend(ParseWarning("unknown_unit", w, span, mid) for w in more.warnings)
            coop += [u for u in (more.lead, *more.cooperating) if u and u not in coop]
            if lead is None:
                lead = coop.pop(0) if coop else None
        coop = [u for u in coop if u != lead]
        coop += [u for u in county if u not in coop and u != lead]
        milestones: list[Milestone] = []
        for k, (r, r_above) in enumerate(rows):
            milestones += _row_milestones(
                text, r, r_above, cols, work, mid, period_end, milestones, k > 0
            )
        # The task cells are the text the measure came from: text[span] == text.
        start, end = row[cols.task].start, rows[-1][0][cols.task].end
        measures.append(
            Measure(
                id=mid,
                chapter=section,
                title=_title(row, cols, row[cols.task], bool(numbered), by_name),
                lead=lead,
                cooperating=tuple(coop),
                milestones=tuple(reserve_ids(milestones, mid, ids)),
                span=(start, end),
                text=text[start:end],
            )
        )
    return measures


def _row_milestones(
    text: str,
    row: tuple[Cell, ...],
    row_above: tuple[Cell, ...],
    cols: TaskColumns,
    work: list[int],
    mid: str,
    period_end: date | None,
    before: list[Milestone],
    later: bool,
) -> list[Milestone]:
    """One task row's milestones: its task cell's dates, its 完成时限 cell, and dated
    commitments in its other columns; numbered on from the measure's `before`. A `later`
    task row of the same item whose 完成时限 repeats the row above (merged) adds no date."""
    task = row[cols.task]
    out = extract_milestones(text, task.start, task.end, [], mid, period_end, len(before) + 1)
    if cols.due is not None and cols.due < len(row):
        dcell = row[cols.due]
        merged = later and cols.due < len(row_above) and row_above[cols.due].text == dcell.text
        if not merged:
            known = {m.due for m in out}
            extra = deadline_cell_milestones(
                dcell.text,
                dcell.start,
                task.text,
                mid,
                period_end,
                len(before) + len(out) + 1,
            )
            out += [m for m in extra if m.due not in known]
    out += _work_cell_milestones(text, row, row_above, work, mid, period_end, {m.due for m in out})
    return out


def _same_item(
    previous: tuple[Cell, ...], row: tuple[Cell, ...], cols: TaskColumns, by_name: bool
) -> bool:
    """A task row under the item of the row above: its 序号 cell merged over both rows
    (the same number; and the same name cell, where there is one), or without a 序号 its
    numbered name cell ("1.做好…") merged so."""

    def same(i: int | None) -> bool:
        if i is None:
            return True
        if i >= len(row) or i >= len(previous):
            return False
        return bool(row[i].text) and row[i].text == previous[i].text

    if cols.id is not None:
        return (
            same(cols.id)
            and bool(re.fullmatch(r"\d+", row[cols.id].text.strip("．. ")))
            and same(cols.name)
        )
    return by_name and cols.name is not None and same(cols.name)


# Columns no commitment is written in: remarks, the basis of a task.
_NOT_WORK = re.compile(r"备注|说明|依据|来源")


def _work_columns(header: list[str], cols: TaskColumns) -> list[int]:
    """Columns beside the task that say what is done when ("2024年工作任务", "2025年计划",
    "预期成果"): every column that is not the number, the task, its name, a unit list or the
    deadline, nor a remark."""
    known = {cols.id, cols.task, cols.name, cols.lead, cols.coop, cols.resp, cols.due}
    return [
        i
        for i, name in enumerate(header)
        if i not in known
        and not _NOT_WORK.search(name)
        and not COLUMNS["lead"].search(name)
        and not COLUMNS["coop"].search(name)
        and not COLUMNS["resp"].search(name)
        and not re.search(r"主体|分类|类别", name)
    ]


def _work_cell_milestones(
    text: str,
    row: tuple[Cell, ...],
    above: tuple[Cell, ...],
    columns: list[int],
    mid: str,
    period_end: date | None,
    known: set[date | None],
) -> list[Milestone]:
    """Dated commitments the row writes in its other columns ("2024年年内创建30个…" under
    "2024年工作任务"). Only a cell that names its own date counts: a year column's header
    does not date the cells beneath it, and a cell merged down from the row above (printed
    once, repeated here) was dated with that row."""
    out: list[Milestone] = []
    for i in columns:
        if i >= len(row) or not row[i].text:
            continue
        cell = row[i]
        if i < len(above) and above[i].text == cell.text:
            continue
        for m in extract_milestones(text, cell.start, cell.end, [], mid, period_end):
            # "全年新增…" under "2025年工作计划": a date without its year is not written
            # in the cell (the column's year would have to supply it).
            written = any(t.due == m.due and not t.yearless for t in find_times(m.text))
            if written and m.due not in known:
                known.add(m.due)
                out.append(m)
    return out


def _title(
    row: tuple[Cell, ...], cols: TaskColumns, task: Cell, numbered: bool, by_name: bool
) -> str:
    """The task's name cell where the table has one, else the lead-in of what to do
    (after the row's number when the task or name cell opens with it)."""
    if cols.name is not None and cols.name < len(row) and row[cols.name].text:
        name = row[cols.name].text
        return heading_title(name[marker_length(name) :] if by_name else name)
    return heading_title(task.text[marker_length(task.text) :] if numbered else task.text)


def _task_numbers(
    rows: tuple[tuple[Cell, ...], ...], cols: TaskColumns
) -> tuple[dict[int, int], bool]:
    """Row numbers written inside the cells of a table without a 序号 column: the name
    cells ("1.做好…", a cell merged over the item's task rows, so repeated) or else the
    task cells ("（1）建设…", "（2）推进…"); used when every such cell opens with one, in
    sequence. Whether the numbers are the name cells'."""
    if cols.id is not None:
        return {}, False
    if cols.name is not None:
        by_name = _numbers_in(rows, cols, cols.name, merged=True)
        if by_name:
            return by_name, True
    return _numbers_in(rows, cols, cols.task, merged=False), False


def _numbers_in(
    rows: tuple[tuple[Cell, ...], ...], cols: TaskColumns, col: int, merged: bool
) -> dict[int, int]:
    out: dict[int, int] = {}
    style: tuple[str, str] | None = None
    last = ""
    count = 0
    for row in rows:
        cells = [c.text for c in row]
        if not any(cells) or len(set(cells)) == 1:
            continue
        if cols.task >= len(row) or not row[cols.task].text or col >= len(row):
            continue
        text = row[col].text
        if merged and text and text == last:
            out[id(row)] = count  # the same item's next task row
            continue
        mk = heading_marker(text)
        if mk is None or mk.level != Level.SUB:
            return {}
        shape = (mk.kind, fold(text[: mk.body]).strip()[-1:])
        if style is None:
            style = shape
        if shape != style or mk.number != count + 1:
            return {}
        count, last = mk.number, text
        out[id(row)] = mk.number
    return out if count >= 2 else {}


def _is_sub_header(row: list[str], above: list[str]) -> bool:
    """Every filled cell repeats the header above or is itself a column name."""
    filled = [(i, c.replace(" ", "")) for i, c in enumerate(row) if c.strip()]
    return bool(filled) and all(
        (i < len(above) and c == above[i]) or any(p.search(c) for p in COLUMNS.values())
        for i, c in filled
    )


def _clause(row: tuple[Cell, ...], cols: TaskColumns) -> str:
    def cell(i: int | None) -> str:
        return row[i].text if i is not None and i < len(row) else ""

    parts = []
    if cell(cols.lead):
        parts.append(f"牵头单位：{cell(cols.lead)}")
    if cell(cols.resp):
        parts.append(f"责任单位：{cell(cols.resp)}")
    if cell(cols.coop):
        parts.append(f"配合单位：{cell(cols.coop)}")
    return "；".join(parts)
