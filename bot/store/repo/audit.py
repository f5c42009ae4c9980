"""The audit trail (audit_log): who did what, when, to which task or version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.store.models import AuditLog
from bot.store.repo.common import utcnow


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
