"""Plans, their versions and the task rows a version defines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from bot.store.errors import NotFound
from bot.store.models import (
    Assignment,
    AssignmentRole,
    Department,
    PlanRow,
    PlanVersion,
    Task,
    TaskStatus,
    VersionState,
)
from bot.store.repo.common import utcnow
from bot.store.specs import StoredTask, TaskSpec, text_sha256

# --- plans and versions ---------------------------------------------------------------


def find_version_by_text(session: Session, text: str) -> PlanVersion | None:
    """A stored version (published, or a draft under review) with exactly this normalized
    text, if any; a discarded draft does not count."""
    sha = text_sha256(text)
    return session.exec(
        select(PlanVersion)
        .where(PlanVersion.sha256 == sha, PlanVersion.state != VersionState.DISCARDED)
        .order_by(col(PlanVersion.id))
    ).first()


def list_plans(session: Session, *, published: bool = False) -> list[PlanRow]:
    """Every plan; with `published`, only those with a published version (a plan whose
    only version is a draft under review defines no task yet)."""
    stmt = select(PlanRow).order_by(col(PlanRow.id))
    if published:
        live = select(PlanVersion.plan_id).where(col(PlanVersion.is_current))
        stmt = stmt.where(col(PlanRow.id).in_(live))
    return list(session.exec(stmt))


def get_plan(session: Session, plan_id: int) -> PlanRow:
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise NotFound(f"no plan with id {plan_id}")
    return plan


def current_version(session: Session, plan_id: int) -> PlanVersion:
    version = session.exec(
        select(PlanVersion).where(PlanVersion.plan_id == plan_id, col(PlanVersion.is_current))
    ).first()
    if version is None:
        raise NotFound(f"plan {plan_id} has no current version")
    return version


def list_versions(session: Session, plan_id: int) -> list[PlanVersion]:
    return list(
        session.exec(
            select(PlanVersion)
            .where(PlanVersion.plan_id == plan_id)
            .order_by(col(PlanVersion.number))
        )
    )


def create_plan(session: Session, title: str, *, now: datetime | None = None) -> PlanRow:
    plan = PlanRow(title=title, created_at=utcnow(now))
    session.add(plan)
    session.flush()
    return plan


# --- task rows ------------------------------------------------------------------------


def insert_task(
    session: Session,
    *,
    plan_id: int,
    version_id: int,
    spec: TaskSpec,
    parent_id: int | None,
    departments: dict[str, int],
    now: datetime | None = None,
) -> Task:
    """A new task in status `pending`, with its lead and cooperating departments."""
    task = Task(**_task_values(spec, plan_id, version_id, parent_id, departments, utcnow(now)))
    session.add(task)
    session.flush()  # the id, for the assignments and for the milestones under this task
    assert task.id is not None
    # A new task has no assignments to reconcile: the rows go out with the next flush, in
    # one executemany with the other tasks' (a plan's load is a few hundred rows, not 3×).
    for pos, (dept_id, role) in enumerate(_wanted(spec.lead, spec.cooperating, departments)):
        session.add(Assignment(task_id=task.id, department_id=dept_id, role=role, position=pos))
    return task


def insert_tasks(
    session: Session,
    *,
    plan_id: int,
    version_id: int,
    specs: Sequence[TaskSpec],
    departments: dict[str, int],
    now: datetime | None = None,
) -> dict[str, int]:
    """`insert_task` for a whole plan: the row id of each new task, by key.

    One INSERT per level of the tree (measures, then their milestones) and one for every
    assignment, rather than three statements per task: a first load is a few hundred rows.
    """
    at = utcnow(now)
    keys = {s.key for s in specs}
    ids: dict[str, int] = {}
    pending = list(specs)
    while pending:
        # A parent outside `specs` is not ours to wait for: such a task is a root.
        level = [s for s in pending if s.parent_key not in keys or s.parent_key in ids]
        if not level:
            raise ValueError("the plan's tasks form a cycle")
        rows = [
            _task_values(s, plan_id, version_id, ids.get(s.parent_key or ""), departments, at)
            for s in level
        ]
        new_ids = session.scalars(
            insert(Task).returning(col(Task.id), sort_by_parameter_order=True), rows
        ).all()
        for spec, task_id in zip(level, new_ids, strict=True):
            assert task_id is not None
            ids[spec.key] = task_id
        placed = {id(s) for s in level}
        pending = [s for s in pending if id(s) not in placed]
    assignments = [
        {"task_id": ids[s.key], "department_id": dept_id, "role": role, "position": pos}
        for s in specs
        for pos, (dept_id, role) in enumerate(_wanted(s.lead, s.cooperating, departments))
    ]
    if assignments:
        session.execute(insert(Assignment), assignments)
    return ids


def update_task(
    session: Session,
    task: Task,
    *,
    version_id: int,
    spec: TaskSpec,
    parent_id: int | None,
    departments: dict[str, int],
    reassign: bool = True,
    keep_decided_due: bool = True,
) -> None:
    """Rewrite a task in place from a newer version; its id, status and history stay.
    `reassign=False` skips rewriting the assignments (the revision left them as they were).

    The date in force (`due`) follows the plan only when the plan's own date changed; even
    then a decided date (an approved extension: `due` differs from the old plan date) stays
    unless `keep_decided_due` is False (the admin chose the plan's new date)."""
    task.key = spec.key
    task.parent_id = parent_id
    task.chapter = spec.chapter
    task.title = spec.title
    task.text = spec.text
    task.value = spec.value
    decided = task.due != task.plan_due
    if spec.due != task.plan_due and not (decided and keep_decided_due):
        task.due = spec.due
    task.plan_due = spec.due
    task.span_start, task.span_end = spec.span
    task.version_id = version_id
    task.position = spec.position
    session.add(task)
    assert task.id is not None
    if reassign:
        set_assignments(session, task.id, spec.lead, spec.cooperating, departments)


def set_assignments(
    session: Session,
    task_id: int,
    lead: str | None,
    cooperating: Sequence[str],
    departments: dict[str, int],
) -> None:
    """Make the task's assignments exactly `lead` + `cooperating` (in that order)."""
    existing = {
        a.department_id: a
        for a in session.exec(select(Assignment).where(Assignment.task_id == task_id))
    }
    keep: set[int] = set()
    for pos, (dept_id, role) in enumerate(_wanted(lead, cooperating, departments)):
        keep.add(dept_id)
        row = existing.get(dept_id)
        if row is None:
            row = Assignment(task_id=task_id, department_id=dept_id, role=role, position=pos)
        else:
            row.role, row.position = role, pos
        session.add(row)
    for dept_id, row in existing.items():
        if dept_id not in keep:
            session.delete(row)
    task = session.get(Task, task_id)
    assert task is not None
    task.lead_department_id = departments[lead] if lead else None
    task.cooperating_ids = _cooperating_ids(lead, cooperating, departments)
    session.add(task)
    session.flush()


def _task_values(
    spec: TaskSpec,
    plan_id: int,
    version_id: int,
    parent_id: int | None,
    departments: dict[str, int],
    at: datetime,
) -> dict[str, Any]:
    """The columns of a new task row for `spec`: pending, its dates as the plan gives them."""
    return {
        "plan_id": plan_id,
        "key": spec.key,
        "kind": spec.kind,
        "parent_id": parent_id,
        "chapter": spec.chapter,
        "title": spec.title,
        "text": spec.text,
        "value": spec.value,
        "due": spec.due,
        "plan_due": spec.due,
        "tracked": True,
        "status": TaskStatus.PENDING,
        "span_start": spec.span[0],
        "span_end": spec.span[1],
        "version_id": version_id,
        "created_version_id": version_id,
        "position": spec.position,
        "status_changed_at": at,
        "lead_department_id": departments[spec.lead] if spec.lead else None,
        "cooperating_ids": _cooperating_ids(spec.lead, spec.cooperating, departments),
    }


def _wanted(
    lead: str | None, cooperating: Sequence[str], departments: dict[str, int]
) -> list[tuple[int, str]]:
    """(department id, role) of a task's assignments in order: the lead, then each cooperating
    unit once (two names of one department count once)."""
    wanted: list[tuple[int, str]] = []
    seen: set[int] = set()
    names = [(lead, AssignmentRole.LEAD)] if lead else []
    names += [(c, AssignmentRole.COOPERATING) for c in cooperating if c != lead]
    for name, role in names:
        dept_id = departments[name]
        if dept_id not in seen:
            seen.add(dept_id)
            wanted.append((dept_id, role))
    return wanted


def _cooperating_ids(
    lead: str | None, cooperating: Sequence[str], departments: dict[str, int]
) -> str:
    return ",".join(str(departments[c]) for c in dict.fromkeys(cooperating) if c != lead)


def stored_tasks(session: Session, plan_id: int) -> list[StoredTask]:
    """The plan's tasks that are not withdrawn, as the diff compares them."""
    tasks = list(
        session.exec(
            select(Task)
            .where(Task.plan_id == plan_id, Task.status != TaskStatus.WITHDRAWN)
            .order_by(col(Task.position), col(Task.id))
        )
    )
    by_pk = {t.id: t for t in tasks}
    lead: dict[int, str] = {}
    coop: dict[int, list[tuple[int, str]]] = {}
    rows = session.exec(
        select(Assignment.task_id, Assignment.role, Assignment.position, Department.name)
        .join(Department, col(Department.id) == Assignment.department_id)
        .join(Task, col(Task.id) == Assignment.task_id)
        .where(Task.plan_id == plan_id, Task.status != TaskStatus.WITHDRAWN)
    )
    for task_id, role, pos, name in rows:
        if role == AssignmentRole.LEAD:
            lead[task_id] = name
        else:
            coop.setdefault(task_id, []).append((pos, name))
    out: list[StoredTask] = []
    for t in tasks:
        assert t.id is not None
        parent = by_pk.get(t.parent_id) if t.parent_id is not None else None
        spec = TaskSpec(
            key=t.key,
            kind=t.kind,
            parent_key=parent.key if parent is not None else None,
            chapter=t.chapter,
            title=t.title,
            text=t.text,
            value=t.value,
            # The diff compares the plan's dates, never a decision (an approved extension).
            due=t.plan_due,
            span=(t.span_start, t.span_end),
            lead=lead.get(t.id),
            cooperating=tuple(n for _, n in sorted(coop.get(t.id, []))),
            position=t.position,
        )
        extra: dict[str, object] = {}
        if t.due != t.plan_due:
            extra["decided_due"] = t.due
        out.append(StoredTask(pk=t.id, status=t.status, spec=spec, extra=extra))
    return out
