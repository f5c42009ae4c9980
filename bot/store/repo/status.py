"""Status changes: who may move a task where, recorded as events and in the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from bot.store.errors import InvalidTransition, NotFound, PermissionDenied
from bot.store.models import Assignment, AssignmentRole, StatusEvent, Task, TaskStatus
from bot.store.repo.audit import audit
from bot.store.repo.common import utcnow
from bot.store.repo.contacts import ContactView, find_contacts, get_contact


class Action(StrEnum):
    """What a person reports or decides; the chat verbs are in `ACTION_WORDS`."""

    PROGRESS = "progress"
    REPORT_DONE = "report_done"
    REQUEST_EXTENSION = "request_extension"
    CLOSE = "close"
    RETURN = "return"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"


ACTION_WORDS: dict[str, Action] = {
    "进度": Action.PROGRESS,
    "完成": Action.REPORT_DONE,
    "延期": Action.REQUEST_EXTENSION,
    "销号": Action.CLOSE,
    "退回": Action.RETURN,
    "批准延期": Action.APPROVE_EXTENSION,
    "驳回延期": Action.REJECT_EXTENSION,
}

# The status a person names in `taskbot update ID STATUS` -> the action that reaches it.
STATUS_ACTIONS: dict[str, Action] = {
    TaskStatus.IN_PROGRESS: Action.PROGRESS,
    TaskStatus.REPORTED: Action.REPORT_DONE,
    TaskStatus.EXTENSION_REQUESTED: Action.REQUEST_EXTENSION,
    TaskStatus.CLOSED: Action.CLOSE,
    TaskStatus.RETURNED: Action.RETURN,
}

P, IP, RP, RT, EX = (
    TaskStatus.PENDING,
    TaskStatus.IN_PROGRESS,
    TaskStatus.REPORTED,
    TaskStatus.RETURNED,
    TaskStatus.EXTENSION_REQUESTED,
)


@dataclass(frozen=True, slots=True)
class Rule:
    allowed_from: frozenset[str]
    to: str
    who: str  # "member" (lead or cooperating dept), "lead" (lead dept), "coordinator"


RULES: dict[Action, Rule] = {
    Action.PROGRESS: Rule(frozenset({P, IP, RT, EX}), IP, "member"),
    Action.REPORT_DONE: Rule(frozenset({P, IP, RT, EX}), RP, "lead"),
    Action.REQUEST_EXTENSION: Rule(frozenset({P, IP, RT}), EX, "lead"),
    Action.CLOSE: Rule(frozenset({RP}), TaskStatus.CLOSED, "coordinator"),
    Action.RETURN: Rule(frozenset({RP}), RT, "coordinator"),
    Action.APPROVE_EXTENSION: Rule(frozenset({EX}), IP, "coordinator"),
    Action.REJECT_EXTENSION: Rule(frozenset({EX}), IP, "coordinator"),
}


def parse_action(word: str) -> Action:
    """An action from its name, its Chinese verb, or the status it leads to."""
    w = word.strip()
    if w in ACTION_WORDS:
        return ACTION_WORDS[w]
    if w in STATUS_ACTIONS:
        return STATUS_ACTIONS[w]
    try:
        return Action(w)
    except ValueError:
        choices = ", ".join([*ACTION_WORDS, *STATUS_ACTIONS, *(a.value for a in Action)])
        raise InvalidTransition(
            f"unknown status or action {word!r}; use one of {choices}"
        ) from None


def _task_roles(session: Session, task_pk: int) -> dict[int, str]:
    stmt = select(Assignment.department_id, Assignment.role).where(Assignment.task_id == task_pk)
    return dict(session.exec(stmt).all())


def _authorise(
    session: Session,
    task: Task,
    rule: Rule,
    who: ContactView,
    rows: Sequence[ContactView] | None = None,
) -> None:
    assert task.id is not None
    if who.role == "admin":
        return
    if rule.who == "coordinator":
        if not who.is_coordinator:
            raise PermissionDenied(
                f"{who.name} is not a coordinator; only coordinators may do this"
            )
        return
    # A person may have rows in several departments; any of them can qualify.
    if rows is None:
        rows = find_contacts(session, who.platform, who.user_id)
    depts = {c.department_id for c in rows}
    depts.add(who.department_id)
    roles = _task_roles(session, task.id)
    mine = {roles[d] for d in depts if d in roles}
    if rule.who == "lead" and AssignmentRole.LEAD not in mine:
        raise PermissionDenied(
            f"{who.name} ({who.department}) is not a contact of task {task.key}'s lead department"
        )
    if rule.who == "member" and not mine:
        raise PermissionDenied(
            f"{who.name} ({who.department}) is not a contact of a department on task {task.key}"
        )


def record_status(
    session: Session,
    task_pk: int,
    action: Action | str,
    *,
    contact_id: int | None,
    actor: str | None = None,
    note: str = "",
    raw_message: str = "",
    channel: str = "",
    new_due: date | None = None,
    now: datetime | None = None,
    sender_rows: Sequence[ContactView] | None = None,
) -> StatusEvent:
    """Apply a reported or decided status change, or raise a clear error.

    Rules: a lead-department contact may report 完成 and ask 延期 (with `new_due` and a
    reason in `note`); a lead or cooperating contact may report 进度; coordinators 销号,
    退回 (with a reason), 批准延期 (the due date becomes the requested one) and 驳回延期.
    Admins may do all of it. `contact_id=None` is the local operator (the CLI without
    --by), who has admin rights. `sender_rows`: every contact row of the sender (one
    per department), when the caller has looked them up already.
    Raises PermissionDenied / InvalidTransition / NotFound.
    """
    act = parse_action(action) if isinstance(action, str) else action
    rule = RULES[act]
    task = session.get(Task, task_pk)
    if task is None:
        raise NotFound(f"no task with database id {task_pk}")
    if contact_id is None:
        who = None
    elif sender_rows is not None:
        who = next((c for c in sender_rows if c.id == contact_id), None) or get_contact(
            session, contact_id
        )
    else:
        who = get_contact(session, contact_id)
    if who is not None:
        _authorise(session, task, rule, who, sender_rows)
    if task.status not in rule.allowed_from:
        raise InvalidTransition(
            f"task {task.key} is {task.status}; {act.value} needs one of "
            + ", ".join(sorted(rule.allowed_from))
        )
    if act == Action.REQUEST_EXTENSION and new_due is None:
        raise InvalidTransition("an extension request needs the new date (延期 ID DATE 原因)")
    if act == Action.RETURN and not note.strip():
        raise InvalidTransition("退回 needs a reason")
    at = utcnow(now)
    old_due = task.due
    if act == Action.APPROVE_EXTENSION:
        task.due = _requested_due(session, task_pk) or task.due
    from_status = task.status
    to_status = task.status if (act == Action.PROGRESS and from_status == EX) else rule.to
    task.status = to_status
    task.status_changed_at = at
    session.add(task)
    event = StatusEvent(
        task_id=task_pk,
        contact_id=contact_id,
        actor=actor or (who.name if who is not None else "operator"),
        at=at,
        action=act.value,
        from_status=from_status,
        to_status=to_status,
        note=note,
        raw_message=raw_message,
        channel=channel,
        requested_due=new_due,
    )
    session.add(event)
    detail: dict[str, object] = {"action": act.value, "from": from_status, "to": to_status}
    if note:
        detail["note"] = note
    if task.due != old_due:
        detail["due"] = [str(old_due), str(task.due)]
    audit(
        session,
        actor=event.actor,
        action="status",
        detail=detail,
        task_id=task_pk,
        version_id=task.version_id,
        now=at,
    )
    session.flush()
    return event


def _requested_due(session: Session, task_pk: int) -> date | None:
    stmt = (
        select(col(StatusEvent.requested_due))
        .where(
            StatusEvent.task_id == task_pk,
            StatusEvent.action == Action.REQUEST_EXTENSION.value,
        )
        .order_by(col(StatusEvent.id).desc())
    )
    return session.exec(stmt).first()


def withdraw_task(
    session: Session,
    task_pk: int,
    *,
    version_id: int,
    actor: str,
    now: datetime | None = None,
) -> None:
    """A revision removed the task: status `withdrawn`, history kept, nothing deleted."""
    task = session.get(Task, task_pk)
    if task is None:
        raise NotFound(f"no task with database id {task_pk}")
    at = utcnow(now)
    event = StatusEvent(
        task_id=task_pk,
        contact_id=None,
        actor=actor,
        at=at,
        action="withdraw",
        from_status=task.status,
        to_status=TaskStatus.WITHDRAWN,
        note=f"removed by plan version {version_id}",
        channel="regenerate",
    )
    session.add(event)
    audit(
        session,
        actor=actor,
        action="withdraw",
        detail={"from": task.status, "key": task.key},
        task_id=task_pk,
        version_id=version_id,
        now=at,
    )
    task.status = TaskStatus.WITHDRAWN
    task.status_changed_at = at
    session.add(task)
