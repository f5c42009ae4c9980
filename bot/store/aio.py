"""The bot's handle on the store: run repo functions off the event loop.

The store is synchronous (sqlmodel); the bot is asyncio. Each unit of work is
one function of a `Session`, run in a worker thread inside one transaction, so
the event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, text
from sqlmodel import Session

from bot.errors import DatabaseBusy
from bot.store.db import session_scope

T = TypeVar("T")
log = logging.getLogger(__name__)


class Database:
    """`busy_retry`: for how many seconds `run` retries a unit of work that found the
    database locked by another writer (SQLite; each attempt already waits the driver's busy
    timeout). The unit rolled back, so running it again is safe; the wait is an
    `asyncio.sleep`, holding no thread."""

    def __init__(self, engine: Engine, *, busy_retry: float = 0.0) -> None:
        self.engine = engine
        self.busy_retry = busy_retry

    def run_sync(self, fn: Callable[[Session], T]) -> T:
        """Run `fn` in one transaction (commit on success, roll back on error)."""
        with session_scope(self.engine) as session:
            return fn(session)

    async def run(self, fn: Callable[[Session], T]) -> T:
        """`run_sync` in a worker thread (retried while the database is busy, see above)."""
        deadline = time.monotonic() + self.busy_retry
        pause = 0.05
        while True:
            try:
                return await asyncio.to_thread(self.run_sync, fn)
            except DatabaseBusy:
                if time.monotonic() + pause > deadline:
                    raise
                log.info("database busy; retrying in %.2f s", pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 1.0)

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""

        def q(session: Session) -> bool:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            return True

        try:
            return await self.run(q)
        except Exception:
            return False
