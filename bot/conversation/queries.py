"""Read-only chat answers: a department's tasks, 逾期, 统计 and 进度 of a measure.

Each method renders one template from store queries in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from bot.conversation import intents as it
from bot.rules import overdue as od
from bot.rules.completion import completion
from bot.store import repo
from bot.store.errors import NotFound
from bot.store.repo import Action, ContactView, TaskRow
from parser.units import canonicalize

_PERCENT_NOTE = re.compile(r"^(\d{1,3})%\s*")
# The order statuses are listed in: done work first (as in the reports).
STATUS_ORDER = ("closed", "reported", "in_progress", "extension_requested", "returned", "pending")


def overdue_for(
    s: Session, department: str | None, today: date
) -> tuple[list[TaskRow], list[TaskRow]]:
    """(led, cooperating) overdue units of `department`, most overdue first; for the whole
    city (no department) every overdue unit is in the first list. NotFound for a name no
    department has."""
    if department is None:
        return _worst_first(repo.list_tasks(s, as_of=today, overdue=True)), []
    led = repo.list_tasks(s, as_of=today, department=department, overdue=True, lead_only=True)
    coop = repo.list_tasks(
        s, as_of=today, department=department, overdue=True, cooperating_only=True
    )
    return _worst_first(led), _worst_first(coop)


def _worst_first(rows: list[TaskRow]) -> list[TaskRow]:
    return sorted(rows, key=lambda r: (-r.overdue_days, r.id))


class ChatQueries:
    def __init__(self, render: Callable[..., str]) -> None:
        self.render = render

    def my_tasks(self, s: Session, contacts: list[ContactView], today: date) -> str:
        items: list[dict[str, Any]] = []
        for c in contacts:
            for r in repo.open_tasks_for_department(s, c.department_id, as_of=today):
                role = "lead" if r.lead == c.department else "cooperating"
                items.append(row_items(r) | {"role": role})
        depts = "、".join(dict.fromkeys(c.department for c in contacts))
        return self.render("task_list", department=depts, day=today, tasks=items)

    def overdue(self, s: Session, intent: it.Overdue, today: date) -> str:
        """逾期 [部门]: the department's own (led) overdue units, and apart from them the ones
        it only cooperates on (配合); without a department, the whole city by lead."""
        dept = canonicalize(intent.department) if intent.department else None
        try:
            lead, cooperating = overdue_for(s, dept, today)
        except NotFound:
            return self.render(
                "overdue_list", day=today, department=dept, unknown=True, tasks=[], cooperating=[]
            )
        return self.render(
            "overdue_list",
            day=today,
            department=dept,
            unknown=False,
            tasks=[row_items(r) for r in lead],
            cooperating=[row_items(r) for r in cooperating],
        )

    def stats(self, s: Session, today: date) -> str:
        """统计: counting units by status, the two named rates, per department what it leads
        (done = 已销号) and, apart, what it cooperates on."""
        stats = repo.department_stats(s, as_of=today)
        by_status: dict[str, int] = {}
        for st in stats:
            for k, v in st.by_status.items():
                by_status[k] = by_status.get(k, 0) + v
        done = completion(by_status)
        departments: list[dict[str, Any]] = [
            {
                "department": st.department,
                "total": st.total,
                "closed": st.by_status.get("closed", 0),
                "reported": st.by_status.get("reported", 0),
                "overdue": st.overdue,
                "cooperating": st.cooperating,
                "cooperating_overdue": st.cooperating_overdue,
            }
            for st in stats
            if st.total or st.cooperating
        ]
        return self.render(
            "stats",
            day=today,
            total=done.total,
            by_status=[(k, by_status[k]) for k in STATUS_ORDER if by_status.get(k)],
            overdue=sum(st.overdue for st in stats),
            rates=done.text(),
            departments=departments,
            unit=od.UNIT,
        )

    def progress_query(self, s: Session, key: str, today: date) -> str:
        try:
            task = repo.find_task(s, key)
        except NotFound:
            return self.render("refuse_unknown_task", task_id=key)
        assert task.id is not None
        row = repo.task_row(s, task.id, as_of=today)
        children = [
            self._progress_of(s, r)
            for r in repo.list_tasks(s, as_of=today, plan_id=task.plan_id)
            if r.kind == "milestone" and r.measure_id == row.id and row.kind == "measure"
        ]
        return self.render("progress_query", task=self._progress_of(s, row), children=children)

    def _progress_of(self, s: Session, row: TaskRow) -> dict[str, Any]:
        last = [e for e in repo.status_events(s, row.pk) if e.action == Action.PROGRESS.value]
        note = last[-1].note if last else ""
        m = _PERCENT_NOTE.match(note)
        return row_items(row) | {
            "lead": row.lead,
            "last_progress": last[-1].at.date() if last else None,
            "percent": int(m.group(1)) if m else None,
            "note": note[m.end() :] if m else note,
        }


def row_items(r: TaskRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "text": r.label,
        "due": r.due,
        "status": r.status,
        "overdue_days": r.overdue_days,
        "lead": r.lead,
        # False for a measure with milestones: listed through them where counts matter.
        "tracked": r.tracked,
    }
