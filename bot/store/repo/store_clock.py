"""The clock a database was demonstrated on (store_clock): recorded by `taskbot demo`, read by
CLI commands against the same database so they answer for the same day (bot/store/clock.py)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.store.models import StoreClock


def record_store_clock(
    session: Session, *, start: datetime, recorded_at: datetime, source: str = "demo"
) -> None:
    """Remember that this database's clock started at `start` at real time `recorded_at`."""
    row = session.exec(select(StoreClock).order_by(col(StoreClock.id))).first()
    if row is None:
        row = StoreClock(start=start, recorded_at=recorded_at, source=source)
    else:
        row.start, row.recorded_at, row.source = start, recorded_at, source
    session.add(row)
    session.flush()


def store_clock(session: Session) -> StoreClock | None:
    return session.exec(select(StoreClock).order_by(col(StoreClock.id))).first()
