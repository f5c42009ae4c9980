"""The bot's handle on the store: run repo functions off the event loop.

The store is synchronous (sqlmodel); the bot is asyncio. Each unit of work is
one function of a `Session`, run in a worker thread inside one transaction, so
the event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, text
from sqlmodel import Session

from bot.store.db import session_scope

T = TypeVar("T")


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run_sync(self, fn: Callable[[Session], T]) -> T:
        """Run `fn` in one transaction (commit on success, roll back on error)."""
        with session_scope(self.engine) as session:
            return fn(session)

    async def run(self, fn: Callable[[Session], T]) -> T:
        """`run_sync` in a worker thread."""
        return await asyncio.to_thread(self.run_sync, fn)

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""

        def q(session: Session) -> bool:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            return True

        try:
            return await self.run(q)
        except Exception:
            return False
