"""Set-at-a-time versions of the outbox writes, for reminder passes of thousands of messages.

One statement per batch instead of one per row: a pass of 2,000 messages and
20,000 reminder records costs a few statements, not 22,000 round trips.
Semantics are those of the row-at-a-time functions in outbox.py.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import Session, col, select

from bot.store.models import Outbox, ReminderSent
from bot.store.repo.common import utcnow
from bot.store.repo.outbox import _mark_sent_where, _queued_row

_CHUNK = 500  # rows per statement: well under SQLite's bound-parameter limit


def _chunks(rows: Sequence[Any], n: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(rows), n):
        yield rows[i : i + n]


def _insert_ignore_many(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    for chunk in _chunks(rows):
        if dialect in ("postgresql", "sqlite"):  # the engine has imported this dialect already
            dialect_insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
            stmt: Any = dialect_insert(table).on_conflict_do_nothing(index_elements=key)
        else:  # portable fallback: skip keys already present, then plain insert
            stmt = insert(table)
        session.exec(stmt, params=list(chunk))


def enqueue_outbox_many(
    session: Session, messages: Sequence[dict[str, Any]], *, now: datetime | None = None
) -> set[str]:
    """Queue many messages (dicts with key, platform, user_id, text, kind, contact_id).

    Returns the keys that were new; keys queued before are left as they are.
    """
    at = utcnow(now)
    keys = [m["key"] for m in messages]
    existing: set[str] = set()
    for chunk in _chunks(keys):
        existing.update(session.exec(select(Outbox.key).where(col(Outbox.key).in_(chunk))))
    rows = [
        _queued_row(
            key=m["key"],
            platform=m["platform"],
            user_id=m["user_id"],
            text=m["text"],
            kind=m.get("kind", ""),
            contact_id=m.get("contact_id"),
            task_id=m.get("task_id"),
            reply_context=m.get("reply_context"),
            at=at,
        )
        for m in messages
        if m["key"] not in existing
    ]
    _insert_ignore_many(session, Outbox.__table__, rows, ["key"])  # type: ignore[attr-defined]
    return {r["key"] for r in rows}


def record_reminders_many(
    session: Session,
    records: Sequence[tuple[int, int, str, date]],
    *,
    now: datetime | None = None,
) -> None:
    """Note many (task_id, contact_id, kind, sent_on) reminders; repeats are ignored."""
    at = utcnow(now)
    rows = [
        {"task_id": t, "contact_id": c, "kind": k, "sent_on": d, "at": at}
        for t, c, k, d in dict.fromkeys(records)
    ]
    _insert_ignore_many(
        session,
        ReminderSent.__table__,  # type: ignore[attr-defined]
        rows,
        ["task_id", "contact_id", "kind", "sent_on"],
    )


def mark_sent_many(
    session: Session, outbox_ids: Sequence[int], *, worker: str, now: datetime | None = None
) -> int:
    """`mark_sent` for many rows of one worker; returns how many were still its claims."""
    if not outbox_ids:
        return 0
    total = 0
    for chunk in _chunks(list(outbox_ids)):
        total += _mark_sent_where(session, col(Outbox.id).in_(chunk), worker=worker, now=now)
    return total
