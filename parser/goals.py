"""Quantified goals from the plan's 主要目标 section: one goal per target value."""

from __future__ import annotations

import re
from datetime import date

from parser.deadlines import find_times
from parser.model import Goal
from parser.quantities import quantities

_CLAUSE = re.compile(r"[^，,。；;！？\n]+")


def extract_goals(text: str, start: int, end: int, period_end: date | None) -> list[Goal]:
    """Every quantity in text[start:end] becomes a goal with its clause as text.

    "A、B、C分别达到1吨、2吨、3吨" becomes three goals, one per subject.
    """
    chunk = text[start:end]
    times = find_times(chunk, period_end)
    goals: list[Goal] = []
    for cm in _CLAUSE.finditer(chunk):
        clause = cm.group(0)
        qs = quantities(clause)
        if not qs:
            continue
        due = _due_before(times, cm.start() + qs[0][0], period_end)
        texts = _distribute(clause, qs) or [clause.strip()] * len(qs)
        for (_qs, _qe, value), gtext in zip(qs, texts, strict=True):
            goals.append(
                Goal(
                    id=f"G{len(goals) + 1}",
                    text=gtext,
                    due=due,
                    value=value,
                    span=(start + cm.start(), start + cm.end()),
                )
            )
    return goals


def _due_before(times: list, pos: int, period_end: date | None) -> date | None:  # type: ignore[type-arg]
    before = [t for t in times if t.start <= pos]
    return before[-1].due if before else period_end


def _distribute(clause: str, qs: list[tuple[int, int, str]]) -> list[str] | None:
    """Pair subjects before 分别 with the values after it, when the counts agree."""
    if len(qs) < 2 or "分别" not in clause:
        return None
    head, _, tail = clause.partition("分别")
    subjects = [s for s in re.split(r"[、和及]", head) if s]
    if len(subjects) != len(qs):
        return None
    verb = tail[: tail.find(qs[0][2])] if qs[0][2] in tail else ""
    return [f"{s}{verb}{value}" for s, (_a, _b, value) in zip(subjects, qs, strict=True)]
