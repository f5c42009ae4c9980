"""What a reminder pass needs from the store, in a few queries rather than one per task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.rules.workcalendar import WorkCalendar
from bot.store.models import StatusEvent, Task, TaskStatus
from bot.store.repo.tasks import TaskRow, list_tasks


@dataclass(frozen=True, slots=True)
class ReminderRow:
    task: TaskRow
    last_progress: date | None
    requested_due: date | None


def reminder_rows(
    session: Session, *, as_of: date, calendar: WorkCalendar | None = None
) -> list[ReminderRow]:
    """Every live task with the date of its latest 进度 report and any pending extension date."""
    rows = list_tasks(session, as_of=as_of, calendar=calendar)
    progress_stmt = (
        select(StatusEvent.task_id, func.max(StatusEvent.at))
        .where(StatusEvent.action == "progress")
        .group_by(col(StatusEvent.task_id))
    )
    last = {tid: at.date() if at else None for tid, at in session.exec(progress_stmt)}
    pending = {r.pk for r in rows if r.status == TaskStatus.EXTENSION_REQUESTED}
    requested: dict[int, date | None] = {}
    if pending:
        stmt = (
            select(StatusEvent.task_id, StatusEvent.requested_due)  # type: ignore[type-var]
            .join(Task, col(Task.id) == StatusEvent.task_id)
            .where(
                col(StatusEvent.task_id).in_(pending),
                StatusEvent.action == "request_extension",
            )
            .order_by(col(StatusEvent.id))
        )
        for tid, due in session.exec(stmt):
            requested[tid] = due  # later rows overwrite: the latest request wins
    return [ReminderRow(r, last.get(r.pk), requested.get(r.pk)) for r in rows]
