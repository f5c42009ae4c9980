"""Correcting and withdrawing a hand-made task (bot/store/manual.py): `taskbot tasks edit`,
`taskbot tasks withdraw` and the task page's forms come here.

Only tasks of a manual plan: a plan's task is corrected in that plan's review. An edit
checks everything the way an add does, appends the corrected register line to the (new)
source's register and points the task at it; a withdrawal sets status `withdrawn` with a
status event, keeping every reply and reminder. Both are audited, and the departments on
the task (before and after) are told through the outbox, in the same transaction, the way
a coordinator's decisions are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.store import repo
from bot.store.keys import normalize_key
from bot.store.manual import (
    EntryRefused,
    ManualTask,
    Matcher,
    append_register,
    check_entry,
    manual_plan,
    register_line,
)
from bot.store.models import (
    Assignment,
    AssignmentRole,
    Department,
    PlanKind,
    PlanRow,
    StatusEvent,
    Task,
    TaskStatus,
)
from bot.store.repo import chatstate
from bot.store.repo.tasks import task_label

Render = Callable[..., str]
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class ManualEdit:
    """What to change; None leaves a field as it is."""

    title: str | None = None
    text: str | None = None
    lead: str | None = None
    cooperating: tuple[str, ...] | None = None
    due: date | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Changed:
    pk: int
    key: str
    # field -> (before, after), as shown to people ("" for none)
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)
    told: int = 0  # messages queued for the departments


def find_manual_task(session: Session, key: str) -> Task:
    """The hand-made task people call `key` ("0.3"); a plan's task is refused by name."""
    norm = normalize_key(key)
    stmt = (
        select(Task)
        .join(PlanRow, col(PlanRow.id) == Task.plan_id)
        .where(Task.key == norm, PlanRow.kind == PlanKind.MANUAL)
    )
    found = session.exec(stmt).first()
    if found is not None:
        return found
    other = session.exec(select(Task.id).where(Task.key == norm)).first()
    if other is not None:
        raise _from_plan(norm)
    raise EntryRefused(f"no hand-made task {key}", f"没有手工任务 {key}")


def _from_plan(key: str) -> EntryRefused:
    return EntryRefused(
        f"task {key} comes from a plan document; correct it in that plan's review",
        f"任务 {key} 来自方案文件，请在方案审核中修改",
    )


def manual_task(session: Session, pk: int) -> Task:
    """Task `pk` if it is hand-made (else EntryRefused)."""
    task = session.get(Task, pk)
    if task is None:
        raise EntryRefused(f"no task with database id {pk}", "没有这项任务")
    plan = session.get(PlanRow, task.plan_id)
    if plan is None or plan.kind != PlanKind.MANUAL:
        raise _from_plan(task.key)
    return task


def current_entry(session: Session, task: Task) -> ManualTask:
    """A hand-made task as it now stands, in the form it was entered."""
    assert task.id is not None
    stmt = (
        select(Department.name, Assignment.role)
        .join(Department, col(Department.id) == Assignment.department_id)
        .where(Assignment.task_id == task.id)
        .order_by(col(Assignment.position))
    )
    rows = list(session.exec(stmt))
    lead = next((n for n, r in rows if r == AssignmentRole.LEAD), "")
    coop = tuple(n for n, r in rows if r != AssignmentRole.LEAD)
    plan = session.get(PlanRow, task.plan_id)
    assert plan is not None and task.due is not None
    text = "" if task.text == task.title else task.text
    return ManualTask(task.title, lead, task.due, coop, text, plan.title)


def _shown(entry: ManualTask) -> dict[str, str]:
    return {
        "title": entry.title,
        "text": entry.text,
        "lead": entry.lead,
        "cooperating": "、".join(entry.cooperating),
        "due": entry.due.isoformat(),
        "source": entry.source,
    }


def _department_ids(session: Session, task_pk: int) -> set[int]:
    return set(chatstate.task_department_roles(session, task_pk))


def _tell(
    session: Session,
    departments: set[int],
    *,
    key: str,
    text: str,
    task_pk: int,
    now: datetime,
) -> int:
    return sum(
        repo.enqueue_for_contacts(
            session,
            chatstate.department_contacts(session, dept),
            key=key,
            text=text,
            kind="manual_change",
            task_id=task_pk,
            now=now,
        )
        for dept in sorted(departments)
    )


