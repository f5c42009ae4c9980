"""Who is reached where: contacts per department and platform."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from bot.store.errors import NotFound
from bot.store.models import Assignment, Contact, Department, Role
from bot.store.repo.audit import audit
from bot.store.repo.common import utcnow
from bot.store.repo.departments import department_ids
from bot.store.repo.links import end_chat_access


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact row with its department's name."""

    id: int
    name: str
    platform: str
    user_id: str
    role: str
    department_id: int
    department: str
    disabled: bool = False

    @property
    def is_coordinator(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class ContactSpec:
    """A validated contact to store (department already canonical)."""

    department: str
    name: str
    platform: str
    user_id: str
    role: str


def _views(session: Session, stmt: object) -> list[ContactView]:
    out = []
    for c, dept_name in session.exec(stmt):  # type: ignore[call-overload]
        assert c.id is not None
        out.append(
            ContactView(
                id=c.id,
                name=c.name,
                platform=c.platform,
                user_id=c.user_id,
                role=c.role,
                department_id=c.department_id,
                department=dept_name,
                disabled=c.disabled_at is not None,
            )
        )
    return out


def _enabled() -> ColumnElement[bool]:
    """Contacts an admin has not disabled: the ones reminded, told and recognised in chat."""
    return col(Contact.disabled_at).is_(None)


def _base() -> object:
    return (
        select(Contact, Department.name)
        .join(Department, col(Department.id) == Contact.department_id)
        .order_by(col(Department.name), col(Contact.name), col(Contact.id))
    )


def find_contacts(session: Session, platform: str, user_id: str) -> list[ContactView]:
    """Every enabled row for this platform account (one person may serve several
    departments); a disabled contact is a stranger to the chat."""
    stmt = _base().where(Contact.platform == platform, Contact.user_id == user_id, _enabled())  # type: ignore[attr-defined]
    return _views(session, stmt)


def get_contact(session: Session, contact_id: int) -> ContactView:
    found = _views(session, _base().where(Contact.id == contact_id))  # type: ignore[attr-defined]
    if not found:
        raise NotFound(f"no contact with id {contact_id}")
    return found[0]


def find_contacts_by_name(session: Session, name: str) -> list[ContactView]:
    return _views(session, _base().where(Contact.name == name))  # type: ignore[attr-defined]


def list_contacts(
    session: Session, *, department: str | None = None, with_disabled: bool = False
) -> list[ContactView]:
    """The enabled contacts (the ones reminders go to); `with_disabled` adds the others, for
    the lists an admin manages."""
    stmt: Any = _base()
    if not with_disabled:
        stmt = stmt.where(_enabled())
    if department is not None:
        stmt = stmt.where(Department.name == department)
    return _views(session, stmt)


def coordinators(session: Session) -> list[ContactView]:
    """Contacts who confirm, return and decide on extensions (coordinators and admins)."""
    stmt = _base().where(col(Contact.role).in_([Role.COORDINATOR, Role.ADMIN]), _enabled())  # type: ignore[attr-defined]
    return _views(session, stmt)


def contacts_for_task(session: Session, task_pk: int) -> list[tuple[ContactView, str]]:
    """The contacts of the task's departments with the department's role (lead/cooperating).

    Reminders route through this, so a revision that changes the lead re-routes them.
    """
    stmt = (
        select(Contact, Department.name, Assignment.role)
        .join(Department, col(Department.id) == Contact.department_id)
        .join(Assignment, col(Assignment.department_id) == Contact.department_id)
        .where(Assignment.task_id == task_pk, _enabled())
        .order_by(col(Assignment.position), col(Contact.id))
    )
    out = []
    for c, dept_name, role in session.exec(stmt):
        assert c.id is not None
        view = ContactView(c.id, c.name, c.platform, c.user_id, c.role, c.department_id, dept_name)
        out.append((view, role))
    return out


def existing_contact_keys(session: Session) -> set[tuple[str, str, str]]:
    """(platform, user_id, department name) of every stored contact."""
    stmt = select(Contact.platform, Contact.user_id, Department.name).join(
        Department, col(Department.id) == Contact.department_id
    )
    return {(p, u, d) for p, u, d in session.exec(stmt)}


def upsert_contacts(
    session: Session, specs: Sequence[ContactSpec], *, now: datetime | None = None
) -> tuple[int, int]:
    """Insert new contacts, update name/role of known ones. Returns (created, updated)."""
    depts = department_ids(session, {s.department for s in specs})
    # One query for the rows these specs may match, not one per spec: a 100,000-row import
    # holds the write lock for a fraction of the time.
    known: dict[tuple[str, str, int], Contact] = {}
    user_ids = list({s.user_id for s in specs})
    for i in range(0, len(user_ids), 500):
        stmt = select(Contact).where(
            col(Contact.department_id).in_(list(set(depts.values()))),
            col(Contact.user_id).in_(user_ids[i : i + 500]),
        )
        for found in session.exec(stmt):
            known[(found.platform, found.user_id, found.department_id)] = found
    created = updated = 0
    for s in specs:
        row = known.get((s.platform, s.user_id, depts[s.department]))
        if row is None:
            new = Contact(
                department_id=depts[s.department],
                name=s.name,
                platform=s.platform,
                user_id=s.user_id,
                role=s.role,
                created_at=utcnow(now),
            )
            session.add(new)
            known[(s.platform, s.user_id, depts[s.department])] = new
            created += 1
        elif (row.name, row.role) != (s.name, s.role):
            row.name, row.role = s.name, s.role
            session.add(row)
            updated += 1
    session.flush()
    return created, updated


def set_password_hash(session: Session, contact_id: int, password_hash: str | None) -> None:
    """Store a dashboard password hash (hashing is the caller's job, e.g. argon2)."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    contact.password_hash = password_hash
    session.add(contact)


def password_hash(session: Session, contact_id: int) -> str | None:
    contact = session.get(Contact, contact_id)
    return contact.password_hash if contact is not None else None


def person_contacts(session: Session, one: ContactView) -> list[ContactView]:
    """Every account of the person `one` is: the rows of the same name in the same
    department, one per platform, disabled ones included."""
    rows = list_contacts(session, department=one.department, with_disabled=True)
    return [c for c in rows if c.name == one.name]


def set_contacts_enabled(
    session: Session,
    contact_ids: Sequence[int],
    *,
    enabled: bool,
    actor: str,
    now: datetime | None = None,
) -> int:
    """Disable (someone left the department) or enable again a person's contact rows;
    returns how many changed. A disabled contact is no longer reminded, told or recognised
    in chat, and its web chat links and sessions end now; its history stays. Audited."""
    at = utcnow(now)
    changed = 0
    for contact_id in contact_ids:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise NotFound(f"no contact with id {contact_id}")
        if (contact.disabled_at is None) == enabled:
            continue
        contact.disabled_at = None if enabled else at
        session.add(contact)
        if not enabled:
            end_chat_access(session, contact_id, actor=actor, now=at)
        changed += 1
    if changed:
        audit(
            session,
            actor=actor,
            action="contact_enabled" if enabled else "contact_disabled",
            detail={"contact_ids": list(contact_ids)},
            now=at,
        )
    session.flush()
    return changed
