"""The durable send queue (outbox): enqueue, claim, send, retry, dead letters.

Outbox life cycle: `enqueue_outbox` (idempotent on `key`) -> `claim_outbox` (queued ->
sending, owned by one worker) -> `mark_sent` | `mark_failed` (back to queued with backoff,
or dead after `max_attempts`) ; `list_dead` + `resend` for the dead letters;
`requeue_stale` returns rows whose worker died mid-send.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from bot.store.models import Outbox, OutboxState
from bot.store.repo.common import insert_ignore, utcnow


def _queued_row(
    *,
    key: str,
    platform: str,
    user_id: str,
    text: str,
    kind: str,
    contact_id: int | None,
    task_id: int | None,
    reply_context: dict[str, Any] | None,
    at: datetime,
) -> dict[str, Any]:
    """The column values of a message entering the queue: queued, due at once, no attempts."""
    return {
        "key": key,
        "platform": platform,
        "user_id": user_id,
        "text": text,
        "kind": kind,
        "contact_id": contact_id,
        "task_id": task_id,
        "reply_context": reply_context or {},
        "state": OutboxState.QUEUED.value,
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }


def enqueue_outbox(
    session: Session,
    *,
    key: str,
    platform: str,
    user_id: str,
    text: str,
    kind: str = "",
    contact_id: int | None = None,
    task_id: int | None = None,
    reply_context: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue a message once: a second call with the same `key` does nothing (returns False).

    Build `key` from what makes the message unique, e.g. f"remind:{contact}:{task}:{kind}:{day}".
    """
    values = _queued_row(
        key=key,
        platform=platform,
        user_id=user_id,
        text=text,
        kind=kind,
        contact_id=contact_id,
        task_id=task_id,
        reply_context=reply_context,
        at=utcnow(now),
    )
    return insert_ignore(session, Outbox.__table__, values, ["key"])  # type: ignore[attr-defined]


class Addressee(Protocol):
    """Whoever a message goes to: a Contact row or a ContactView."""

    id: int | None
    platform: str
    user_id: str


def enqueue_for_contacts(
    session: Session,
    contacts: Iterable[Addressee],
    *,
    key: str,
    text: str,
    kind: str,
    task_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Queue `text` once for each contact, keyed f"{key}:{contact id}"; how many are new."""
    return sum(
        enqueue_outbox(
            session,
            key=f"{key}:{c.id}",
            platform=c.platform,
            user_id=c.user_id,
            text=text,
            kind=kind,
            contact_id=c.id,
            task_id=task_id,
            now=now,
        )
        for c in contacts
    )


def claim_outbox(
    session: Session, *, worker: str, now: datetime | None = None, limit: int = 20
) -> list[Outbox]:
    """Take up to `limit` due messages for `worker` (state -> sending); no two workers share one.

    PostgreSQL: the candidate rows are first locked FOR UPDATE SKIP LOCKED (a separate
    SELECT: inside `IN (…)` the planner may re-run the subquery per row and, skipping the
    rows it just locked, claim more than `limit`), so concurrent workers pass each other by.
    SQLite runs one writer at a time, so there the claim is one UPDATE whose subquery picks
    the rows and whose WHERE re-checks `state`. Commit soon: others see the claim then.
    """
    at = utcnow(now)
    candidates = (
        select(Outbox.id)
        .where(Outbox.state == OutboxState.QUEUED, col(Outbox.next_attempt_at) <= at)
        .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
        .limit(limit)
    )
    picked: Any = candidates
    if session.get_bind().dialect.name != "sqlite":
        picked = list(session.exec(candidates.with_for_update(skip_locked=True)))
        if not picked:
            return []
    stmt = (
        update(Outbox)
        .where(col(Outbox.id).in_(picked), col(Outbox.state) == OutboxState.QUEUED)
        .values(state=OutboxState.SENDING, claimed_by=worker, claimed_at=at)
        .returning(col(Outbox.id))
        .execution_options(synchronize_session=False)
    )
    ids = [row[0] for row in session.exec(stmt)]
    if not ids:
        return []
    rows = list(
        session.exec(select(Outbox).where(col(Outbox.id).in_(ids)).order_by(col(Outbox.id)))
    )
    for r in rows:
        session.refresh(r)
    return rows


def _mark_sent_where(
    session: Session, which: ColumnElement[bool], *, worker: str, now: datetime | None
) -> int:
    """Mark the rows `which` selects sent, those still claimed by `worker`; how many were."""
    result = session.exec(
        update(Outbox)
        .where(
            which,
            col(Outbox.state) == OutboxState.SENDING,
            col(Outbox.claimed_by) == worker,
        )
        .values(state=OutboxState.SENT, sent_at=utcnow(now), last_error=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def mark_sent(
    session: Session, outbox_id: int, *, worker: str, now: datetime | None = None
) -> bool:
    """Record a delivery. False if the row is no longer this worker's (re-claimed, resent)."""
    return bool(_mark_sent_where(session, col(Outbox.id) == outbox_id, worker=worker, now=now))


def backoff(attempts: int, base: timedelta = timedelta(seconds=30)) -> timedelta:
    """30 s, 1 min, 2 min, … capped at one hour."""
    return min(base * (2 ** max(attempts - 1, 0)), timedelta(hours=1))


def mark_failed(
    session: Session,
    outbox_id: int,
    *,
    worker: str,
    error: str,
    now: datetime | None = None,
    max_attempts: int = 6,
    permanent: bool = False,
) -> str | None:
    """Count a failed attempt: back to `queued` with backoff, or `dead` once attempts run out
    (or at once when `permanent`, e.g. the platform says the user does not exist).
    Returns the new state, or None if the row is not this worker's claim."""
    at = utcnow(now)
    row = session.get(Outbox, outbox_id, populate_existing=True)
    if row is None or row.state != OutboxState.SENDING or row.claimed_by != worker:
        return None
    row.attempts += 1
    row.last_error = error[:2000]
    row.claimed_by = None
    row.claimed_at = None
    if permanent or row.attempts >= max_attempts:
        row.state = OutboxState.DEAD
    else:
        row.state = OutboxState.QUEUED
        row.next_attempt_at = at + backoff(row.attempts)
    session.add(row)
    session.flush()
    return row.state


def requeue_stale(session: Session, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Rows left `sending` by a worker that died: back to queued. Returns how many."""
    cutoff = utcnow(now) - older_than
    result = session.exec(
        update(Outbox)
        .where(col(Outbox.state) == OutboxState.SENDING, col(Outbox.claimed_at) < cutoff)
        .values(state=OutboxState.QUEUED, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def list_outbox(session: Session, *, state: str | None = None) -> list[Outbox]:
    stmt = select(Outbox).order_by(col(Outbox.id))
    if state is not None:
        stmt = stmt.where(Outbox.state == state)
    return list(session.exec(stmt))


def list_dead(session: Session) -> list[Outbox]:
    """Dead letters: messages that will not be retried unless `resend` is called."""
    return list_outbox(session, state=OutboxState.DEAD)


def resend(session: Session, outbox_id: int, *, now: datetime | None = None) -> bool:
    """Give a dead message a fresh set of attempts. False if it was not dead."""
    result = session.exec(
        update(Outbox)
        .where(col(Outbox.id) == outbox_id, col(Outbox.state) == OutboxState.DEAD)
        .values(state=OutboxState.QUEUED, attempts=0, next_attempt_at=utcnow(now))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)
