"""Server-side login sessions (web_session): create, look up with timeouts, revoke."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.store.models import WebSession

# last_seen is written at most this often per session: the web chat polls every few
# seconds, and a write per poll would contend with real work on SQLite.
TOUCH_EVERY = timedelta(minutes=1)


def create_session(
    session: Session,
    *,
    id: str,
    contact_id: int,
    kind: str,
    csrf: str,
    address: str,
    now: datetime,
) -> WebSession:
    row = WebSession(
        id=id,
        contact_id=contact_id,
        kind=kind,
        csrf=csrf,
        address=address[:64],
        created=now,
        last_seen=now,
    )
    session.add(row)
    session.flush()
    return row


def live_session(
    session: Session,
    id: str,
    *,
    kind: str,
    now: datetime,
    idle: timedelta,
    absolute: timedelta,
) -> WebSession | None:
    """The session `id` if it is of `kind`, not revoked, used within `idle` and younger than
    `absolute`; marks it seen. An expired session is revoked on the way (it cannot revive)."""
    row = session.get(WebSession, id)
    if row is None or row.kind != kind or row.revoked is not None:
        return None
    if now - row.last_seen > idle or now - row.created > absolute:
        row.revoked = now
        session.add(row)
        return None
    if now - row.last_seen >= TOUCH_EVERY:
        row.last_seen = now
        session.add(row)
    return row


def revoke_session(session: Session, id: str, *, now: datetime) -> None:
    session.exec(
        update(WebSession)
        .where(col(WebSession.id) == id, col(WebSession.revoked).is_(None))
        .values(revoked=now)
    )


def revoke_contact_sessions(
    session: Session, contact_ids: Iterable[int], *, now: datetime, kind: str | None = None
) -> int:
    """End every live session of these contacts (a password change, a role taken away)."""
    ids = list(contact_ids)
    if not ids:
        return 0
    stmt = (
        update(WebSession)
        .where(col(WebSession.contact_id).in_(ids), col(WebSession.revoked).is_(None))
        .values(revoked=now)
    )
    if kind is not None:
        stmt = stmt.where(col(WebSession.kind) == kind)
    return int(session.exec(stmt).rowcount or 0)


def known_address(
    session: Session, contact_ids: Iterable[int], address: str, *, since: datetime
) -> bool:
    """Whether one of these contacts logged in from `address` since `since`."""
    ids = list(contact_ids)
    if not ids or not address:
        return False
    stmt = (
        select(WebSession.id)
        .where(
            col(WebSession.contact_id).in_(ids),
            WebSession.address == address[:64],
            col(WebSession.created) >= since,
        )
        .limit(1)
    )
    return session.exec(stmt).first() is not None


def prune_sessions(session: Session, *, older_than: datetime) -> int:
    """Forget sessions created before `older_than` (past any absolute timeout)."""
    result = session.exec(delete(WebSession).where(col(WebSession.created) < older_than))
    return int(result.rowcount or 0)
