"""The service's background loops, in process: a real store, the real reminder service and
outbox sender, and an adapter that records what reaches it. Every wait is on an event the
loops set, bounded by a timeout, never a bare sleep."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from seeded import SHANGHAI, FixedClock, seeded_engine
from sqlmodel import Session

from bot.adapters import WEBCHAT
from bot.adapters.base import ChatAdapter
from bot.app import Core, make_core
from bot.config import Section, Settings
from bot.delivery.outbox import OutboxSender
from bot.delivery.scheduler import Scheduler
from bot.events import Outgoing
from bot.store import repo

AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)
WAIT = 20.0  # seconds: generous on a loaded CI machine; a pass takes well under one


class Recorder(ChatAdapter):
    """Stands where the web chat would: records each message, can hold a send open."""

    name: ClassVar[str] = WEBCHAT
    settings_model: ClassVar[type[Section]] = Section

    def __init__(self) -> None:
        super().__init__(None, None, None)  # type: ignore[arg-type]
        self.sent: list[Outgoing] = []
        self.arrived = asyncio.Event()
        self.entered = asyncio.Event()  # a send has begun
        self.release = asyncio.Event()
        self.release.set()

    async def send(self, msg: Outgoing) -> None:
        self.entered.set()
        await self.release.wait()
        self.sent.append(msg)
        self.arrived.set()


def _core(tmp_path: Path, clock: FixedClock) -> Core:
    engine = seeded_engine(f"sqlite:///{tmp_path / 's.db'}")
    return make_core(Settings(), clock, engine)


def _scheduler(
    core: Core, recorder: Recorder, clock: FixedClock, housekeeping: Any = None, **every: float
) -> Scheduler:
    async def nothing() -> None:
        return None

    sender = OutboxSender(core.db, {WEBCHAT: recorder}, clock)
    return Scheduler(core.reminders, sender, clock, housekeeping or nothing, **every)


async def _outbox_states(core: Core) -> dict[str, int]:
    def count(s: Session) -> dict[str, int]:
        states: dict[str, int] = {}
        for row in repo.list_outbox(s):
            states[row.state] = states.get(row.state, 0) + 1
        return states

    return await core.db.run(count)


async def test_the_loops_remind_and_deliver_without_being_asked(tmp_path: Path) -> None:
    clock = FixedClock(AS_OF)
    core = _core(tmp_path, clock)
    recorder = Recorder()
    scheduler = _scheduler(core, recorder, clock, remind_every=0.05, send_every=0.05)
    scheduler.start()
    try:
        await asyncio.wait_for(recorder.arrived.wait(), WAIT)
    finally:
        await scheduler.stop()
    assert any("3.8.3" in m.text for m in recorder.sent)
    states = await _outbox_states(core)
    assert states.get("sent", 0) == len(recorder.sent) >= 1


async def test_a_failing_round_is_logged_and_the_loop_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(AS_OF)
    core = _core(tmp_path, clock)
    calls: list[int] = []
    second = asyncio.Event()

    async def flaky() -> None:
        calls.append(1)
        if len(calls) >= 2:
            second.set()
        raise RuntimeError("disk full")

    scheduler = _scheduler(core, Recorder(), clock, flaky, stale_every=0.01, remind_every=3600)
    with caplog.at_level(logging.ERROR, logger="taskbot.scheduler"):
        scheduler.start()
        try:
            await asyncio.wait_for(second.wait(), WAIT)
        finally:
            await scheduler.stop()
    assert len(calls) >= 2
    assert "housekeeping loop failed" in caplog.text and "disk full" in caplog.text


async def test_wake_sender_delivers_now_not_at_the_next_tick(tmp_path: Path) -> None:
    clock = FixedClock(AS_OF)
    core = _core(tmp_path, clock)
    recorder = Recorder()
    # Neither loop would come round again within the test: only the nudge can deliver.
    scheduler = _scheduler(core, recorder, clock, remind_every=3600, send_every=3600)

    def queue(s: Session) -> bool:
        return repo.enqueue_outbox(
            s, key="t:1", platform=WEBCHAT, user_id="zhang", text="请回复进度", now=clock.now()
        )

    idle = asyncio.Event()  # the sender found nothing to send: it sleeps until the tick
    drain_once = scheduler.sender.drain_once

    async def observed() -> Any:
        stats = await drain_once()
        if stats.sent + stats.failed + stats.dead == 0:
            idle.set()
        return stats

    scheduler.sender.drain_once = observed  # type: ignore[method-assign]
    scheduler.start()
    try:
        await asyncio.wait_for(idle.wait(), WAIT)
        assert await core.db.run(queue)
        scheduler.wake_sender()
        while not any(m.text == "请回复进度" for m in recorder.sent):
            recorder.arrived.clear()
            await asyncio.wait_for(recorder.arrived.wait(), WAIT)
    finally:
        await scheduler.stop()
    assert [m.text for m in recorder.sent].count("请回复进度") == 1


async def test_stop_lets_the_send_in_flight_finish(tmp_path: Path) -> None:
    clock = FixedClock(AS_OF)
    core = _core(tmp_path, clock)
    recorder = Recorder()
    recorder.release.clear()  # the first send hangs until released
    scheduler = _scheduler(core, recorder, clock, remind_every=3600, send_every=0.05)
    scheduler.start()
    await asyncio.wait_for(recorder.entered.wait(), WAIT)
    assert (await _outbox_states(core)).get("sending", 0) >= 1
    stopping = asyncio.create_task(scheduler.stop(grace=WAIT))
    done, _ = await asyncio.wait({stopping}, timeout=0.3)
    assert not done  # stop() waits for the send it cannot see the end of
    recorder.release.set()
    await asyncio.wait_for(stopping, WAIT)
    states = await _outbox_states(core)
    assert "sending" not in states  # nothing left half-sent
    assert states.get("sent", 0) == len(recorder.sent) >= 1
