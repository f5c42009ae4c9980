"""Queries the coordinator dashboard and the reports need beyond the task and plan queries.

The overview must stay fast at 100,000 tasks, so its counts come from one grouped query
over the task table instead of a row per task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import BigInteger, and_, case, cast, func
from sqlmodel import Session, col, select

from bot.rules import overdue as od
from bot.rules.completion import Completion, completion
from bot.rules.workcalendar import WorkCalendar
from bot.store.errors import NotFound
from bot.store.models import (
    OPEN_STATUSES,
    Department,
    PlanVersion,
    StatusEvent,
    Task,
    TaskStatus,
)
from bot.store.repo.tasks import load_calendar, tracked_condition


@dataclass(slots=True)
class DepartmentOverview:
    """A department's led counting units by status (bot/rules/completion.py), with what is overdue
    (bot/rules/overdue.py) and what falls due soon."""

    department: str
    total: int = 0
    overdue: int = 0
    due_soon: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def extension_pending(self) -> int:
        return self.by_status.get(TaskStatus.EXTENSION_REQUESTED, 0)

    @property
    def closed(self) -> int:
        return self.by_status.get(TaskStatus.CLOSED, 0)

    @property
    def completion(self) -> Completion:
        return completion(self.by_status)


def department_overview(
    session: Session,
    *,
    as_of: date,
    soon_until: date,
    plan_id: int | None = None,
    calendar: WorkCalendar | None = None,
) -> list[DepartmentOverview]:
    """Per department (led counting units, withdrawn left out), in the plan's order (where each
    department first leads): counts by status, how many open units are overdue at `as_of`, and
    how many open units not yet overdue fall due by `soon_until`."""
    cutoff = od.overdue_cutoff(as_of, calendar or load_calendar(session))
    is_open = col(Task.status).in_(OPEN_STATUSES)
    late = case((and_(is_open, col(Task.due) < cutoff), 1), else_=0)
    soon = case((and_(is_open, col(Task.due) >= cutoff, col(Task.due) <= soon_until), 1), else_=0)
    # Task.lead_department_id mirrors the lead assignment (kept by set_assignments): one
    # pass over the task table, no join, is what keeps this under ~100 ms at 100k tasks.
    stmt = (
        select(  # type: ignore[call-overload]
            Task.lead_department_id,
            Task.status,
            func.count(),
            func.sum(late),
            func.sum(soon),
            func.min(cast(col(Task.plan_id), BigInteger) * 1_000_000 + col(Task.position)),
        )
        .where(
            col(Task.lead_department_id).is_not(None),
            Task.status != TaskStatus.WITHDRAWN,
            tracked_condition(),
        )
        .group_by(col(Task.lead_department_id), col(Task.status))
    )
    if plan_id is not None:
        stmt = stmt.where(Task.plan_id == plan_id)
    rows = list(session.exec(stmt))
    ids = {r[0] for r in rows}
    named = select(Department.id, Department.name).where(col(Department.id).in_(ids))
    names = {dept_id: name for dept_id, name in session.exec(named)}
    out: dict[str, DepartmentOverview] = {}
    first: dict[str, int] = {}
    for dept_id, status, n, n_late, n_soon, pos in rows:
        name = names[dept_id]
        d = out.setdefault(name, DepartmentOverview(department=name))
        d.total += n
        d.overdue += int(n_late or 0)
        d.due_soon += int(n_soon or 0)
        d.by_status[status] = d.by_status.get(status, 0) + n
        first[name] = min(first.get(name, pos), pos)
    return sorted(out.values(), key=lambda d: (first[d.department], d.department))


def get_version(session: Session, version_id: int) -> PlanVersion:
    """One stored plan version (its full text is what task spans point into)."""
    version = session.get(PlanVersion, version_id)
    if version is None:
        raise NotFound(f"no plan version with id {version_id}")
    return version


def last_events(
    session: Session,
    task_pks: Sequence[int] | None = None,
    *,
    actions: Sequence[str] | None = None,
) -> dict[int, StatusEvent]:
    """The latest status event of each task (of the given tasks, or of all), optionally only
    among events of the given actions (e.g. the department's own reports)."""
    latest = select(func.max(StatusEvent.id)).group_by(col(StatusEvent.task_id))
    if actions is not None:
        latest = latest.where(col(StatusEvent.action).in_(list(actions)))
    if task_pks is not None:
        latest = latest.where(col(StatusEvent.task_id).in_(list(task_pks)))
    stmt = select(StatusEvent).where(col(StatusEvent.id).in_(latest))
    return {e.task_id: e for e in session.exec(stmt)}
