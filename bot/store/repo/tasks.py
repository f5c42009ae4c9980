"""Reading tasks: the coordinator's queries, a department's open work, statistics."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Executable, and_, case, cast, func, literal
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.rules import overdue as od
from bot.rules.completion import rollup_status
from bot.rules.workcalendar import WorkCalendar, make_calendar
from bot.store.errors import NotFound
from bot.store.keys import normalize_key
from bot.store.models import (
    OPEN_STATUSES,
    Assignment,
    Department,
    PlanVersion,
    StatusEvent,
    Task,
    TaskStatus,
)
from bot.store.repo.calendar import calendar_overrides
from parser.deadlines import is_bare_date


def task_label(kind: str, title: str, text: str) -> str:
    """A measure's body holds its milestones' sentences; its title is what people recognise.

    A milestone that is only a date (a task table's 时间节点 cell) is named with its task.
    """
    if kind == "measure" and title:
        return title
    return f"{title}（{text}）" if title and is_bare_date(text) else text


@dataclass(slots=True)  # not frozen: a frozen __init__ costs ~40 ms per 20k rows
class TaskRow:
    """One task as queries return it; `to_json` gives the fields interfaces.md promises."""

    pk: int
    plan_id: int
    id: str
    kind: str
    measure_id: str
    title: str
    text: str
    lead: str | None
    cooperating: list[str]
    due: date | None
    status: str
    overdue_days: int
    version_id: int = 0
    span: tuple[int, int] = (0, 0)
    # False for a measure with live milestones: they are counted, it is not (bot/completion).
    tracked: bool = True
    # The stored status when `status` is a measure's roll-up of its milestones.
    own_status: str = ""

    @property
    def label(self) -> str:
        """How a line names the task: a measure by its title, a milestone by its sentence."""
        return task_label(self.kind, self.title, self.text)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "measure_id": self.measure_id,
            "text": self.text,
            "title": self.title,
            "lead": self.lead,
            "cooperating": list(self.cooperating),
            "due": self.due.isoformat() if self.due else None,
            "status": self.status,
            "overdue_days": self.overdue_days,
            # False: a measure counted as its milestones (bot/rules/completion.py); its status is
            # then their roll-up and own_status the one stored.
            "tracked": self.tracked,
            "own_status": self.own_status or self.status,
            "plan": self.plan_id,
            "pk": self.pk,
        }


def load_calendar(session: Session, kind: str = "cn") -> WorkCalendar:
    """The working-day calendar with the admin's overrides, as stored now."""
    return make_calendar(kind, calendar_overrides(session))


def tracked_condition() -> ColumnElement[bool]:
    """SQL for the counting unit: a milestone, or a measure without live milestones (the
    `tracked` column repo.refresh_tracked keeps)."""
    return col(Task.tracked).is_(True)


def refresh_tracked(session: Session, plan_id: int) -> None:
    """Recompute the counting unit of a plan's tasks (after a load or a revision): a measure
    with a live milestone is not counted, its milestones are."""
    child = aliased(Task)
    has_live_child = (
        sa_select(literal(1))
        .where(col(child.parent_id) == col(Task.id), col(child.status) != TaskStatus.WITHDRAWN)
        .exists()
    )
    stmt = (
        sa_update(Task)
        .where(col(Task.plan_id) == plan_id)
        .values(
            tracked=case((and_(col(Task.kind) == "measure", has_live_child), False), else_=True)
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.connection().execute(stmt)
    session.expire_all()


def _core(session: Session, stmt: Executable) -> list[Any]:
    """Run a Core statement wider than sqlmodel's typed `exec` overloads, in the session's
    transaction (flushing first, as `exec` would)."""
    session.flush()
    return list(session.connection().execute(stmt).fetchall())


def list_tasks(
    session: Session,
    *,
    as_of: date,
    department: str | None = None,
    status: str | Sequence[str] | None = None,
    overdue: bool = False,
    plan_id: int | None = None,
    kind: str | None = None,
    lead_only: bool = False,
    task_ids: Sequence[int] | None = None,
    calendar: WorkCalendar | None = None,
    cooperating_only: bool = False,
) -> list[TaskRow]:
    """Tasks matching every given filter, in plan order.

    `department` matches tasks it leads or cooperates on (`lead_only` narrows to leads,
    `cooperating_only` to the ones it cooperates on); `overdue` keeps counting units
    (bot/rules/completion.py) overdue at `as_of` by the rule of bot/rules/overdue.py. A measure
    with milestones shows their rolled-up status. Withdrawn tasks are returned only when `status`
    asks for them. `calendar` defaults to the stored one (the admin's overrides on "cn").
    """
    cal = calendar or load_calendar(session)
    # sqlalchemy's select: sqlmodel's typed overloads stop at four columns.
    stmt = sa_select(
        col(Task.id),
        col(Task.plan_id),
        col(Task.key),
        col(Task.kind),
        col(Task.title),
        col(Task.text),
        col(Task.due),
        col(Task.status),
        col(Task.version_id),
        col(Task.span_start),
        col(Task.span_end),
        col(Task.lead_department_id),
        col(Task.cooperating_ids),
        col(Task.tracked),
    ).order_by(col(Task.plan_id), col(Task.position), col(Task.id))
    conds: list[Any] = []
    names = department_names(session)
    if department is not None:
        dept = next((i for i, n in names.items() if n == department), None)
        if dept is None:
            raise NotFound(f"no department named {department}")
        if lead_only:
            conds.append(Task.lead_department_id == dept)
        elif cooperating_only:
            sub = select(Assignment.task_id).where(
                Assignment.department_id == dept, Assignment.role == "cooperating"
            )
            conds.append(col(Task.id).in_(sub))
        else:
            sub = select(Assignment.task_id).where(Assignment.department_id == dept)
            conds.append(col(Task.id).in_(sub))
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        conds.append(col(Task.status).in_(wanted))
    else:
        conds.append(Task.status != TaskStatus.WITHDRAWN)
    if overdue:
        conds.append(col(Task.status).in_(OPEN_STATUSES))
        conds.append(col(Task.due) < od.overdue_cutoff(as_of, cal))
        conds.append(tracked_condition())
    if plan_id is not None:
        conds.append(Task.plan_id == plan_id)
    if kind is not None:
        conds.append(Task.kind == kind)
    if task_ids is not None:
        conds.append(col(Task.id).in_(list(task_ids)))
    with _gc_paused():
        rows = _rows(_core(session, stmt.where(and_(*conds))), names, as_of, cal)
    if not overdue:
        # (An overdue list holds counting units only: no measure there has milestones.)
        rows = _roll_up(session, rows, as_of, cal)
        if status is not None:
            wanted_set = {status} if isinstance(status, str) else set(status)
            # A measure shows its rolled-up status: one that rolled out of the asked statuses
            # (all its milestones closed) is not listed under them.
            rows = [r for r in rows if r.status in wanted_set]
    return rows


# Above this many measures one grouped pass over all milestones beats an IN list.
_IN_LIST_MAX = 500


def _roll_up(
    session: Session, rows: list[TaskRow], as_of: date, cal: WorkCalendar
) -> list[TaskRow]:
    """Give each measure with live milestones their rolled-up status (bot/rules/completion.py)."""
    measures = {r.pk: r for r in rows if r.kind == "measure"}
    if not measures:
        return rows
    stmt = (
        sa_select(col(Task.parent_id), col(Task.status))
        .where(col(Task.parent_id).is_not(None), col(Task.status) != TaskStatus.WITHDRAWN)
        .distinct()
    )
    if len(measures) <= _IN_LIST_MAX:
        stmt = stmt.where(col(Task.parent_id).in_(list(measures)))
    children: dict[int, list[str]] = {}
    for parent, st in _core(session, stmt):
        if parent in measures:
            children.setdefault(parent, []).append(st)
    for pk, sts in children.items():
        r = measures[pk]
        r.own_status = r.status
        r.status = rollup_status(r.status, sts)
        r.tracked = False
        r.overdue_days = od.overdue_days(r.due, r.status, as_of, cal)
    return rows


# The collector's switch is process-wide and these queries run in worker threads: one
# query's `finally: gc.enable()` must not end another's pause, nor re-enable a collector
# the process had switched off. So the pauses are counted under a lock: the first saves
# the state and pauses, the last restores what the first saved.
_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = True


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Building 20k+ rows would run the cyclic collector dozens of times over every live
    # object (~50 ms of the all-departments overdue query); these rows form no cycles.
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def _rows(rows: list[Any], names: dict[int, str], as_of: date, cal: WorkCalendar) -> list[TaskRow]:
    open_statuses = set(OPEN_STATUSES)
    cutoff = od.overdue_cutoff(as_of, cal)
    # Few distinct due dates among many rows: count each one's working days once.
    late: dict[date, int] = {}
    # Many rows share a cooperator list (a measure and its milestones): decode each once.
    decoded: dict[str, list[str]] = {"": []}
    by_text = {str(k): v for k, v in names.items()}  # ids as stored in cooperating_ids
    out = []
    for pk, plan, key, kind_, title, text, due, st, ver, s0, s1, lead_id, coop_ids, unit in rows:
        coop = decoded.get(coop_ids)
        if coop is None:
            coop = decoded[coop_ids] = [by_text[i] for i in coop_ids.split(",")]
        out.append(
            TaskRow(
                pk,
                plan,
                key,
                kind_,
                # A milestone's id is its measure's id plus an ordinal (parse contract).
                key if kind_ == "measure" else key.rsplit(".", 1)[0],
                title,
                text,
                names[lead_id] if lead_id is not None else None,
                coop.copy(),
                due,
                st,
                (late.get(due) or late.setdefault(due, od.overdue_days(due, st, as_of, cal)))
                if due is not None and due < cutoff and st in open_statuses
                else 0,
                ver,
                (s0, s1),
                bool(unit),
                st,
            )
        )
    return out


def department_names(session: Session) -> dict[int, str]:
    """Department id -> name (a city has tens of departments: one small read)."""
    return dict(_core(session, sa_select(col(Department.id), col(Department.name))))


def get_task(session: Session, task_pk: int) -> Task:
    task = session.get(Task, task_pk)
    if task is None:
        raise NotFound(f"no task with database id {task_pk}")
    return task


def find_task(session: Session, key: str, *, plan_id: int | None = None) -> Task:
    """The live task a person means by "3.4.2" (also "3.4-2", "３．４．２", "T3.4.2").

    Prefers the most recent plan's task that is not withdrawn.
    """
    norm = normalize_key(key)
    stmt = select(Task).where(Task.key == norm)
    if plan_id is not None:
        stmt = stmt.where(Task.plan_id == plan_id)
    tasks = list(session.exec(stmt))
    if not tasks:
        raise NotFound(f"no task {key}")
    tasks.sort(key=lambda t: (t.status != TaskStatus.WITHDRAWN, t.plan_id, t.id or 0))
    return tasks[-1]


def task_row(
    session: Session, task_pk: int, *, as_of: date, calendar: WorkCalendar | None = None
) -> TaskRow:
    rows = list_tasks(
        session, as_of=as_of, status=list(TaskStatus), task_ids=[task_pk], calendar=calendar
    )
    if not rows:
        raise NotFound(f"no task with database id {task_pk}")
    return rows[0]


def open_tasks_for_department(
    session: Session,
    department_id: int,
    *,
    as_of: date,
    lead_only: bool = False,
    calendar: WorkCalendar | None = None,
) -> list[TaskRow]:
    """A department's tasks still owing work (pending, in progress, returned, extension asked)."""
    dept = session.get(Department, department_id)
    if dept is None:
        raise NotFound(f"no department with id {department_id}")
    return list_tasks(
        session,
        as_of=as_of,
        department=dept.name,
        status=OPEN_STATUSES,
        lead_only=lead_only,
        calendar=calendar,
    )


def source_sentence(session: Session, task_pk: int) -> str:
    """The text the task came from, in the version that last defined it."""
    task = get_task(session, task_pk)
    version = session.get(PlanVersion, task.version_id)
    assert version is not None
    return version.text[task.span_start : task.span_end]


def status_events(session: Session, task_pk: int) -> list[StatusEvent]:
    return list(
        session.exec(
            select(StatusEvent)
            .where(StatusEvent.task_id == task_pk)
            .order_by(col(StatusEvent.at), col(StatusEvent.id))
        )
    )


@dataclass(slots=True)
class DepartmentStats:
    """Counting units (bot/rules/completion.py) a department leads, by status, plus how many are
    overdue; `cooperating` counts the units it only cooperates on, shown apart as 配合."""

    department: str
    total: int = 0
    overdue: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    cooperating: int = 0
    cooperating_overdue: int = 0


def department_stats(
    session: Session,
    *,
    as_of: date,
    plan_id: int | None = None,
    calendar: WorkCalendar | None = None,
) -> list[DepartmentStats]:
    """Per department: led units by status, overdue led units, cooperating units (live only),
    in the plan's order (each department where it first leads)."""
    cal = calendar or load_calendar(session)
    cutoff = od.overdue_cutoff(as_of, cal)
    late = and_(col(Task.status).in_(OPEN_STATUSES), col(Task.due) < cutoff)
    is_overdue = case((late, 1), else_=0)
    live = [col(Task.status) != TaskStatus.WITHDRAWN, tracked_condition()]
    if plan_id is not None:
        live.append(col(Task.plan_id) == plan_id)
    led = (
        sa_select(
            col(Task.lead_department_id),
            col(Task.status),
            func.count(),
            func.sum(is_overdue),
            func.min(cast(col(Task.plan_id), BigInteger) * 1_000_000 + col(Task.position)),
        )
        .where(*live, col(Task.lead_department_id).is_not(None))
        .group_by(col(Task.lead_department_id), col(Task.status))
    )
    names = department_names(session)
    stats: dict[int, DepartmentStats] = {}
    first: dict[int, int] = {}
    for dept_id, status, n, n_late, pos in _core(session, led):
        s = stats.setdefault(dept_id, DepartmentStats(department=names[dept_id]))
        s.total += n
        s.overdue += int(n_late or 0)
        s.by_status[status] = s.by_status.get(status, 0) + n
        first[dept_id] = min(first.get(dept_id, pos), pos)
    # Cooperating counts from the copied ids: one pass over task rows, no 4x-larger join.
    coop = sa_select(col(Task.cooperating_ids), is_overdue).where(
        *live, col(Task.cooperating_ids) != ""
    )
    for ids, n_late in _core(session, coop):
        for i in ids.split(","):
            dept_id = int(i)
            s = stats.setdefault(dept_id, DepartmentStats(department=names[dept_id]))
            s.cooperating += 1
            s.cooperating_overdue += int(n_late or 0)
    # Departments that only cooperate come after those that lead, by name.
    order = sorted(stats, key=lambda i: (first.get(i, 1 << 62), names[i]))
    return [stats[i] for i in order]
