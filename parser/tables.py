"""Task allocation tables (重点任务分工表) -> measures.

Columns are recognised by their headers: 序号/编号, 重点任务/工作任务/主要内容,
牵头单位, 配合单位, 责任单位, 完成时限/时限要求/完成时间.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import zip_longest

from parser.columns import COLUMNS, TaskColumns, recognise
from parser.ids import IdRegistry
from parser.milestones import deadline_cell_milestones, extract_milestones, reserve_ids
from parser.model import Measure, ParseWarning
from parser.normalize import Cell, TableAt
from parser.numbering import marker_length
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
    for row in table.rows[h + 1 :]:
        cells = [c.text for c in row]
        if not any(cells):
            continue
        if len(set(cells)) == 1:
            section = heading_title(cells[0][marker_length(cells[0]) :])
            continue
        if cols.task >= len(row) or not row[cols.task].text:
            continue
        raw_id = row[cols.id].text if cols.id is not None and cols.id < len(row) else ""
        mid = raw_id.strip("．. ") if re.fullmatch(r"\d+(?:[.．]\d+)*[.．]?", raw_id) else ""
        if not mid:  # no 序号: the next free row number
            n = len(measures) + 1
            while str(n) in ids.taken:
                n += 1
            mid = str(n)
        written = mid
        mid, renumbered = ids.claim(mid)
        if renumbered:
            warnings.append(
                ParseWarning(
                    "renumbered_id",
                    f"序号 {written} appears twice; this row is {mid}",
                    (row[0].start, row[-1].end),
                    mid,
                )
            )
        task = row[cols.task]
        clause = _clause(row, cols)
        resp = units.parse(clause) if clause else None
        if resp is None or resp.lead is None:
            span = (row[0].start, row[-1].end)
            warnings.append(ParseWarning("no_clause", "no responsible unit found", span, mid))
        else:
            span = (row[0].start, row[-1].end)
            warnings.extend(ParseWarning("unknown_unit", w, span, mid) for w in resp.warnings)
        coop = list(resp.cooperating) if resp else []
        coop += [u for u in county if u not in coop and (resp is None or u != resp.lead)]
        milestones = extract_milestones(text, task.start, task.end, [], mid, period_end)
        if cols.due is not None and cols.due < len(row):
            dcell = row[cols.due]
            known = {m.due for m in milestones}
            extra = deadline_cell_milestones(
                dcell.text,
                dcell.start,
                task.text,
                mid,
                period_end,
                len(milestones) + 1,
            )
            milestones += [m for m in extra if m.due not in known]
        # The task cell is the sentence the measure came from: text[span] == text.
        start, end = task.start, task.end
        measures.append(
            Measure(
                id=mid,
                chapter=section,
                title=_title(row, cols, task),
                lead=resp.lead if resp else None,
                cooperating=tuple(coop),
                milestones=tuple(reserve_ids(milestones, mid, ids)),
                span=(start, end),
                text=task.text,
            )
        )
    return measures


def _title(row: tuple[Cell, ...], cols: TaskColumns, task: Cell) -> str:
    """The task's name cell where the table has one, else the lead-in of what to do."""
    if cols.name is not None and cols.name < len(row) and row[cols.name].text:
        return heading_title(row[cols.name].text)
    return heading_title(task.text)


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
