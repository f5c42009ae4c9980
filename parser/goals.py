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
    found = [(cm, qs) for cm in _CLAUSE.finditer(chunk) if (qs := quantities(cm.group(0)))]
    goals: list[Goal] = []
    for run in _parallel_runs(chunk, found):
        first, last = run[0][0], run[-1][0]
        raw = chunk[first.start() : last.end()]
        stripped = raw.strip()
        a = start + first.start() + (len(raw) - len(raw.lstrip()))
        for cm, qs in run:
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


# A quantified clause that opens with its verb, a two-character lead-in at most:
# "向内连接10片…", "新增5个…". Its verb is the two characters before the number.
_VERB_FIRST = re.compile(r"^\s*[\u4e00-\u9fff]{0,2}?([\u4e00-\u9fff]{2})$")


def _parallel_runs(
    chunk: str, found: list[tuple[re.Match[str], list[tuple[int, int, str]]]]
) -> list[list[tuple[re.Match[str], list[tuple[int, int, str]]]]]:
    """Quantified clauses grouped into targets: clauses side by side (split by a comma)
    with the same verb before their numbers ("向内连接10片楔形绿地，向外连接17条生态间隔带")
    list the objects of one target, like "A、B分别达到…" does; each other clause is its own."""
    runs: list[list[tuple[re.Match[str], list[tuple[int, int, str]]]]] = []
    for cm, qs in found:
        if runs:
            prev, prev_qs = runs[-1][-1]
            between = chunk[prev.end() : cm.start()]
            verb = _verb(cm.group(0), qs[0][0])
            if between in ("，", ",") and verb and verb == _verb(prev.group(0), prev_qs[0][0]):
                runs[-1].append((cm, qs))
                continue
        runs.append([(cm, qs)])
    return runs


def _verb(clause: str, at: int) -> str | None:
    m = _VERB_FIRST.match(clause[:at])
    return m.group(1) if m else None


def _due_before(times: list[TimeExpr], pos: int, period_end: date | None) -> date | None:
    before = [t for t in times if t.start <= pos]
    return before[-1].due if before else period_end
