"""Dashboard accounts in the store: a coordinator's or admin's contact rows, their role and
password hash, and the audit records of what admins did to them (bot/web/accounts.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.store.models import AuditLog, Contact, Department, Role
from bot.store.repo.common import utcnow
from bot.store.repo.departments import department_ids

DASHBOARD_ROLES = (Role.COORDINATOR.value, Role.ADMIN.value)


def dashboard_rows(session: Session) -> list[tuple[Contact, str]]:
    """Every coordinator and admin contact row with its department's name, by name."""
    stmt = (
        select(Contact, Department.name)
        .join(Department, col(Department.id) == Contact.department_id)
        .where(col(Contact.role).in_(DASHBOARD_ROLES))
        .order_by(col(Contact.name), col(Department.name), col(Contact.id))
    )
    return [(c, d) for c, d in session.exec(stmt)]


def set_role(session: Session, contact_ids: Iterable[int], role: str) -> int:
    """Give these contact rows `role`; how many rows changed."""
    ids = list(contact_ids)
    if not ids:
        return 0
    result = session.exec(
        update(Contact)
        .where(col(Contact.id).in_(ids), col(Contact.role) != role)
        .values(role=role)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def add_contact_row(
    session: Session,
    *,
    department: str,
    name: str,
    platform: str,
    user_id: str,
    role: str,
    password_hash: str | None,
    now: datetime | None = None,
) -> Contact | None:
    """A new contact row (the department created if missing), or None when this platform
    account is already a contact of that department."""
    dept_id = department_ids(session, [department])[department]
    clash = session.exec(
        select(Contact.id).where(
            Contact.platform == platform,
            Contact.user_id == user_id,
            Contact.department_id == dept_id,
        )
    ).first()
    if clash is not None:
        return None
    row = Contact(
        department_id=dept_id,
        name=name,
        platform=platform,
        user_id=user_id,
        role=role,
        password_hash=password_hash,
        created_at=utcnow(now),
    )
    session.add(row)
    session.flush()
    return row


def recent_audit(session: Session, actions: Sequence[str], *, limit: int = 50) -> list[AuditLog]:
    """The newest audit records of these actions, newest first."""
    stmt = (
        select(AuditLog)
        .where(col(AuditLog.action).in_(list(actions)))
        .order_by(col(AuditLog.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt))
