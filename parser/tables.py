"""Task allocation tables (重点任务分工表) -> measures.

Columns are recognised by their headers: 序号/编号, 重点任务/工作任务/主要内容,
牵头单位, 配合单位, 责任单位, 完成时限/时限要求/完成时间.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import zip_longest

from parser.ids import IdRegistry
from parser.milestones import deadline_cell_milestones, extract_milestones, reserve_ids
from parser.model import Measure, ParseWarning
from parser.normalize import Cell, TableAt
from parser.numbering import marker_length
from parser.structure import heading_title
from parser.units import UnitParser

_COLUMNS = {
    "id": re.compile(r"^(序号|编号|序)$"),
    # A short name of the task beside a column of what to do ("事项 | 工作措施").
    "name": re.compile(r"^(事项|任务名称|项目名称|工作事项|重点事项|任务事项|名称)$"),
    "task": re.compile(
        r"(重点任务|工作任务|任务名称|主要任务|任务内容|主要内容|工作内容|具体措施|工作措施|措施|任务)"
    ),
    "lead": re.compile(r"(牵头单位|牵头部门|主责单位|牵头)"),
    "coop": re.compile(r"(配合单位|配合部门|协办单位|参与单位|配合)"),
    "resp": re.compile(r"(责任单位|责任部门)"),
    "due": re.compile(r"(完成时限|时限要求|完成时间|时间节点|时限|进度安排|完成期限)"),
}


@dataclass(frozen=True, slots=True)
class TaskColumns:
    id: int | None
    task: int
    name: int | None
    lead: int | None
    coop: int | None
    resp: int | None
    due: int | None


def recognise(header: tuple[str, ...]) -> TaskColumns | None:
    """Column positions if this row heads a task table, else None."""
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = cell.replace(" ", "")
        for key in ("id", "name", "lead", "coop", "resp", "due", "task"):
            if key not in found and _COLUMNS[key].search(name):
                found[key] = i
                break
    if "task" not in found and "name" in found:
        found["task"] = found.pop("name")
    if "task" not in found or not ({"lead", "resp"} & found.keys()):
        return None
    return TaskColumns(
        found.get("id"),
        found["task"],
        found.get("name"),
        found.get("lead"),
        found.get("coop"),
        found.get("resp"),
        found.get("due"),
    )


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
                task.start,
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
        (i < len(above) and c == above[i]) or any(p.search(c) for p in _COLUMNS.values())
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
