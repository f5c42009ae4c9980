"""Delivering the durable outbox: claim, send, mark — exactly once across crashes and workers.

Rows are claimed in the database (FOR UPDATE SKIP LOCKED on PostgreSQL), so two
`taskbot serve` processes never send the same row. A row is marked sent only
after the platform accepted it; a worker killed between the two leaves the row
`sending`, and `requeue_stale` returns it to the queue. Adapters pass the row's
key to platforms that deduplicate (Matrix transaction ids, the web chat log), so
that retry cannot show twice. Failures retry with backoff; after
`max_attempts` a row is a dead letter, visible to admins and re-sendable.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlmodel import Session

from bot.adapters.base import AdapterError, AdapterPermanentError, ChatAdapter
from bot.clock import Clock
from bot.events import Outgoing
from bot.store import repo
from bot.store.aio import Database
from bot.store.models import Outbox
from bot.store.repo.bulk import mark_sent_many

log = logging.getLogger("taskbot.outbox")


def worker_name() -> str:
    """Who claims rows: host and pid, so a stale claim can be traced to its process."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DrainStats:
    sent: int = 0
    failed: int = 0
    dead: int = 0


class OutboxSender:
    def __init__(
        self,
        db: Database,
        adapters: Mapping[str, ChatAdapter],
        clock: Clock,
        *,
        worker: str | None = None,
        max_attempts: int = 6,
        batch: int = 200,
        concurrency: int = 50,
        stale_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self.db = db
        self.adapters = adapters
        self.clock = clock
        self.worker = worker or worker_name()
        self.max_attempts = max_attempts
        self.batch = batch
        self.stale_after = stale_after
        self.concurrency = max(1, concurrency)

    async def requeue_stale(self) -> int:
        now = self.clock.now()
        return await self.db.run(
            lambda s: repo.requeue_stale(s, older_than=self.stale_after, now=now)
        )

    async def drain_once(self) -> DrainStats:
        """Claim one batch and send it; returns what happened.

        The batch goes out in chunks of `concurrency` messages; each chunk's
        deliveries are recorded in one transaction as soon as the chunk is done,
        so a crash can only leave that one chunk to be retried.
        """
        now = self.clock.now()

        def claim(s: Session) -> list[Outbox]:
            return repo.claim_outbox(s, worker=self.worker, now=now, limit=self.batch)

        rows = await self.db.run(claim)
        stats = DrainStats()
        for i in range(0, len(rows), self.concurrency):
            chunk = rows[i : i + self.concurrency]
            errors = await asyncio.gather(*(self._attempt(r) for r in chunk))
            sent = [r.id for r, err in zip(chunk, errors, strict=True) if err is None]
            failed = [(r, err) for r, err in zip(chunk, errors, strict=True) if err is not None]
            states = await self.db.run(partial(self._record, sent=sent, failed=failed))
            stats.sent += len(sent)
            stats.dead += states.count("dead")
            stats.failed += len(failed) - states.count("dead")
        return stats

    def _record(
        self,
        s: Session,
        *,
        sent: list[int | None],
        failed: list[tuple[Outbox, tuple[str, bool]]],
    ) -> list[str]:
        now = self.clock.now()
        mark_sent_many(s, [i for i in sent if i is not None], worker=self.worker, now=now)
        states: list[str] = []
        for row, (error, permanent) in failed:
            assert row.id is not None
            log.warning("outbox row %s to %s failed: %s", row.id, row.platform, error)
            state = repo.mark_failed(
                s,
                row.id,
                worker=self.worker,
                error=error,
                now=now,
                max_attempts=self.max_attempts,
                permanent=permanent,
            )
            states.append(state or "")
        return states

    async def drain(self) -> DrainStats:
        """Send everything that is due now (used by `taskbot remind` and tests)."""
        total = DrainStats()
        while True:
            st = await self.drain_once()
            total.sent += st.sent
            total.failed += st.failed
            total.dead += st.dead
            if st.sent + st.failed + st.dead == 0:
                return total

    async def _attempt(self, row: Outbox) -> tuple[str, bool] | None:
        """Send one row: None on success, else (error, permanent)."""
        adapter = self.adapters.get(row.platform)
        if adapter is None:
            return f"platform {row.platform!r} is not configured", True
        msg = Outgoing(
            platform=row.platform,
            user_id=row.user_id,
            text=row.text,
            key=row.key,
            reply_context=dict(row.reply_context or {}),
        )
        try:
            await adapter.send(msg)
        except AdapterPermanentError as exc:
            return f"{type(exc).__name__}: {exc}", True
        except AdapterError as exc:
            return f"{type(exc).__name__}: {exc}", False
        except Exception as exc:  # an adapter bug must not stop the queue
            log.exception("adapter %s failed on outbox row %s", row.platform, row.id)
            return f"{type(exc).__name__}: {exc}", False
        return None
