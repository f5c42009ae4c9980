"""Which chat messages have been handled (incoming_message)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from bot.store.models import IncomingMessage
from bot.store.repo.common import insert_ignore, utcnow


def claim_incoming(
    session: Session, platform: str, message_id: str, *, now: datetime | None = None
) -> bool:
    """True the first time a message is seen; False for a retry or another worker's copy.

    Call it in the transaction that acts on the message: the claim and the action
    commit together, or neither does.
    """
    values = {"platform": platform, "message_id": message_id, "at": utcnow(now)}
    table = IncomingMessage.__table__  # type: ignore[attr-defined]
    return insert_ignore(session, table, values, ["platform", "message_id"])


def prune_incoming(session: Session, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Forget handled messages older than any platform retries (days, not hours)."""
    cutoff = utcnow(now) - older_than
    result = session.exec(delete(IncomingMessage).where(col(IncomingMessage.at) < cutoff))
    return int(result.rowcount or 0)
