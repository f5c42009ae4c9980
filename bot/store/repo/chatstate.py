"""What the chat needs beyond status changes: pending questions, take-backs, who to tell.

Small functions over a caller's Session, like the rest of the repo; none commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.store.errors import InvalidTransition, NotFound
from bot.store.models import (
    Assignment,
    AssignmentRole,
    Contact,
    PendingQuestion,
    StatusEvent,
    Task,
)
from bot.store.repo.audit import audit
from bot.store.repo.common import utcnow

# What a contact may take back, and only while the task still shows that report.
RETRACTABLE = ("report_done", "progress", "request_extension")


def ask(
    session: Session,
    platform: str,
    user_id: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    ttl: timedelta,
) -> None:
    """Remember the question asked to this user, replacing any earlier one."""
    drop_question(session, platform, user_id)
    at = utcnow(now)
    session.add(
        PendingQuestion(
            platform=platform, user_id=user_id, payload=payload, asked_at=at, expires_at=at + ttl
        )
    )


def take_question(
    session: Session, platform: str, user_id: str, *, now: datetime
) -> dict[str, Any] | None:
    """The user's pending question (removed), or None when there is none or it expired."""
    row = session.get(PendingQuestion, (platform, user_id))
    if row is None:
        return None
    payload = dict(row.payload)
    expired = row.expires_at <= utcnow(now)
    session.delete(row)
    return None if expired else payload


def drop_question(session: Session, platform: str, user_id: str) -> None:
    """Forget the user's pending question: they moved on to something else."""
    session.exec(
        delete(PendingQuestion).where(
            col(PendingQuestion.platform) == platform, col(PendingQuestion.user_id) == user_id
        )
    )


def task_department_roles(session: Session, task_pk: int) -> dict[int, str]:
    """department id -> lead | cooperating, for one task."""
    stmt = select(Assignment.department_id, Assignment.role).where(Assignment.task_id == task_pk)
    return dict(session.exec(stmt).all())


def milestone_ids(session: Session, task_pk: int) -> list[int]:
    """The milestones under a measure (empty for a milestone)."""
    return list(session.exec(select(Task.id).where(Task.parent_id == task_pk)).all())  # type: ignore[arg-type]


def department_contacts(session: Session, department_id: int) -> list[Contact]:
    """A department's contacts and leaders: who hears about decisions on its tasks."""
    stmt = (
        select(Contact)
        .where(
            Contact.department_id == department_id,
            col(Contact.role).in_(("contact", "leader")),
            col(Contact.disabled_at).is_(None),
        )
        .order_by(col(Contact.id))
    )
    return list(session.exec(stmt).all())


def lead_department_id(session: Session, task_pk: int) -> int | None:
    roles = task_department_roles(session, task_pk)
    return next((d for d, r in roles.items() if r == AssignmentRole.LEAD), None)


def last_requester(session: Session, task_pk: int) -> Contact | None:
    """Who asked for the task's latest extension (to hear the decision)."""
    stmt = (
        select(StatusEvent.contact_id)
        .where(StatusEvent.task_id == task_pk, StatusEvent.action == "request_extension")
        .order_by(col(StatusEvent.id).desc())
    )
    cid = session.exec(stmt).first()
    return None if cid is None else session.get(Contact, cid)


def latest_own_report(
    session: Session, contact_ids: Sequence[int], task_pk: int | None = None
) -> StatusEvent | None:
    """The sender's latest report (on one task, or on any); None when what the sender did
    last there was a take-back already."""
    stmt = select(StatusEvent).where(
        col(StatusEvent.contact_id).in_(list(contact_ids)),
        col(StatusEvent.action).in_((*RETRACTABLE, "retract")),
    )
    if task_pk is not None:
        stmt = stmt.where(StatusEvent.task_id == task_pk)
    last = session.exec(stmt.order_by(col(StatusEvent.id).desc())).first()
    return None if last is None or last.action == "retract" else last


def retract(
    session: Session,
    event: StatusEvent,
    *,
    actor: str,
    contact_id: int | None,
    raw_message: str,
    channel: str,
    now: datetime,
) -> Task:
    """Undo a report: the task goes back to the status it had, recorded as a 'retract' event.

    Refused (InvalidTransition) once anything else happened to the task after it: a
    coordinator closed or returned it, another report came in.
    """
    task = session.get(Task, event.task_id)
    if task is None:
        raise NotFound(f"no task with database id {event.task_id}")
    later = session.exec(
        select(StatusEvent.id).where(
            StatusEvent.task_id == event.task_id, col(StatusEvent.id) > event.id
        )
    ).first()
    if later is not None or task.status != event.to_status:
        raise InvalidTransition(f"task {task.key} changed after that report")
    at = utcnow(now)
    back = StatusEvent(
        task_id=event.task_id,
        contact_id=contact_id,
        actor=actor,
        at=at,
        action="retract",
        from_status=task.status,
        to_status=event.from_status,
        note=f"撤回 {event.at.date().isoformat()} 的报送",
        raw_message=raw_message,
        channel=channel,
    )
    session.add(back)
    audit(
        session,
        actor=actor,
        action="status",
        detail={"action": "retract", "from": task.status, "to": event.from_status},
        task_id=task.id,
        version_id=task.version_id,
        now=at,
    )
    task.status = event.from_status
    task.status_changed_at = at
    session.add(task)
    session.flush()
    return task