def edit_manual_task(
    session: Session,
    pk: int,
    edit: ManualEdit,
    *,
    match: Matcher,
    canonicalize: Callable[[str], str],
    is_known: Callable[[str], bool],
    render: Render,
    actor: str,
    now: datetime,
) -> Changed:
    """Correct a hand-made task; all checked before anything is written. Nothing changed is
    a no-op (no audit, no message)."""
    task = manual_task(session, pk)
    if task.status == TaskStatus.WITHDRAWN:
        raise EntryRefused(f"task {task.key} is withdrawn", f"任务 {task.key} 已撤销，不能修改")
    before = current_entry(session, task)
    merged = ManualTask(
        title=before.title if edit.title is None else edit.title,
        lead=before.lead if edit.lead is None else edit.lead,
        due=before.due if edit.due is None else edit.due,
        cooperating=before.cooperating if edit.cooperating is None else edit.cooperating,
        text=before.text if edit.text is None else edit.text,
        source=before.source if edit.source is None else edit.source,
    )
    title, text, source, lead, coop = check_entry(
        session, merged, match=match, canonicalize=canonicalize, is_known=is_known
    )
    after = ManualTask(title, lead, merged.due, tuple(coop), text, source)
    old, new = _shown(before), _shown(after)
    fields = {k: (old[k], new[k]) for k in old if old[k] != new[k]}
    if not fields:
        return Changed(pk, task.key)
    departments_before = _department_ids(session, pk)
    old_plan = task.plan_id
    plan, version = manual_plan(session, source, now)
    assert plan.id is not None and version.id is not None
    span = append_register(
        session, version, register_line(task.key, title, text, lead, coop, after.due)
    )
    if plan.id != old_plan:
        others = session.exec(select(Task.id).where(Task.plan_id == plan.id))
        task.plan_id, task.chapter, task.position = plan.id, source, len(list(others))
    task.title, task.text = title, text or title
    task.due = task.plan_due = after.due
    task.version_id = version.id
    task.span_start, task.span_end = span
    session.add(task)
    repo.set_assignments(session, pk, lead, coop, repo.department_ids(session, [lead, *coop]))
    for plan_id in {old_plan, plan.id}:
        repo.refresh_tracked(session, plan_id)
    repo.audit(
        session,
        actor=actor,
        action="edit_task",
        detail={"key": task.key, "changes": {k: list(v) for k, v in fields.items()}},
        task_id=pk,
        version_id=version.id,
        now=now,
    )
    told = 0
    if set(fields) - {"source"} and task.status != TaskStatus.CLOSED:
        context: dict[str, Any] = {
            "kind": "changed",
            "task_id": task.key,
            "text": task_label(task.kind, title, task.text),
            "source": source,
            "due": (before.due, after.due) if "due" in fields else None,
            "lead": fields.get("lead"),
            "cooperating": fields.get("cooperating"),
            "content": bool({"title", "text"} & set(fields)),
            "reason": "",
        }
        departments = departments_before | _department_ids(session, pk)
        stamp = now.isoformat(timespec="seconds")
        told = _tell(
            session,
            departments,
            key=f"manual-edit:{pk}:{stamp}",
            text=render("manual_notice", **context),
            task_pk=pk,
            now=now,
        )
    session.flush()
    return Changed(pk, task.key, fields, told)


def withdraw_manual_task(
    session: Session,
    pk: int,
    *,
    reason: str,
    render: Render,
    actor: str,
    now: datetime,
) -> Changed:
    """撤销 a hand-made task: status `withdrawn`, history kept, audited, departments told."""
    task = manual_task(session, pk)
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON:
        raise EntryRefused(
            f"reason is longer than {MAX_REASON} characters", f"原因不能超过{MAX_REASON}个字"
        )
    if task.status == TaskStatus.WITHDRAWN:
        raise EntryRefused(f"task {task.key} is already withdrawn", f"任务 {task.key} 已撤销")
    source = current_entry(session, task).source
    event = StatusEvent(
        task_id=pk,
        contact_id=None,
        actor=actor,
        at=now,
        action="withdraw",
        from_status=task.status,
        to_status=TaskStatus.WITHDRAWN,
        note=reason,
        channel="manual",
    )
    session.add(event)
    repo.audit(
        session,
        actor=actor,
        action="withdraw",
        detail={"key": task.key, "from": task.status, "reason": reason},
        task_id=pk,
        version_id=task.version_id,
        now=now,
    )
    was = task.status
    task.status = TaskStatus.WITHDRAWN
    task.status_changed_at = now
    session.add(task)
    session.flush()
    told = 0
    if was != TaskStatus.CLOSED:
        text = render(
            "manual_notice",
            kind="withdrawn",
            task_id=task.key,
            text=task_label(task.kind, task.title, task.text),
            source=source,
            due=None,
            lead=None,
            cooperating=None,
            content=False,
            reason=reason,
        )
        told = _tell(
            session,
            _department_ids(session, pk),
            key=f"manual-withdraw:{event.id}",
            text=text,
            task_pk=pk,
            now=now,
        )
    return Changed(pk, task.key, {"status": (was, TaskStatus.WITHDRAWN.value)}, told)
