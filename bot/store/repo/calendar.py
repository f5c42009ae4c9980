"""Admin overrides of the working-day calendar (calendar_override)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.store.models import CalendarOverride
from bot.store.repo.audit import audit
from bot.store.repo.common import utcnow


def calendar_overrides(session: Session) -> dict[date, bool]:
    """Every overridden day -> whether it is a working day."""
    return {o.day: o.workday for o in session.exec(select(CalendarOverride))}


def list_calendar_overrides(session: Session) -> list[CalendarOverride]:
    return list(session.exec(select(CalendarOverride).order_by(col(CalendarOverride.day))))


def set_calendar_override(
    session: Session,
    day: date,
    workday: bool,
    *,
    note: str = "",
    actor: str = "cli",
    now: datetime | None = None,
) -> None:
    """Declare `day` a working day or not (replacing an earlier override), audited."""
    at = utcnow(now)
    row = session.get(CalendarOverride, day)
    if row is None:
        row = CalendarOverride(day=day, workday=workday, note=note, set_by=actor, at=at)
    else:
        row.workday, row.note, row.set_by, row.at = workday, note, actor, at
    session.add(row)
    audit(
        session,
        actor=actor,
        action="calendar_override",
        detail={"day": day.isoformat(), "workday": workday, "note": note},
        now=at,
    )
    session.flush()


def unset_calendar_override(
    session: Session, day: date, *, actor: str = "cli", now: datetime | None = None
) -> bool:
    """Forget the override of `day`; False if there was none."""
    row = session.get(CalendarOverride, day)
    if row is None:
        return False
    session.delete(row)
    audit(session, actor=actor, action="calendar_unset", detail={"day": day.isoformat()}, now=now)
    session.flush()
    return True
