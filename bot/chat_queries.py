"""Read-only chat answers: a department's tasks, 逾期, 统计 and 进度 of a measure.

Each method renders one template from store queries in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from bot import intents as it
from bot.store import repo
from bot.store.errors import NotFound
from bot.store.repo import Action, ContactView, TaskRow
from parser.units import canonicalize

_PERCENT_NOTE = re.compile(r"^(\d{1,3})%\s*")


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
        dept = canonicalize(intent.department) if intent.department else None
        rows = repo.list_tasks(s, as_of=today, department=dept, overdue=True)
        rows.sort(key=lambda r: (-r.overdue_days, r.id))
        return self.render(
            "overdue_list", day=today, department=dept, tasks=[row_items(r) for r in rows]
        )

    def stats(self, s: Session, today: date) -> str:
        stats = repo.department_stats(s, as_of=today)
        total = sum(st.total for st in stats)
        by_status: dict[str, int] = {}
        for st in stats:
            for k, v in st.by_status.items():
                by_status[k] = by_status.get(k, 0) + v
        departments: list[dict[str, Any]] = [
            {
                "department": st.department,
                "total": st.total,
                "done": st.by_status.get("closed", 0) + st.by_status.get("reported", 0),
                "overdue": st.overdue,
            }
            for st in stats
            if st.total
        ]
        departments.sort(key=lambda d: (-d["overdue"], d["department"]))
        return self.render(
            "stats",
            day=today,
            total=total,
            by_status=sorted(by_status.items()),
            overdue=sum(st.overdue for st in stats),
            departments=departments,
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
    }
