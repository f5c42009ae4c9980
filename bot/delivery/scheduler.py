"""Background loops the service owns: the reminder pass and the outbox sender.

Tasks are held by strong references, errors are logged and the loop goes on
(never swallowed silently), `CancelledError` is re-raised, and `stop()` lets an
in-flight send batch finish before the process exits, so a SIGTERM never leaves
a message half-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.clock import Clock
from bot.delivery.outbox import OutboxSender
from bot.reminders.service import ReminderService

log = logging.getLogger("taskbot.scheduler")


class Scheduler:
    def __init__(
        self,
        reminders: ReminderService,
        sender: OutboxSender,
        clock: Clock,
        housekeeping: Callable[[], Awaitable[object]],
        *,
        remind_every: float = 60.0,
        send_every: float = 1.0,
        stale_every: float = 60.0,
    ) -> None:
        self.reminders = reminders
        self.sender = sender
        self.clock = clock
        self.remind_every = remind_every
        self.send_every = send_every
        self.stale_every = stale_every
        self.housekeeping = housekeeping
        self._stop = asyncio.Event()
        self._nudged = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        for name, fn, every, wake in (
            ("reminders", self._remind, self.remind_every, self._stop),
            ("outbox", self._send, self.send_every, self._nudged),
            ("housekeeping", self.housekeeping, self.stale_every, self._stop),
        ):
            task = asyncio.create_task(self._loop(name, fn, every, wake), name=f"taskbot-{name}")
            self._tasks.add(task)

    def wake_sender(self) -> None:
        """Deliver now rather than at the next tick (an answer was just queued)."""
        self._nudged.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Ask loops to finish their current round, then wait (cancel after `grace`)."""
        self._stop.set()
        self._nudged.set()
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks, timeout=grace)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _loop(
        self,
        name: str,
        fn: Callable[[], Awaitable[object]],
        every: float,
        wake: asyncio.Event,
    ) -> None:
        """Run `fn` every `every` seconds, or sooner when `wake` is set (stop sets it too)."""
        while not self._stop.is_set():
            try:
                await fn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s loop failed; retrying in %.0f s", name, every)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=every)
            if wake is not self._stop:
                wake.clear()

    async def _remind(self) -> None:
        result = await self.reminders.run_pass(self.clock.now())
        if result.queued:
            log.info("reminder pass queued %d message(s)", result.queued)

    async def _send(self) -> None:
        # Keep draining while there is work, so a large pass is not paced by `send_every`.
        while not self._stop.is_set():
            stats = await self.sender.drain_once()
            if stats.sent + stats.failed + stats.dead == 0:
                return
