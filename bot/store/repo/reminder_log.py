"""The record of reminders sent (reminder_sent): one per task, contact, kind and day."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.store.models import ReminderSent
from bot.store.repo.common import insert_ignore, utcnow


def record_reminder(
    session: Session,
    *,
    task_id: int,
    contact_id: int,
    kind: str,
    sent_on: date,
    now: datetime | None = None,
) -> bool:
    """Note that a reminder of `kind` went to a contact on `sent_on`; False if already noted."""
    values = {
        "task_id": task_id,
        "contact_id": contact_id,
        "kind": kind,
        "sent_on": sent_on,
        "at": utcnow(now),
    }
    return insert_ignore(
        session,
        ReminderSent.__table__,  # type: ignore[attr-defined]
        values,
        ["task_id", "contact_id", "kind", "sent_on"],
    )


def reminders_for_task(session: Session, task_id: int) -> list[ReminderSent]:
    return list(
        session.exec(
            select(ReminderSent)
            .where(ReminderSent.task_id == task_id)
            .order_by(col(ReminderSent.sent_on), col(ReminderSent.id))
        )
    )


def last_reminder_on(
    session: Session, *, task_id: int, contact_id: int, kind: str | None = None
) -> date | None:
    stmt = select(col(ReminderSent.sent_on)).where(
        ReminderSent.task_id == task_id, ReminderSent.contact_id == contact_id
    )
    if kind is not None:
        stmt = stmt.where(ReminderSent.kind == kind)
    return session.exec(stmt.order_by(col(ReminderSent.sent_on).desc())).first()
