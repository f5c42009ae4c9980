"""A real outbox worker process for the exactly-once tests (run as a script).

    python tests/outbox_worker.py DB_URL LOG_FILE [--stale-after SECONDS] [--pause MS]

It drains the outbox through the real web chat adapter (the chat log in the
database, idempotent by key), wrapped by an adapter that appends every send
attempt's key to LOG_FILE first, so a test can count attempts per process.
It exits once the queue has stayed empty for a second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.base import ChatAdapter
from bot.adapters.webchat.store import DbChatStore
from bot.clock import SystemClock
from bot.delivery.outbox import OutboxSender
from bot.events import Outgoing
from bot.store.aio import Database
from bot.store.db import make_engine


class RecordingChat(ChatAdapter):
    """Logs each attempt, then delivers into the web chat log like WebChatAdapter.send."""

    name = "webchat"

    def __init__(self, store: DbChatStore, log: Path, pause: float) -> None:
        self.store = store
        self.log = log
        self.pause = pause

    async def send(self, msg: Outgoing) -> None:
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (msg.key + "\n").encode())
        finally:
            os.close(fd)
        if self.pause:
            await asyncio.sleep(self.pause)
        await self.store.append(msg.user_id, "out", msg.text, msg.key)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("log", type=Path)
    ap.add_argument("--stale-after", type=float, default=300.0)
    ap.add_argument("--pause", type=float, default=0.0, help="milliseconds per send")
    ap.add_argument("--batch", type=int, default=10)
    args = ap.parse_args()
    clock = SystemClock(ZoneInfo("Asia/Shanghai"))
    db = Database(make_engine(args.url))
    adapter = RecordingChat(DbChatStore(db, clock), args.log, args.pause / 1000)
    async with aiohttp.ClientSession():
        sender = OutboxSender(
            db,
            {"webchat": adapter},
            clock,
            worker=f"test-worker-{os.getpid()}",
            batch=args.batch,
            concurrency=4,
            stale_after=timedelta(seconds=args.stale_after),
        )
        await sender.requeue_stale()
        idle = 0
        while idle < 10:
            stats = await sender.drain_once()
            idle = 0 if stats.sent + stats.failed + stats.dead else idle + 1
            if not stats.sent:
                await asyncio.sleep(0.1)


if __name__ == "__main__":
    asyncio.run(main())
