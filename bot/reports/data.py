"""What the 督办通报 and the 台账 show, gathered once from the store (repo calls only).

`collect` runs inside one transaction (the CLI's session_scope or Database.run), so both
documents describe one consistent moment. Builders take a `ReportData` and never query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.store import repo
from bot.store.models import STATUS_LABELS, TaskStatus
from bot.store.repo import DepartmentOverview, TaskRow

# The order statuses are listed in tables and stacked in the chart: done work first.
STATUS_ORDER: tuple[str, ...] = (
    TaskStatus.CLOSED,
    TaskStatus.REPORTED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.EXTENSION_REQUESTED,
    TaskStatus.RETURNED,
    TaskStatus.PENDING,
)


@dataclass(frozen=True, slots=True)
class LastReply:
    """The latest status change of a task, as people wrote it."""

    at_local: str
    actor: str
    status: str
    text: str


@dataclass(slots=True)
class ReportData:
    as_of: date
    title: str
    tasks: list[TaskRow]
    departments: list[DepartmentOverview]
    last_reply: dict[int, LastReply] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.tasks)

    def count(self, status: str) -> int:
        return sum(1 for t in self.tasks if t.status == status)

    @property
    def overdue(self) -> list[TaskRow]:
        return [t for t in self.tasks if t.overdue_days > 0]

    @property
    def completion(self) -> float:
        """Share of tasks closed (已销号): a reported task is not done until confirmed."""
        return completion(self.count(TaskStatus.CLOSED), self.total)

    def overdue_by_department(self) -> dict[str, list[TaskRow]]:
        """Overdue tasks grouped by their lead department, most overdue first."""
        groups: dict[str, list[TaskRow]] = defaultdict(list)
        for t in self.overdue:
            groups[t.lead or "（未明确牵头单位）"].append(t)
        return {
            k: sorted(v, key=lambda t: -t.overdue_days)
            for k, v in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        }

    @property
    def measures(self) -> list[TaskRow]:
        return [t for t in self.tasks if t.kind == "measure"]


def completion(closed: int, total: int) -> float:
    return 100.0 * closed / total if total else 0.0


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def collect(session: Session, *, as_of: date, tz_name: str = "Asia/Shanghai") -> ReportData:
    """Everything both reports need, as of `as_of` (withdrawn tasks are left out)."""
    tz = ZoneInfo(tz_name)
    tasks = repo.list_tasks(session, as_of=as_of)
    departments = repo.department_overview(session, as_of=as_of, soon_until=as_of)
    plans = repo.list_plans(session)
    title = plans[-1].title if plans else "督办事项"
    last: dict[int, LastReply] = {}
    for pk, ev in repo.last_events(session).items():
        last[pk] = LastReply(
            at_local=ev.at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if ev.at else "",
            actor=ev.actor,
            status=ev.to_status,
            # A coordinator's 销号 has no words of its own: say what happened and who did it.
            text=ev.raw_message or ev.note or f"{status_label(ev.to_status)}（{ev.actor}）",
        )
    return ReportData(as_of, title, tasks, departments, last)
