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
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session

from bot.adapters.base import AdapterError, AdapterPermanentError, ChatAdapter
from bot.clock import Clock
from bot.database import Database
from bot.events import Outgoing
from bot.store import repo
from bot.store.models import Outbox

log = logging.getLogger("taskbot.outbox")


def worker_name() -> str:
    """Who claims rows: host and pid, so a stale claim can be traced to its process."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DrainStats:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


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
        self._limit = asyncio.Semaphore(concurrency)

    async def requeue_stale(self) -> int:
        now = self.clock.now()
        return await self.db.run(
            lambda s: repo.requeue_stale(s, older_than=self.stale_after, now=now)
        )

    async def drain_once(self) -> DrainStats:
        """Claim one batch and send it; returns what happened."""
        now = self.clock.now()

        def claim(s: Session) -> list[Outbox]:
            return repo.claim_outbox(s, worker=self.worker, now=now, limit=self.batch)

        rows = await self.db.run(claim)
        stats = DrainStats()
        if rows:
            results = await asyncio.gather(*(self._deliver(r) for r in rows))
            for state in results:
                if state == "sent":
                    stats.sent += 1
                elif state == "dead":
                    stats.dead += 1
                else:
                    stats.failed += 1
        return stats

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

    async def _deliver(self, row: Outbox) -> str:
        assert row.id is not None
        row_id = row.id
        adapter = self.adapters.get(row.platform)
        error: str | None = None
        permanent = False
        if adapter is None:
            error, permanent = f"platform {row.platform!r} is not configured", True
        else:
            msg = Outgoing(
                platform=row.platform,
                user_id=row.user_id,
                text=row.text,
                key=row.key,
                reply_context=dict(row.reply_context or {}),
            )
            async with self._limit:
                try:
                    await adapter.send(msg)
                except AdapterPermanentError as exc:
                    error, permanent = f"{type(exc).__name__}: {exc}", True
                except AdapterError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                except Exception as exc:  # an adapter bug must not stop the queue
                    log.exception("adapter %s failed on outbox row %s", row.platform, row_id)
                    error = f"{type(exc).__name__}: {exc}"
        now = self.clock.now()
        if error is None:
            await self.db.run(lambda s: repo.mark_sent(s, row_id, worker=self.worker, now=now))
            return "sent"
        log.warning("outbox row %s to %s failed: %s", row_id, row.platform, error)
        state = await self.db.run(
            lambda s: repo.mark_failed(
                s,
                row_id,
                worker=self.worker,
                error=error or "",
                now=now,
                max_attempts=self.max_attempts,
                permanent=permanent,
            )
        )
        return "dead" if state == "dead" else "failed"
