"""The web chat's log (chat_message)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.store.models import ChatMessage
from bot.store.repo.common import insert_ignore, utcnow


def append_chat(
    session: Session,
    *,
    key: str,
    user_id: str,
    direction: str,
    text: str,
    now: datetime | None = None,
) -> bool:
    """Add one line to a person's chat log; a repeated `key` adds nothing (returns False)."""
    values = {
        "key": key,
        "user_id": user_id,
        "direction": direction,
        "text": text,
        "at": utcnow(now),
    }
    return insert_ignore(session, ChatMessage.__table__, values, ["key"])  # type: ignore[attr-defined]


def chat_history(
    session: Session, user_id: str, *, after: int = 0, limit: int = 200
) -> list[ChatMessage]:
    """A person's chat lines with id > `after`, oldest first."""
    stmt = (
        select(ChatMessage)
        .where(ChatMessage.user_id == user_id, col(ChatMessage.id) > after)
        .order_by(col(ChatMessage.id))
        .limit(limit)
    )
    return list(session.exec(stmt))
