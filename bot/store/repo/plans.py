"""Departments, plans, versions and the task rows a version defines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.store.errors import NotFound
from bot.store.models import (
    Assignment,
    AssignmentRole,
    AuditLog,
    Department,
    PlanRow,
    PlanVersion,
    Task,
    TaskStatus,
    VersionState,
)
from bot.store.specs import StoredTask, TaskSpec, text_sha256
from parser.model import Plan


def utcnow(now: datetime | None = None) -> datetime:
    """`now` if given (tests and --as-of inject the clock), else the real UTC time."""
    return now if now is not None else datetime.now(UTC)


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
    task_id: int | None = None,
    version_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Append one audit record (never updated, never deleted)."""
    session.add(
        AuditLog(
            at=utcnow(now),
            actor=actor,
            action=action,
            detail=detail or {},
            task_id=task_id,
            version_id=version_id,
        )
    )


def list_audit(session: Session, *, task_id: int | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).order_by(col(AuditLog.id))
    if task_id is not None:
        stmt = stmt.where(AuditLog.task_id == task_id)
    return list(session.exec(stmt))


# --- departments ------------------------------------------------------------------------


def department_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Ids for canonical department names, creating the missing departments."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    found = {
        d.name: d.id
        for d in session.exec(select(Department).where(col(Department.name).in_(wanted)))
        if d.id is not None
    }
    for name in wanted:
        if name not in found:
            dept = Department(name=name, aliases=[])
            session.add(dept)
            session.flush()
            assert dept.id is not None
            found[name] = dept.id
    return found


def find_department(session: Session, name: str) -> Department | None:
    """By canonical name, else by a recorded alias."""
    dept = session.exec(select(Department).where(Department.name == name)).first()
    if dept is not None:
        return dept
    for d in session.exec(select(Department)):
        if name in (d.aliases or []):
            return d
    return None


def add_department_alias(session: Session, department: Department, alias: str) -> None:
    if alias != department.name and alias not in department.aliases:
        department.aliases = [*department.aliases, alias]
        session.add(department)


def list_departments(session: Session) -> list[Department]:
    return list(session.exec(select(Department).order_by(col(Department.name))))


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


def add_version(
    session: Session, plan_id: int, parsed: Plan, *, now: datetime | None = None
) -> PlanVersion:
    """Store a version's full text and make it the plan's current one."""
    numbers = [v.number for v in list_versions(session, plan_id)]
    session.exec(
        update(PlanVersion).where(col(PlanVersion.plan_id) == plan_id).values(is_current=False)
    )
    version = PlanVersion(
        plan_id=plan_id,
        number=max(numbers, default=0) + 1,
        title=parsed.document.title,
        source=parsed.document.source,
        sha256=text_sha256(parsed.text),
        text=parsed.text,
        period_end=parsed.document.period_end,
        is_current=True,
        loaded_at=utcnow(now),
    )
    session.add(version)
    session.flush()
    return version


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
    task = Task(
        plan_id=plan_id,
        key=spec.key,
        kind=spec.kind,
        parent_id=parent_id,
        chapter=spec.chapter,
        title=spec.title,
        text=spec.text,
        value=spec.value,
        due=spec.due,
        plan_due=spec.due,
        status=TaskStatus.PENDING,
        span_start=spec.span[0],
        span_end=spec.span[1],
        version_id=version_id,
        created_version_id=version_id,
        position=spec.position,
        status_changed_at=utcnow(now),
    )
    session.add(task)
    session.flush()
    assert task.id is not None
    set_assignments(session, task.id, spec.lead, spec.cooperating, departments)
    return task


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
    wanted: list[tuple[str, str]] = []
    if lead:
        wanted.append((lead, AssignmentRole.LEAD))
    wanted += [(c, AssignmentRole.COOPERATING) for c in cooperating if c != lead]
    existing = {
        a.department_id: a
        for a in session.exec(select(Assignment).where(Assignment.task_id == task_id))
    }
    keep: set[int] = set()
    for pos, (name, role) in enumerate(wanted):
        dept_id = departments[name]
        if dept_id in keep:
            continue
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
    task.cooperating_ids = ",".join(
        str(departments[c]) for c in dict.fromkeys(cooperating) if c != lead
    )
    session.add(task)
    session.flush()


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
