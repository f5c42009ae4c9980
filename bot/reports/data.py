"""What the 督办通报 and the 台账 show, gathered once from the store (repo calls only).

`collect` runs inside one transaction (the CLI's session_scope or Database.run), so both
documents describe one consistent moment. Builders take a `ReportData` and never query.

The numbers are the dashboard's and 统计's: counting units (bot/rules/completion.py), overdue in
working days on the stored calendar (bot/rules/overdue.py), departments by what they lead.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.rules.completion import Completion, completion
from bot.store import repo
from bot.store.models import STATUS_LABELS, PlanKind, TaskStatus
from bot.store.repo import Action, DepartmentOverview, TaskRow

# The order statuses are listed in tables and stacked in the chart: done work first.
STATUS_ORDER: tuple[str, ...] = (
    TaskStatus.CLOSED,
    TaskStatus.REPORTED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.EXTENSION_REQUESTED,
    TaskStatus.RETURNED,
    TaskStatus.PENDING,
)

# What a department itself writes; a coordinator's 销号/退回/批准 is not its 反馈.
DEPARTMENT_ACTIONS: tuple[str, ...] = (
    Action.PROGRESS,
    Action.REPORT_DONE,
    Action.REQUEST_EXTENSION,
)


@dataclass(frozen=True, slots=True)
class LastReply:
    """The department's latest report on a task, as its contact wrote it."""

    at_local: str
    actor: str
    status: str
    text: str
    order: int = 0  # the event's id: what "latest" means when two share a minute


@dataclass(slots=True)
class ReportData:
    as_of: date
    title: str
    tasks: list[TaskRow]
    departments: list[DepartmentOverview]
    last_reply: dict[int, LastReply] = field(default_factory=dict)

    @property
    def units(self) -> list[TaskRow]:
        """The counting units (bot/rules/completion.py): what every figure counts."""
        return [t for t in self.tasks if t.tracked]

    @property
    def total(self) -> int:
        return len(self.units)

    def count(self, status: str) -> int:
        return sum(1 for t in self.units if t.status == status)

    @property
    def overdue(self) -> list[TaskRow]:
        return [t for t in self.units if t.overdue_days > 0]

    @property
    def done(self) -> Completion:
        by_status: dict[str, int] = defaultdict(int)
        for t in self.units:
            by_status[t.status] += 1
        return completion(by_status)

    @property
    def completion(self) -> float:
        """已销号率: a reported task is not done until a coordinator confirms it."""
        return self.done.closed_rate

    def overdue_by_department(self) -> dict[str, list[TaskRow]]:
        """Overdue units grouped by their lead department (in the departments' order), most
        overdue first."""
        groups: dict[str, list[TaskRow]] = defaultdict(list)
        for t in self.overdue:
            groups[t.lead or "（未明确牵头单位）"].append(t)
        order = {d.department: i for i, d in enumerate(self.departments)}
        return {
            k: sorted(v, key=lambda t: (-t.overdue_days, t.id))
            for k, v in sorted(groups.items(), key=lambda kv: (order.get(kv[0], 1 << 30), kv[0]))
        }

    @property
    def measures(self) -> list[TaskRow]:
        return [t for t in self.tasks if t.kind == "measure"]

    def latest_reply_under(self, measure: TaskRow) -> LastReply | None:
        """The department's latest report on a measure or any of its milestones."""
        mine = [
            self.last_reply[t.pk]
            for t in self.tasks
            if t.pk in self.last_reply
            and t.plan_id == measure.plan_id
            and (t.pk == measure.pk or (t.kind != "measure" and t.measure_id == measure.id))
        ]
        return max(mine, key=lambda r: r.order, default=None)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def collect(
    session: Session, *, as_of: date, tz_name: str = "Asia/Shanghai", calendar_kind: str = "cn"
) -> ReportData:
    """Everything both reports need, as of `as_of` (withdrawn tasks are left out)."""
    tz = ZoneInfo(tz_name)
    cal = repo.load_calendar(session, calendar_kind)
    tasks = repo.list_tasks(session, as_of=as_of, calendar=cal)
    departments = repo.department_overview(session, as_of=as_of, soon_until=as_of, calendar=cal)
    plans = repo.list_plans(session, published=True)  # not a draft under review
    # The briefing is named for the latest plan document; a plan of hand-made tasks (named
    # for its minutes or instruction) names it only when there is no document.
    documents = [p for p in plans if p.kind != PlanKind.MANUAL] or plans
    title = documents[-1].title if documents else "督办事项"
    last: dict[int, LastReply] = {}
    for pk, ev in repo.last_events(session, actions=DEPARTMENT_ACTIONS).items():
        last[pk] = LastReply(
            at_local=ev.at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if ev.at else "",
            actor=ev.actor,
            status=ev.to_status,
            text=ev.note or ev.raw_message or status_label(ev.to_status),
            order=ev.id or 0,
        )
    return ReportData(as_of, title, tasks, departments, last)
