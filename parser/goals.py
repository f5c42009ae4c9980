"""Quantified goals from the plan's 主要目标 section: one goal per target value."""

from __future__ import annotations

import re
from datetime import date

from parser.deadlines import TimeExpr, find_times
from parser.model import Goal
from parser.quantities import quantities

_CLAUSE = re.compile(r"[^，,。；;！？\n]+")


_BASELINE = re.compile(r"(?:较|比|与|同|基于|以)$")


def extract_goals(text: str, start: int, end: int, period_end: date | None) -> list[Goal]:
    """Every quantity in text[start:end] becomes a goal with its clause as text.

    "A、B、C分别达到1吨、2吨、3吨" becomes three goals, one per value; each keeps
    the clause it came from as its text, so `text[span] == goal.text` always holds.
    """
    chunk = text[start:end]
    # A baseline ("较2023年减少3天", "比2020年下降13.5%") is not when a goal is due.
    times = [t for t in find_times(chunk, period_end) if not _BASELINE.search(chunk, 0, t.start)]
    goals: list[Goal] = []
    for cm in _CLAUSE.finditer(chunk):
        clause = cm.group(0)
        qs = quantities(clause)
        if not qs:
            continue
        stripped = clause.strip()
        a = start + cm.start() + (len(clause) - len(clause.lstrip()))
        due = _due_before(times, cm.start() + qs[0][0], period_end)
        for _qs, _qe, value in qs:
            goals.append(
                Goal(
                    id=f"G{len(goals) + 1}",
                    text=stripped,
                    due=due,
                    value=value,
                    span=(a, a + len(stripped)),
                )
            )
    return goals


def _due_before(times: list[TimeExpr], pos: int, period_end: date | None) -> date | None:
    before = [t for t in times if t.start <= pos]
    return before[-1].due if before else period_end
