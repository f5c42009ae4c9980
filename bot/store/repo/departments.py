"""Departments and the other names they go by (department, department_alias)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.store.models import Department


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
